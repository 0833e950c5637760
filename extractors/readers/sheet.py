"""XLSX and XLS: each sheet becomes one table grid, merged areas covered by None."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from ..errors import Corrupt, TooLarge
from ..model import Block, Document, Table
from .docx import check_zip
from .sheet_formulas import compute

MAX_CELLS = 200_000
MAX_TAGS = 600_000  # XML tags ("<"): openpyxl builds an object of up to ~1 KB for a style, row or link tag
_CELL = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_UNVALUED = re.compile(
    rb"(?:<(?:[\w.-]+:)?f\b[^>]*/>|</(?:[\w.-]+:)?f>)\s*(?:<(?:[\w.-]+:)?v\s*/>|<(?:[\w.-]+:)?v>\s*</(?:[\w.-]+:)?v>)?\s*"
    rb"</(?:[\w.-]+:)?c>"
)
"""A cell's formula with no value saved beside it (`<f>SUM(B7:G7)</f><v></v></c>`): a program's export; Excel and
WPS save the value."""
_MERGE_REF = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']{1,40})["']""")


def _fmt(value: object) -> str:
    """Return a cell's value as text: a whole float as an integer, a float to the 15 significant digits Excel
    shows (it stores 17: 1.795 computed as 1.7950000000000002)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        shown = format(value, ".15g")
        return repr(value) if "e" in shown else shown
    return str(value).strip()


def _merged_area(xml: bytes) -> int:
    """Return the cells the merged ranges of one worksheet's XML cover, open ranges counted to the sheet's edge."""
    from openpyxl.utils.cell import range_boundaries

    area = 0
    for m in _MERGE_REF.finditer(xml):
        try:
            c0, r0, c1, r1 = range_boundaries(m.group(1).decode("ascii", "replace"))
        except (ValueError, TypeError):
            continue
        # "A:C" and "2:5" leave rows or columns open: the whole sheet extent (16384 x 1048576).
        cols = abs((c1 or 16384) - (c0 or 1)) + 1
        rows = abs((r1 or 1048576) - (r0 or 1)) + 1
        area += cols * rows
        if area > MAX_CELLS:
            break
    return area


def _check_sheets(zf: zipfile.ZipFile) -> bool:
    """Refuse, before openpyxl loads anything, worksheets holding or merging more than MAX_CELLS cells; return
    whether any holds a formula saved without its value.

    openpyxl (not read-only) makes an object for every cell and every merged cell on load; the cells
    are counted here in the XML (check_zip has bounded its size), the merged areas from their refs.
    """
    cells = area = 0
    unvalued = False
    for name in zf.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        try:
            xml = zf.read(name)
        except Exception:
            continue  # a broken member is openpyxl's to report
        for _ in _CELL.finditer(xml):
            cells += 1
            if cells > MAX_CELLS:
                raise TooLarge(f"workbook too large (over {MAX_CELLS} cells)")
        area += _merged_area(xml)
        if area > MAX_CELLS:
            raise TooLarge(f"workbook merges over {MAX_CELLS} cells")
        unvalued = unvalued or _UNVALUED.search(xml) is not None
    return unvalued


def read_xlsx(data: bytes) -> Document:
    """Return the Document of an XLSX workbook."""
    import openpyxl

    unvalued = _check_sheets(check_zip(data, "XLSX", max_tags=MAX_TAGS))
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
        written = _formulas(data) if unvalued else {}  # loaded again only where a value is missing
    except Exception as exc:
        raise Corrupt(f"corrupt XLSX: {type(exc).__name__}") from None
    blocks: list[Block] = []
    total = 0
    shown = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    # A hidden sheet (an old draft, a lookup list) is not what the workbook shows; Excel keeps one sheet visible.
    for ws in shown or wb.worksheets:
        covered: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        covered.add((r, c))
        values = [list(row) for row in ws.iter_rows(values_only=True)]
        total += sum(len(row) for row in values)
        if total > MAX_CELLS:
            raise TooLarge(f"workbook too large (over {MAX_CELLS} cells)")
        _fill(values, written.get(ws.title, {}))
        hidden_rows, hidden_cols = _hidden_xlsx(ws, max((len(row) for row in values), default=0))
        rows = [[None if (r, c) in covered else _fmt(v) for c, v in enumerate(row, start=1) if c not in hidden_cols]
                for r, row in enumerate(values, start=1) if r not in hidden_rows]  # fmt: skip
        blocks.append(Table(rows))
    return Document(blocks, carrier="xlsx")


def _hidden_xlsx(ws: Any, width: int) -> tuple[set[int], set[int]]:
    """Return the numbers (from 1) of a worksheet's hidden rows and of its hidden columns up to `width`: Excel shows
    neither (a helper column, a draft row), so neither is the report's."""
    from openpyxl.utils.cell import column_index_from_string

    rows = {r for r, dim in ws.row_dimensions.items() if dim.hidden}
    cols: set[int] = set()
    for key, dim in ws.column_dimensions.items():
        if dim.hidden:
            first = dim.min or column_index_from_string(key)
            cols.update(range(first, min(dim.max or first, width) + 1))  # a range may run to the sheet's last column
    return rows, cols


