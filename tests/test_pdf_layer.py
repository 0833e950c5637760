"""The PDFium character layer (extractors/readers/pdf_layer.py, pdf_pages.py, pdf_streams.py) against pdfminer.

pdfplumber's own pages (laid out by pdfminer, as the PDF reader did before) are the reference: every
character and every ruling line PDFium reads must be the object pdfminer made, field by field, so the
table finder and pdf_rows.rebuild see the same page. Real engines on both sides, no mocks.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pdfplumber
import pytest

from extractors.errors import Bomb, Corrupt, TooLarge
from extractors.model import Table
from extractors.readers import pdf as pdf_reader
from extractors.readers import pdf_pages, pdf_streams
from extractors.readers.pdf_layer import Fonts

from .conftest import CORPUS

DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
PDFS = sorted(DOCUMENTS.glob("*/input.pdf")) + sorted((CORPUS / "real").glob("*.pdf"))
TOLERANCE = 1e-3  # PDFium keeps coordinates as 32-bit floats, pdfminer as 64-bit


def _layer_pages(data: bytes) -> list[pdf_pages.LayerPage]:
    descents, _ = pdf_reader._prepare(data)
    with pdf_pages.opened(data) as doc:
        return list(pdf_pages.pages(doc, Fonts(descents.get), 10**6))


def _assert_same_objects(ours: list[dict], theirs: list[dict], what: str, fields: tuple[str, ...]) -> None:
    """Each pdfminer object has its own PDFium object (same text, nearest box) equal in every field."""
    assert len(ours) == len(theirs), f"{what}: {len(ours)} objects from PDFium, {len(theirs)} from pdfminer"
    left = list(ours)
    for ref in theirs:
        same = [o for o in left if o.get("text") == ref.get("text")]
        assert same, f"{what}: no {ref.get('text', ref['object_type'])!r} from PDFium"
        mine = min(same, key=lambda o: abs(o["x0"] - ref["x0"]) + abs(o["top"] - ref["top"]) + abs(o["x1"] - ref["x1"]))
        left.remove(mine)
        if ref.get("adv", 0) < 0:
            continue
        for field in fields:
            if isinstance(ref[field], float | int) and not isinstance(ref[field], bool):
                assert abs(mine[field] - ref[field]) <= TOLERANCE, f"{what} {ref.get('text', '')!r} {field}"
            else:
                assert mine[field] == ref[field], f"{what} {ref.get('text', '')!r} {field}"


def _compare_pdf(data: bytes, name: str) -> None:
    ours = _layer_pages(data)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(ours) == len(pdf.pages)
        for mine, page in zip(ours, pdf.pages, strict=True):
            where = f"{name} p{page.page_number}"
            assert mine.bbox == pytest.approx(page.bbox)
            # PDFium folds some blanks (a space opening a line, a no-break space) into its own word breaks;
            # pdfplumber splits words at gaps as well as at blanks, so only drawn characters are compared.
            chars = [c for c in page.chars if c["text"].strip()]
            # A glyph pdfminer advances backwards (negative width: 9 in one real report) it boxes away from
            # where PDFium draws it: such a glyph is matched by its text only, after all the others.
            chars.sort(key=lambda c: c["adv"] < 0)
            char_fields = ("text", "x0", "x1", "top", "bottom", "doctop", "upright")
            _assert_same_objects([c for c in mine.chars if c["text"].strip()], chars, where, char_fields)
            for kind in ("line", "rect", "curve"):
                fields = ("x0", "x1", "top", "bottom", "width", "height")
                _assert_same_objects(mine.objects.get(kind, []), page.objects.get(kind, []), f"{where} {kind}", fields)


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.parent.name if p.name == "input.pdf" else p.stem)
def test_pdfium_reads_the_characters_and_lines_pdfminer_lays_out(path: Path) -> None:
    _compare_pdf(path.read_bytes(), path.name)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_pages_come_out_as_pdfminer_turns_them(degrees: int) -> None:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(DOCUMENTS / "seed000_pdf" / "input.pdf")
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page).rotate(degrees)
    out = io.BytesIO()
    writer.write(out)
    _compare_pdf(out.getvalue(), f"rotated {degrees}")


def test_a_mediabox_away_from_the_origin_is_placed_as_pdfplumber_places_it() -> None:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(DOCUMENTS / "seed000_pdf" / "input.pdf")
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        added = writer.add_page(page)
        x0, y0, x1, y1 = (float(v) for v in added.mediabox)
        added.mediabox = pypdf.generic.RectangleObject((x0 + 20, y0 + 30, x1 + 20, y1 + 30))
    out = io.BytesIO()
    writer.write(out)
    _compare_pdf(out.getvalue(), "shifted mediabox")


def test_font_descents_come_from_the_descriptors_by_name_with_and_without_subset_tag() -> None:
    data = (DOCUMENTS / "seed000_pdf" / "input.pdf").read_bytes()
    descents, _ = pdf_reader._prepare(data)
    # The fixture's descriptors say /Descent 0 (PDFium would make one up from the glyphs).
    tagged = [name for name in descents if "+" in name]
    assert tagged, descents
    for name in tagged:
        assert descents[name.split("+", 1)[1]] == descents[name] == 0.0


def test_scan_and_pdfminer_walk_find_the_same_descents() -> None:
    for path in PDFS:
        data = path.read_bytes()
        scanned, _ = pdf_reader._prepare(data)
        walked = pdf_streams.walk(data)
        assert scanned == walked, path.name


def test_a_filter_given_by_reference_is_walked_with_pdfminer_and_still_held_to_the_budget() -> None:
    from .test_memory import _pdf

    bomb = pdf_reader.zlib.compress(b" " * (80 * 1024 * 1024), 9)
    data = _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter 5 0 R >>\nstream\n%s\nendstream" % (len(bomb), bomb),
        b"/FlateDecode",
    ])  # fmt: skip
    with pytest.raises(pdf_streams.Unreadable):
        pdf_streams.scan(data, {})
    with pytest.raises(Bomb, match=r"^PDF stream inflates past \d+ bytes: refused as a decompression bomb$"):
        pdf_reader.read_pdf(data)


def test_a_page_drawing_too_many_objects_is_refused_by_count(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (DOCUMENTS / "seed000_pdf" / "input.pdf").read_bytes()
    monkeypatch.setattr(pdf_reader, "PDF_PAGE_OBJECTS", 100)
    with pytest.raises(TooLarge, match=r"^PDF page 1 draws over 100 objects$"):
        pdf_reader.read_pdf(data)


def test_a_file_pdfium_cannot_open_is_one_clear_error() -> None:
    data = (DOCUMENTS / "seed000_pdf" / "input.pdf").read_bytes()
    with pytest.raises(Corrupt, match=r"^unreadable PDF"):
        pdf_reader.read_pdf(b"%PDF-1.4\n" + data[len(data) // 2 :])


def test_threads_reading_pdfs_at_once_get_what_one_thread_gets() -> None:
    blobs = [p.read_bytes() for p in PDFS[:4]]
    alone = [pdf_reader.read_pdf(b).blocks for b in blobs]
    got: dict[int, list] = {}

    def read(n: int) -> None:
        got[n] = [pdf_reader.read_pdf(b).blocks for b in blobs]

    threads = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[n] for n in range(3)] == [alone] * 3


def test_table_cells_are_placed_as_pdfplumber_extract_places_them() -> None:
    data = (DOCUMENTS / "seed000_pdf" / "input.pdf").read_bytes()
    grids = []
    for page in _layer_pages(data):
        for found in page.find_tables():
            chars = [c for c in page.chars if pdf_reader._centred_in(c, found.bbox)]
            assert pdf_reader._cells(found, chars) == found.extract()
            grids.append(found)
    assert grids, "the ruled fixture has tables"
    tables = [b for b in pdf_reader.read_pdf(data).blocks if isinstance(b, Table)]
    assert len(tables) >= 3
