"""PDFs whose text layer does not spell their text (乱码): the pages are read by OCR, as a scan's are.

fixtures/garbled/ (build_pdfs.py): two bundled reports' PDFs with every font's ToUnicode map pointed into the Private
Use Area, shuffled onto other Chinese characters (digits kept), onto Latin letters (`_latin`: no Chinese left to
judge) or removed; and two with only one subset of the Chinese font mapped wrong (`_partial`); and one whose glyphs are
all drawn as paths (`_outlined`). The pages show the report unchanged; the gold is the seed's. Read as text,
each of the first was refused as no report (or a blank template); the partial ones lost rows and tables.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest

from extractors import api, extract
from extractors.errors import NotAReport, NoText, TooLarge
from extractors.legible import MIN_LETTERS, MIN_SHARE, PART_SHARE, illegible, latin_share, spelt
from extractors.readers import image as image_reader
from extractors.readers.pdf import _prepare, _read_pages, layer_text

from .conftest import CORPUS, need_shared
from .ocr_score import no_engine, read_as_gold

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "fixtures" / "garbled").glob("seed*_*"))
GARBLED = [case for case in CASES if not case.name.endswith(("_partial", "_outlined", "_latin"))]
LATIN = [case for case in CASES if case.name.endswith("_latin")]
PARTIAL = [case for case in CASES if case.name.endswith("_partial")]
PDFS = sorted((ROOT / "fixtures").glob("*/*/input.pdf"))


def _layer(path: Path) -> str:
    data = path.read_bytes()
    return layer_text(_read_pages(data, _prepare(data)[0])[0])


def test_a_report_spells_its_text_and_a_wrong_map_does_not() -> None:
    need_shared()
    for seed in sorted((CORPUS / "seeds").glob("*.txt")):
        assert illegible(seed.read_text(encoding="utf-8")) is None, seed.name
    text = (sorted((CORPUS / "seeds").glob("*.txt"))[0]).read_text(encoding="utf-8")
    kangxi = text.replace("一", "\u2f00").replace("人", "\u2f08")  # radicals some fonts map to: NFKC folds them
    assert illegible(kangxi) is None
    private = "".join(chr(0xE000 + ord(c) % 4000) if "\u4e00" <= c <= "\u9fff" else c for c in text)
    assert "0% of its" in (illegible(private) or "")
    latin1 = text.encode("gb18030").decode("latin-1")  # a GBK text read as Latin-1: the unmapped font's letters
    assert illegible(latin1) is not None
    codes = "".join(chr(c) for c in range(1, 32) if not chr(c).isspace()) * 10  # glyph codes read as control chars
    assert illegible(codes) is not None and latin_share(codes) is None
    assert illegible("\ue000" * (MIN_LETTERS - 1)) is None  # too short to tell
    english = "The State Council issued the regulations on the disclosure of government information. " * 20
    assert illegible(english) is None  # ASCII letters say nothing of a font's map: not read by OCR for nothing
    # ... unless they are nearly all the layer has: its pages are read by OCR too where its record is no full report's
    assert latin_share(english) == 0
    assert latin_share(text) is None and latin_share(text + english[: len(english) // 4]) is None  # a few English lines


def test_every_bundled_pdf_with_a_true_text_layer_is_judged_to_spell_it() -> None:
    need_shared()
    true = [p for p in PDFS if p.parent.parent.name != "garbled"] + sorted((CORPUS / "real").glob("*.pdf"))
    assert len(true) >= 10
    for path in true:
        text = _layer(path)
        if sum(unicodedata.category(c)[0] == "L" for c in text) >= MIN_LETTERS:
            assert illegible(text) is None, path
            assert spelt(text)[0] >= PART_SHARE, path  # nor read by OCR where a row is missing
            assert latin_share(text) is None, path


@pytest.mark.parametrize("case", GARBLED, ids=lambda p: p.name)
def test_a_wrong_text_layer_is_told_apart(case: Path) -> None:
    assert illegible(_layer(case / "input.pdf")) is not None


def test_a_layer_of_latin_letters_is_read_by_ocr_where_its_record_is_no_report(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its letters are Latin, not Chinese: it was read as text and refused as no report, the report lost.
    assert len(LATIN) == 2
    for case in LATIN:
        text = _layer(case / "input.pdf")
        assert spelt(text)[0] is None and latin_share(text) == 0, case.name

    _refused_without_ocr(LATIN[0] / "input.pdf", "text layer does not spell Chinese", monkeypatch)


def _refused_without_ocr(path: Path, says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Assert that without an OCR engine `path` is refused by one NoText line saying `says` and that no engine is
    installed, not as no report."""
    monkeypatch.setattr(image_reader, "choose", no_engine)
    with pytest.raises(NoText) as got:
        extract(path)
    assert not isinstance(got.value, NotAReport)
    assert says in str(got.value) and "no engine is installed" in str(got.value)


def test_without_ocr_a_wrong_text_layer_is_one_clear_error_not_a_missing_report(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused_without_ocr(GARBLED[0] / "input.pdf", "text layer does not spell its text", monkeypatch)


def test_a_wrong_text_layer_over_the_ocr_limit_says_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_reader, "MAX_OCR_PAGES", 0)
    # an engine never asked to read: the limit stops the first page
    monkeypatch.setattr(image_reader, "choose", lambda: SimpleNamespace(name="unused"))
    with pytest.raises(TooLarge) as got:
        extract(GARBLED[0] / "input.pdf")
    assert "text layer does not spell its text" in str(got.value) and "OCR limit" in str(got.value)


def test_a_layer_wrong_in_part_is_read_as_text_where_ocr_cannot_help(monkeypatch: pytest.MonkeyPatch) -> None:
    # Most of it spells its text: no error, the rows its wrong font hides are said missing (STR-03).
    assert len(PARTIAL) == 2
    for case in PARTIAL:
        share, _ = spelt(_layer(case / "input.pdf"))
        assert share is not None and MIN_SHARE <= share < PART_SHARE, (case.name, share)

    monkeypatch.setattr(image_reader, "choose", no_engine)
    record = extract(PARTIAL[0] / "input.pdf")
    assert record["requests"] and any(c["rule"] == "STR-03" for c in record["checks"])

    def over_the_limit(data: bytes) -> None:
        raise TooLarge("scanned PDF has over 60 pages of images (the OCR limit)")

    monkeypatch.setattr(api, "read_pdf_pages", over_the_limit)  # the retry's limit: the text's record stands
    assert extract(PARTIAL[0] / "input.pdf") == record


def test_a_pdf_of_glyphs_drawn_as_paths_needs_ocr_and_is_no_blank_template(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its ruled tables are found with every cell empty: read as text it passed for a blank template.
    outlined = [case for case in CASES if case.name.endswith("_outlined")]
    assert outlined
    monkeypatch.setattr(image_reader, "choose", no_engine)
    with pytest.raises(NoText) as got:
        extract(outlined[0] / "input.pdf")
    assert "no engine is installed" in str(got.value)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_pdf_whose_text_layer_is_wrong_is_read_from_its_pages(case: Path) -> None:
    assert read_as_gold(case, "input.pdf")["year"] == 2020
