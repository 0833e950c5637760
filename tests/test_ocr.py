"""Scanned reports: image sniffing, the OCR pieces, what the table arithmetic confirms, and the two scan fixtures.

Most tests here run no OCR engine: the confirmation is exercised on the words of a seed PDF's text
layer handed over as if an engine had read them (exact, then with a misread digit). The two committed
scans (fixtures/ocr/, pinned by the quality gate) are read by the engine the reader chooses; the full
engine × dpi matrix is in tests/test_ocr_slow.py.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image, ImageDraw

from extractors import extract
from extractors.errors import Bomb, Corrupt, ExtractionError, NoText, TooLarge
from extractors.ocr_confirm import confirm
from extractors.readers import image as image_reader
from extractors.readers.image import OcrDocument, page_blocks, read_image
from extractors.readers.ocr import OcrWord, _ctc_alternatives, _tsv_words, choose, engine, erase_rules
from extractors.record import build_record
from extractors.sniff import sniff
from extractors.typed_ambiguity import ambiguous_cells

from .conftest import DOCUMENTS, ROOT
from .goldcmp import compare
from .quality_gate import doc_hash, fixture_cases, load_gate

OCR_CASES = {k: v for k, v in fixture_cases().items() if k.startswith("ocr/")}
# Found without loading a model at collection time (each xdist worker collects).
HAVE_ENGINE = importlib.util.find_spec("rapidocr_onnxruntime") is not None or shutil.which("tesseract") is not None
needs_engine = pytest.mark.skipif(
    not HAVE_ENGINE,
    reason="no OCR engine: pip install 'nianbao[ocr]' (RapidOCR) or apt-get install tesseract-ocr tesseract-ocr-chi-sim",
)


def _png(image: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", **kw)
    return buf.getvalue()


# -- sniffing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "carrier"), [("PNG", "png"), ("JPEG", "jpg"), ("TIFF", "tiff")])
def test_images_sniff_by_their_bytes_whatever_their_name(fmt, carrier):
    buf = io.BytesIO()
    Image.new("L", (40, 20), 255).save(buf, format=fmt)
    assert sniff(buf.getvalue(), name="report.pdf") == carrier


def test_big_endian_tiff_sniffs_as_tiff():
    assert sniff(b"MM\x00*" + b"\x00" * 64) == "tiff"


# -- engine pieces without an engine ---------------------------------------------------------------------
def test_tesseract_tsv_words_join_pieces_of_one_line_and_keep_far_cells_apart():
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t100\t10\t20\t20\t96\t本年",
        "5\t1\t1\t1\t1\t2\t124\t10\t20\t20\t90\t新收",  # 4 px after: the same word
        "5\t1\t1\t1\t1\t3\t400\t10\t10\t20\t80\t0",  # far right: another cell
        "5\t1\t1\t1\t2\t1\t100\t50\t10\t20\t70\t１２",  # full-width digits fold to ASCII
    ]
    words = _tsv_words("\n".join([head, *rows]), scale=0.5)
    assert [w.text for w in words] == ["本年新收", "0", "12"]
    assert words[0].x0 == 50 and words[0].x1 == 72 and words[0].confidence == pytest.approx(0.90)
    assert words[1].x0 == 200 and words[2].confidence == pytest.approx(0.70)


def test_ctc_alternatives_are_runner_up_digits_of_the_best_path():
    chars = ["blank", "0", "1", "7", "8", " "]
    probs = np.full((4, len(chars)), 0.001)
    probs[0, 2], probs[0, 3] = 0.6, 0.35  # "1", "7" close behind
    probs[1, 0] = 0.99  # blank
    probs[2, 1], probs[2, 4] = 0.97, 0.0005  # "0", "8" too unlikely to count
    probs[3, 0] = 0.99
    assert _ctc_alternatives(probs, chars, "10") == ("70",)
    assert _ctc_alternatives(probs, chars, "99") == ()  # not the best path: nothing is claimed


def test_erase_rules_paints_long_lines_white_and_keeps_glyphs():
    img = Image.new("L", (600, 400), 255)
    draw = ImageDraw.Draw(img)
    draw.line([(10, 100), (590, 100)], fill=0, width=2)  # a table rule
    draw.line([(300, 20), (300, 380)], fill=0, width=2)  # a column rule
    draw.rectangle([100, 200, 118, 224], fill=0)  # a glyph-sized blot
    out = np.asarray(erase_rules(img, 72 / 200))  # 200 dpi: rules are ≥ 200 px across, ≥ 100 px down
    assert out[100, 50] == 255 and out[200, 300] == 255
    assert out[210, 110] == 0


# -- confirmation on exact and misread words ----------------------------------------------------------
def _text_layer_doc(case: str) -> OcrDocument:
    """Return an OcrDocument of a seed PDF's text-layer words, as an engine that read them exactly would give."""
    doc = OcrDocument([], carrier="pdf", engine="test")
    with pdfplumber.open(DOCUMENTS / case / "input.pdf") as pdf:
        for page in pdf.pages:
            words = [OcrWord(w["text"], w["x0"], w["x1"], w["top"], w["bottom"], 0.99) for w in page.extract_words()]
            blocks, cells = page_blocks(words)
            for block, ws in zip(blocks, cells, strict=True):
                if ws is not None:
                    doc.readings[len(doc.blocks)] = ws
                doc.blocks.append(block)
    return doc