def _formulas(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Return each sheet's formulas ("=SUM(B7:G7)") by (row, column), read with a second load of the workbook; an
    array formula (`{=SUM(B7:G7)}`) as its text."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    return {ws.title: {(cell.row, cell.column): text for row in ws.iter_rows() for cell in row
                       if isinstance(text := getattr(cell.value, "text", cell.value), str) and text.startswith("=")}
            for ws in wb.worksheets}  # fmt: skip


def _fill(values: list[list[object]], written: dict[tuple[int, int], str]) -> None:
    """Give each cell of a sheet's `values` that holds a formula saved without its value the value computed from
    the formula (sheet_formulas), or else the formula's text: a number must never be taken for a blank."""
    if not written:
        return
    from openpyxl.utils.cell import coordinate_to_tuple

    def lookup(coordinate: str) -> object:
        r, c = coordinate_to_tuple(coordinate)
        value = values[r - 1][c - 1] if r <= len(values) and c <= len(values[r - 1]) else None
        return value if value is not None else written.get((r, c))

    for (r, c), formula in written.items():
        if r <= len(values) and c <= len(values[r - 1]) and values[r - 1][c - 1] is None:
            computed = compute(formula, lookup)
            values[r - 1][c - 1] = formula if computed is None else computed


def read_xls(data: bytes) -> Document:
    """Return the Document of a legacy XLS workbook."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except Exception as exc:
        raise Corrupt(f"corrupt XLS: {type(exc).__name__}") from None
    blocks: list[Block] = []
    shown = [sheet for sheet in book.sheets() if sheet.visibility == 0]
    for sheet in shown or book.sheets():  # hidden sheets are not what the workbook shows (read_xlsx)
        if sheet.nrows * max(sheet.ncols, 1) > MAX_CELLS:
            raise TooLarge(f"workbook too large (over {MAX_CELLS} cells)")
        covered: set[tuple[int, int]] = set()
        area = 0
        for r0, r1, c0, c1 in sheet.merged_cells:
            # Merges may claim the whole sheet; only the cells that exist can be covered.
            r1, c1 = min(r1, sheet.nrows), min(c1, sheet.ncols)
            area += max(0, r1 - r0) * max(0, c1 - c0)
            if area > MAX_CELLS:
                raise TooLarge(f"workbook merges cover over {MAX_CELLS} cells")
            for r in range(r0, r1):
                for c in range(c0, c1):
                    if (r, c) != (r0, c0):
                        covered.add((r, c))
        # Hidden rows and columns are not what Excel shows (read_xlsx).
        shown_cols = [c for c in range(sheet.ncols) if not getattr(sheet.colinfo_map.get(c), "hidden", 0)]
        rows = [
            [None if (r, c) in covered else _fmt(sheet.cell_value(r, c)) for c in shown_cols]
            for r in range(sheet.nrows) if not getattr(sheet.rowinfo_map.get(r), "hidden", 0)
        ]
        blocks.append(Table(rows))
    return Document(blocks, carrier="xls")
