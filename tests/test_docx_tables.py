"""DOCX tables read straight from the XML (extractors/readers/docx.py) against python-docx's own `row.cells`.

python-docx's cell walk is the reference: the grid, the None of a merged position and the cell text must be
what it gives, for column spans, vertical merges, block merges, rows starting late (gridBefore) and the
fixtures' real tables. Documents are built with python-docx itself, no mocks.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

from extractors.errors import Corrupt, TooLarge
from extractors.model import Table
from extractors.readers import docx as docx_reader

DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"


def _reference(table: object) -> list[list[str | None]]:
    """The grid as the reader built it before: python-docx's row.cells, a merged cell once."""
    rows: list[list[str | None]] = []
    seen: set[object] = set()
    for row in table.rows:  # type: ignore[attr-defined]
        out: list[str | None] = []
        for cell in row.cells:
            if cell._tc in seen:
                out.append(None)
                continue
            seen.add(cell._tc)
            out.append("\n".join(p.text for p in cell.paragraphs).strip())
        rows.append(out)
    return rows


def _saved(document: object) -> bytes:
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def _merged_document() -> object:
    document = docx.Document()
    document.add_paragraph("表格")
    table = document.add_table(rows=6, cols=5)
    for r in range(6):
        for c in range(5):
            table.cell(r, c).text = f"第{r}行第{c}列"
    table.cell(0, 0).merge(table.cell(0, 2))  # across
    table.cell(1, 0).merge(table.cell(4, 0))  # down
    table.cell(1, 1).merge(table.cell(2, 3))  # a block
    table.cell(3, 2).merge(table.cell(5, 4))  # a block to the corner
    second = document.add_table(rows=2, cols=2)
    second.cell(0, 0).text = "制表\t符"
    second.cell(1, 1).add_paragraph("第二段")
    return document


def _tables(data: bytes) -> list[Table]:
    return [b for b in docx_reader.read_docx(data).blocks if isinstance(b, Table)]


def test_merged_cells_come_out_as_python_docx_walks_them() -> None:
    document = _merged_document()
    data = _saved(document)
    expected = [_reference(t) for t in docx.Document(io.BytesIO(data)).tables]
    got = _tables(data)
    assert [t.rows for t in got] == expected
    first = got[0].rows
    assert first[0][:3] == ["第0行第0列\n第0行第1列\n第0行第2列", None, None]
    assert first[2][0] is None and first[4][0] is None  # the column merged down, once
    assert first[5][2:] == [None, None, None]


def test_a_row_starting_late_and_a_merge_resolved_past_it() -> None:
    document = _merged_document()
    tr = document.tables[1]._tbl.tr_lst[1]
    tr_pr = tr.get_or_add_trPr()
    before = OxmlElement("w:gridBefore")
    before.set(qn("w:val"), "1")
    tr_pr.append(before)
    tr.remove(tr.tc_lst[0])  # the row now starts at the second grid column
    data = _saved(document)
    expected = [_reference(t) for t in docx.Document(io.BytesIO(data)).tables]
    assert [t.rows for t in _tables(data)] == expected
    assert expected[1][1] == ["第二段"]


@pytest.mark.parametrize("case", sorted(DOCUMENTS.glob("*_docx")), ids=lambda p: p.name)
def test_fixture_tables_are_the_grids_python_docx_gives(case: Path) -> None:
    data = (case / "input.docx").read_bytes()
    expected = [_reference(t) for t in docx.Document(io.BytesIO(data)).tables]
    got = [t.rows for t in _tables(data)]
    assert got == expected
    assert got, "every fixture report has tables"


def test_a_vertical_merge_continuing_from_no_row_is_one_clear_error() -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(1, 0))
    tbl = table._tbl
    tbl.remove(tbl.tr_lst[0])  # the continuing cell is now in the first row
    with pytest.raises(Corrupt, match=r"^corrupt DOCX: ValueError: no tr above topmost tr in w:tbl$"):
        docx_reader.read_docx(_saved(document))


def test_a_row_spanning_too_many_columns_is_refused() -> None:
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    tc = table._tbl.tr_lst[0].tc_lst[0]
    tc.get_or_add_tcPr().grid_span = docx_reader.MAX_ROW_SPAN + 1
    with pytest.raises(TooLarge, match=r"^DOCX table row spans \d+ columns"):
        docx_reader.read_docx(_saved(document))


def test_cells_in_all_tables_are_counted_against_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    document = _merged_document()
    body = document.element.body
    for _ in range(3):
        body.append(copy.deepcopy(document.tables[0]._tbl))
    monkeypatch.setattr(docx_reader, "MAX_CELLS", 100)
    with pytest.raises(TooLarge, match=r"^DOCX tables too large \(over 100 cells\)$"):
        docx_reader.read_docx(_saved(document))