def _misread(doc: OcrDocument, label: str, nth: int, add: int) -> tuple[int, int]:
    """Make the engine misread the nth number of the row labelled `label` (printed + `add`); return both."""
    for index, words in doc.readings.items():
        row = getattr(doc.blocks[index], "rows", [[None]])[0]
        if label in (row[0] or ""):
            k = [i for i, w in enumerate(words) if w is not None][nth]
            printed = int(row[k] or 0)
            row[k] = words[k].text = str(printed + add)
            return printed, printed + add
    raise AssertionError(f"no row labelled {label}")


@pytest.mark.parametrize("case", ["seed000_pdf_unruled", "seed002_pdf_unruled"])
def test_exact_readings_confirm_tables_three_and_four_and_every_table_two_number_is_listed(case):
    doc = _text_layer_doc(case)
    record = confirm(build_record(doc), doc)
    gold = json.loads((DOCUMENTS / case / "expected.json").read_text())
    score = compare(record.to_dict(), gold)
    # Tables 三 and 四 check themselves: every number is confirmed; table 二's sure readings are kept.
    assert score.diffs == []
    # Table 二 has no arithmetic: every cell is listed, its first candidate what was printed (a blank reads
    # [0, None] and is null); a number keeps its reading (unconfirmed) with the row it was read from.
    entries = {a.cell: a for a in record.ambiguous if a.reason in ("ocr", "unconfirmed")}
    for row, cols in gold["proactive"].items():
        for col, want in cols.items():
            path = f"proactive.{row}.{col}"
            got, value = entries[path].candidates, getattr(getattr(record.proactive, row), col).value
            assert got[0] == want or (got == [0, None] and want in got), (path, got)
            if entries[path].reason == "unconfirmed":
                assert value == got[0] == want and entries[path].source_text, path
            else:
                assert value is None and got == [0, None], (path, got)
    assert any(a.reason == "unconfirmed" for a in entries.values())
    # Of tables 三 and 四 only blanks stay listed (a faint number the OCR missed leaves a blank too).
    doubted = [a for a in entries.values() if not a.cell.startswith("proactive.")]
    assert all(a.candidates == [0, None] for a in doubted), doubted[:5]
    assert len(doubted) < 10


