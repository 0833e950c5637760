"""Word reports whose tables are pictures standing inside a one-cell table (a frame a template gives them) or
inside a text box: the pictures are read by OCR where they stand in the document, as a body paragraph's are.

Made at test time from fixtures/pictures/seedNNN_docx_tables (Word files whose tables were pasted as pictures): each
paragraph holding such a picture is moved into a one-cell table, or into a text box, where it stood.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from extractors import extract

from .ocr_score import cell_scores
from .test_docx_variants import MC, WP, WPS, A, V, _variant, w

pytestmark = pytest.mark.slow
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
        p = etree.Element(w("p"))
        picture.addprevious(p)
        choice = etree.SubElement(etree.SubElement(etree.SubElement(p, w("r")), f"{{{MC}}}AlternateContent"),
                                  f"{{{MC}}}Choice", Requires="wps")  # fmt: skip
        anchor = etree.SubElement(etree.SubElement(choice, w("drawing")), f"{{{WP}}}anchor")
        etree.SubElement(anchor, f"{{{WP}}}extent", cx="5400000", cy="3000000")
        data = etree.SubElement(etree.SubElement(anchor, f"{{{A}}}graphic"), f"{{{A}}}graphicData", uri=WPS)
        box = etree.SubElement(etree.SubElement(etree.SubElement(data, f"{{{WPS}}}wsp"), f"{{{WPS}}}txbx"),
                               w("txbxContent"))  # fmt: skip
        shape = etree.SubElement(etree.SubElement(etree.SubElement(choice.getparent(), f"{{{MC}}}Fallback"),
                                                  w("pict")), f"{{{V}}}shape")  # fmt: skip
        etree.SubElement(etree.SubElement(shape, f"{{{V}}}textbox"), w("txbxContent")).append(copy.deepcopy(picture))
        box.append(picture)


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
