"""Word reports whose tables are pictures standing inside a one-cell table (a frame a template gives them) or
inside a text box: the pictures are read by OCR where they stand in the document, as a body paragraph's are.

Made at test time from fixtures/pictures/seedNNN_docx_tables (Word files whose tables were pasted as pictures): each
paragraph holding such a picture is moved into a one-cell table, or into a text box, where it stood.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from extractors import extract
from extractors.readers.docx import read_docx

from .ocr_score import cell_scores
from .test_docx_variants import _variant, in_text_box, w

ROOT = Path(__file__).resolve().parents[1]
WORD = sorted((ROOT / "fixtures" / "pictures").glob("seed*_docx_tables"))
DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"


def _picture_paragraphs(body: etree._Element) -> list[etree._Element]:
    return [p for p in body if p.tag == w("p") and next(p.iter(DRAWING), None) is not None]


def pictures_in_cells(body: etree._Element) -> None:
    """Each picture paragraph inside a one-cell table where it stood."""
    for p in _picture_paragraphs(body):
        table = etree.Element(w("tbl"))
        p.addprevious(table)
        etree.SubElement(etree.SubElement(table, w("tr")), w("tc")).append(p)


def pictures_in_text_boxes(body: etree._Element) -> None:
    """Each picture paragraph inside a text box where it stood (Word 2010's shape and its VML copy beside it)."""
    for picture in _picture_paragraphs(body):
        in_text_box(picture)


def test_each_picture_is_listed_once_where_it_stands() -> None:
    # In a text box, at the places the pictures had in the body; after a one-cell table, one place further on for
    # each such table before it (the table is a block). Each picture once, and counted once.
    assert WORD
    for case in WORD:
        data = (case / "input.docx").read_bytes()
        plain = read_docx(data)
        at = [i for i, _ in plain.shown]
        assert len(at) == plain.pictures == 3
        boxed = read_docx(_variant(data, pictures_in_text_boxes))
        assert boxed.shown == plain.shown and boxed.pictures == 3 and boxed.blocks == plain.blocks
        framed = read_docx(_variant(data, pictures_in_cells))
        assert [i for i, _ in framed.shown] == [i + k + 1 for k, i in enumerate(at)] and framed.pictures == 3
        assert [rid for _, rid in framed.shown] == [rid for _, rid in plain.shown]


@pytest.mark.slow
@pytest.mark.parametrize("change", [pictures_in_cells, pictures_in_text_boxes], ids=lambda f: f.__name__)
def test_a_word_reports_table_pictures_are_read_where_they_stand(change: Callable[[etree._Element], None]) -> None:
    from extractors.readers.ocr import ENGINES, engine

    if engine(ENGINES[0]) is None:
        pytest.skip(f"{ENGINES[0]} OCR engine not installed (pip install 'nianbao[ocr]')")
    assert len(WORD) == 2
    cells = right = 0
    wrong: list[list[str]] = []
    for case in WORD:
        data = _variant((case / "input.docx").read_bytes(), change)
        assert data != (case / "input.docx").read_bytes()
        record = extract(data, name="input.docx")
        n, ok, _, bad = cell_scores(record, json.loads((case / "expected.json").read_text(encoding="utf-8")))
        cells, right = cells + n, right + ok
        wrong += [[case.name, *b] for b in bad]
    print(f"\n{change.__name__}: {right}/{cells} cells right, {len(wrong)} wrong and not flagged")
    assert not wrong and right >= 0.99 * cells, (right, cells, wrong[:5])