@pytest.mark.parametrize("case", ["seed000_pdf_unruled", "seed002_pdf_unruled"])
def test_a_misread_request_number_is_null_and_ambiguous_and_nothing_wrong_goes_unflagged(case):
    doc = _text_layer_doc(case)
    _, wrong = _misread(doc, "本年新收", 0, 7)
    record = confirm(build_record(doc), doc).to_dict()
    gold = json.loads((DOCUMENTS / case / "expected.json").read_text())
    flagged = set(ambiguous_cells(record))
    assert record["requests"]["new_received"][0] is None
    entry = next(a for a in record["ambiguous"] if a["cell"] == "requests.new_received.natural_person")
    assert entry["reason"] == "ocr" and entry["candidates"][0] == wrong and "本年新收" in entry["source_text"]
    for row, values in gold["requests"].items():
        for i, want in enumerate(values):
            got = (record["requests"].get(row) or [None] * 7)[i]
            path = f"requests.{row}.{('natural_person', 'commercial_enterprise', 'research_institution', 'social_welfare_org', 'legal_service_org', 'other_org', 'total')[i]}"
            assert got == want or path in flagged, f"{path}: {got} != {want} and not flagged"
    # One misread number costs its own cell, not its whole row and column.
    doubted_requests = sorted(p for p in flagged if p.startswith("requests."))
    assert doubted_requests == ["requests.new_received.natural_person"], doubted_requests
    assert not [c for c in record["checks"] if c["rule"] == "T3-01" and c["where"] == "natural_person"]


def test_a_number_that_is_not_one_ocr_word_is_never_confirmed():
    doc = _text_layer_doc("seed000_pdf_unruled")
    doc.readings.clear()  # as if every value had been cut from glued text
    record = confirm(build_record(doc), doc)
    cells = {a.cell for a in record.ambiguous}
    assert record.requests is not None and all(v is None for row in record.requests.values().values() for v in row)
    assert "requests.new_received.total" in cells


def _table_two_words(doc: OcrDocument, label: str) -> list[OcrWord]:
    rows = {i: getattr(doc.blocks[i], "rows", [[None]])[0] for i in doc.readings}
    return [w for i, ws in doc.readings.items() if label in (rows[i][0] or "") for w in ws if w is not None]


def test_every_table_two_reading_is_listed_an_unsure_one_null_a_sure_one_kept():
    doc = _text_layer_doc("seed000_pdf_unruled")
    unsure, sure = _table_two_words(doc, "规范性文件")[:2]
    unsure.confidence, unsure.alternatives = 0.6, ("8",)
    record = confirm(build_record(doc), doc).to_dict()
    entries = {a["cell"]: a for a in record["ambiguous"]}
    first, second = (entries[f"proactive.normative_documents.{c}"] for c in ("newly_made", "newly_published"))
    assert first["candidates"] == [int(unsure.text), 8] and first["reason"] == "ocr"
    assert second["candidates"] == [int(sure.text)] and second["reason"] == "unconfirmed"
    assert record["proactive"]["normative_documents"]["newly_made"] is None
    assert record["proactive"]["normative_documents"]["newly_published"] == int(sure.text)


def test_a_table_two_check_on_a_doubted_reading_says_cause_parse():
    doc = _text_layer_doc("seed000_pdf_unruled")
    made, total = (_table_two_words(doc, "规章")[i] for i in (1, 2))  # 本年新公开, 对外公开总数量
    made.text, total.text = str(int(total.text) + 3), total.text
    row = next(
        doc.blocks[i].rows[0] for i in doc.readings if "规章" in (getattr(doc.blocks[i], "rows", [[""]])[0][0] or "")
    )
    row[2] = made.text
    before = build_record(doc)
    assert [c.cause for c in before.checks if c.rule == "T2-03"] == [None]  # the builder blames the report
    after = confirm(before, doc)
    assert [(c.cause, c.severity) for c in after.checks if c.rule == "T2-03"] == [("parse", "W")]


def test_a_failed_check_on_a_row_the_parser_placed_keeps_cause_parse(monkeypatch):
    from extractors import ocr_confirm
    from extractors.model import Paragraph

    doc = _text_layer_doc("seed000_pdf_unruled")
    head = next(i for i, b in enumerate(doc.blocks) if isinstance(b, Paragraph) and "总体情况" in b.text)
    # the tables say otherwise
    doc.blocks.insert(head + 1, Paragraph("本年共收到政府信息公开申请9件，行政复议案件99件。"))
    doc.readings = {(i + 1 if i > head else i): ws for i, ws in doc.readings.items()}
    record = confirm(build_record(doc), doc)
    assert [c.cause for c in record.checks if c.rule in ("T3-06", "T4-05")] == [None, None]
    monkeypatch.setattr(ocr_confirm, "_placed", lambda doc, prose: ({"new_received"}, False))
    record = confirm(build_record(doc), doc)
    assert [(c.rule, c.cause) for c in record.checks if c.rule in ("T3-06", "T4-05")] == [("T3-06", "parse"), ("T4-05", None)]
    monkeypatch.setattr(ocr_confirm, "_placed", lambda doc, prose: (set(), True))  # table 四 cut from split rows
    record = confirm(build_record(doc), doc)
    assert [(c.rule, c.cause) for c in record.checks if c.rule in ("T3-06", "T4-05")] == [("T3-06", None), ("T4-05", "parse")]


@pytest.mark.parametrize(
    ("rule", "where", "doubt", "blamed"),
    [
        ("T3-01", "natural_person", "requests.carried_over.natural_person", True),
        ("T3-01", "total", "requests.carried_over.natural_person", False),  # another column
        ("T3-02", "granted", "requests.granted.other_org", True),
        ("T3-06", "new_received", "requests.new_received.natural_person", False),  # T3-06 reads the total only
        ("T4-05", "litigation", "review_litigation.litigation_direct.total", True),
        ("T4-01", "review", "review_litigation.litigation_direct.total", False),
    ],
)
def test_a_check_is_blamed_on_the_parse_exactly_where_it_reads_a_doubted_cell(rule, where, doubt, blamed):
    from extractors.ocr_confirm import blame_doubt
    from extractors.typed_record import Check

    check = blame_doubt([Check(rule, where, "E")], {doubt})[0]
    assert (check.cause, check.severity) == (("parse", "W") if blamed else (None, "E"))


# -- image-only OFD ------------------------------------------------------------------------------------
class _TextLayerEngine:
    """An engine that "reads" each page as the seed PDF's text layer says, checking the picture's scale first."""

    name = "test"

    def __init__(self, pdf: Path) -> None:
        with pdfplumber.open(pdf) as doc:
            self.pages = [(p.width, p.extract_words()) for p in doc.pages]
        self.read = 0

    def words(self, image, scale):
        width, words = self.pages[self.read]
        self.read += 1
        assert image.width * scale == pytest.approx(width, rel=0.01)  # pixels to points as the page is drawn
        return [OcrWord(w["text"], w["x0"], w["x1"], w["top"], w["bottom"], 0.99) for w in words]


def test_an_ofd_of_page_pictures_is_read_by_ocr_like_an_image_only_pdf(monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "fixtures" / "ocr"))
    from build_scans import scan_ofd

    case = DOCUMENTS / "seed002_pdf_unruled"
    engine_ = _TextLayerEngine(case / "input.pdf")
    monkeypatch.setattr(image_reader, "choose", lambda: engine_)
    record = extract(scan_ofd((case / "input.pdf").read_bytes(), 40))
    assert record["carrier"] == "ofd" and engine_.read == len(engine_.pages)
    gold = json.loads((case / "expected.json").read_text())
    assert compare(record, gold).diffs == []
    listed = {a["cell"]: a["reason"] for a in record["ambiguous"]}
    cells = [f"proactive.{r}.{k}" for r, row in record["proactive"].items() for k in row if not k.endswith("_raw")]
    assert cells and all(listed.get(c) in ("ocr", "unconfirmed") for c in cells)  # listed, as any scan's


def test_an_ofd_with_neither_text_nor_pictures_is_no_text_without_running_ocr(monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "fixtures" / "ocr"))
    from build_scans import scan_ofd

    monkeypatch.setattr(image_reader, "choose", lambda: pytest.fail("OCR ran"))
    data = scan_ofd((DOCUMENTS / "seed002_pdf" / "input.pdf").read_bytes(), 20)
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():  # the pictures' list emptied: ImageObjects that name nothing
            body = src.read(info)
            dst.writestr(info, b'<?xml version="1.0"?><ofd:Res xmlns:ofd="http://www.ofdspec.org/2016"/>'
                         if info.filename.endswith("DocumentRes.xml") else body)  # fmt: skip
    with pytest.raises(NoText, match="no text and no pictures"):
        extract(out.getvalue())


# -- bad input ------------------------------------------------------------------------------------------
def test_a_truncated_png_is_one_line_corrupt():
    data = _png(Image.new("L", (200, 200), 255))[:60]
    with pytest.raises(Corrupt) as err:
        read_image(data, "png")
    assert "\n" not in str(err.value)


def test_a_huge_image_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(image_reader, "MAX_PIXELS", 10_000)
    with pytest.raises(Bomb, match="decompression bomb"):
        read_image(_png(Image.new("1", (200, 200), 1)), "png")


def test_a_tiff_of_too_many_pages_is_refused(monkeypatch):
    monkeypatch.setattr(image_reader, "MAX_OCR_PAGES", 2)
    buf = io.BytesIO()
    frames = [Image.new("L", (20, 20), 255) for _ in range(3)]
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooLarge, match="3 pages"):
        read_image(buf.getvalue(), "tiff")


def test_an_unknown_engine_name_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "cloud")
    with pytest.raises(NoText, match="not one of rapid, tesseract"):
        choose()


def test_a_pdf_with_neither_text_nor_pictures_is_no_text_without_running_ocr():
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    buf = io.BytesIO()
    pdf.save(buf)
    with pytest.raises(NoText):
        extract(buf.getvalue())


@needs_engine
def test_a_blank_scan_is_no_text_in_one_line():
    with pytest.raises(ExtractionError) as err:
        extract(_png(Image.new("L", (800, 1100), 255), dpi=(100, 100)))
    assert isinstance(err.value, NoText) and "\n" not in str(err.value)


# -- the committed scans, pinned by the quality gate -------------------------------------------------------
def test_the_gate_pins_both_scan_fixtures():
    pinned = (load_gate().get("fixtures") or {}).keys()
    assert set(OCR_CASES) == {"ocr/seed000_scan_pdf", "ocr/seed001_scan_tiff", "ocr/seed002_scan_ofd"}
    assert set(OCR_CASES) <= set(pinned)


@pytest.mark.slow  # RapidOCR reads a page in tens of CPU seconds
@needs_engine
@pytest.mark.parametrize("case", sorted(OCR_CASES))
def test_scan_fixture_holds_its_floor_and_no_wrong_cell_goes_unflagged(case):
    expected, source = OCR_CASES[case]
    pin = load_gate()["fixtures"][case]
    assert doc_hash(expected, source) == pin["sha256"], (
        "fixture changed since pinned: python -m tests.quality_gate --pin"
    )
    record = extract(source)
    gold = json.loads(expected.read_text())
    flagged = set(ambiguous_cells(record))
    score = compare(record, gold)
    assert round(score.value, 6) >= pin["floor"], score.diffs[:10]  # the gate pins values rounded to 6 places
    wrong = [
        d
        for d in score.diffs
        if d[0].startswith(("proactive.", "requests.", "review_litigation.")) and d[0] not in flagged
    ]
    assert not wrong, wrong[:10]


def test_tesseract_is_found_where_installed():
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    assert engine("tesseract") is not None or pytest.skip("tesseract has no chi_sim model (tesseract-ocr-chi-sim)")


def test_the_fixture_generator_reproduces_the_committed_cases(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "fixtures" / "ocr"))
    from build_scans import OFD_CASES, write_cases

    for folder in write_cases(tmp_path) + write_cases(tmp_path, cases=OFD_CASES):
        committed = ROOT / "fixtures" / "ocr" / folder.relative_to(tmp_path)
        for f in folder.iterdir():
            assert f.read_bytes() == (committed / f.name).read_bytes(), f"{folder.name}/{f.name} differs"
