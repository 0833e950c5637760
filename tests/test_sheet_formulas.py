"""A workbook whose formulas were saved without their values (a program's export): sums are computed, the rest is
null and listed as `formula`, never read as a blank the checks then blame on the publisher."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from extractors import extract
from extractors.readers.sheet_formulas import compute

from .conftest import CORPUS, need_shared
from .render_text import rows_2019
from .test_sheet_variants import SEED, _sheet, _title

CELLS: dict[str, Any] = {"B7": 1, "C7": 2, "D7": None, "E7": "=B7*2", "F7": "=F7", "G7": "见附件", "A1": "=A2",
                         "A2": "=A1", "H7": "=SUM(B7:E7)", "B8": 1.5, "C8": True}  # fmt: skip


@pytest.mark.parametrize(("formula", "value"), [
    ("=SUM(B7:D7)", 3), ("=B7+C7-1", 2), ("=SUM(B7:C7,E7)", 5), ("=SUM(B7+C7, 10)", 13), ("=(B7+C7)*2/3", 2),
    ("=-B7", -1), ("=sum($B$7:$C$7)", 3), ("=H7-E7", 3), ("=B8*2", 3), ("= SUM( B7 : C7 )", None),
    ("=F7", None), ("=G7", None), ("=A1", None), ("=AVERAGE(B7:C7)", None), ("=ROUND(B7,0)", None),
    ("=SUM(B7:C7", None), ("=1/0", None), ("=Sheet2!B7", None), ("=B7:C7", None), ("=C8", None), ("B7", None),
    ("=SUM(A1:XFD1048576)", None),
])  # fmt: skip
def test_sums_of_the_sheets_own_cells_are_computed_and_nothing_else(formula: str, value: float | None) -> None:
    assert compute(formula, CELLS.get) == value


def _workbook(total: str) -> bytes:
    """Return the seed's workbook with its first non-zero 总计 that is its row's sum written as `total` (a format
    string given the row's first and sixth applicant cells), saved by openpyxl: formulas without values."""
    import openpyxl

    need_shared()
    gold = json.loads((CORPUS / "gold" / f"{SEED}.json").read_text(encoding="utf-8"))
    wb = openpyxl.Workbook()
    wb.active.append([_title(gold)])
    _sheet(wb.active, rows_2019(gold))
    for row in wb.active.iter_rows(min_col=2, max_col=8):
        numbers = [c.value for c in row]
        if all(isinstance(v, int) for v in numbers) and sum(numbers[:6]) == numbers[6] > 0:
            row[6].value = total.format(row[0].coordinate, row[5].coordinate)
            break
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_formula_not_computed_is_null_and_listed_not_a_blank_the_checks_blame() -> None:
    record = extract(_workbook("=ROUND(SUM({}:{}),0)"), name="report.xlsx")
    assert record["requests"]["new_received"][6] is None
    entry = next(a for a in record["ambiguous"] if a["cell"] == "requests.new_received.total")
    assert entry["reason"] == "formula" and "=ROUND(SUM(" in entry["source_text"]
    assert not [c for c in record["checks"] if c["where"] == "new_received"]  # read as 0 it failed T3-02


def test_a_sum_formula_saved_without_its_value_reads_as_its_value() -> None:
    record = extract(_workbook("=SUM({}:{})"), name="report.xlsx")
    assert record["requests"]["new_received"][6] == 6 and not record["ambiguous"]


def test_an_array_formula_saved_without_its_value_reads_as_its_value() -> None:
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    wb = openpyxl.load_workbook(io.BytesIO(_workbook("=SUM({}:{})")))
    cell = next(c for row in wb.active.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("="))
    cell.value = ArrayFormula(cell.coordinate, cell.value)
    out = io.BytesIO()
    wb.save(out)
    record = extract(out.getvalue(), name="report.xlsx")
    assert record["requests"]["new_received"][6] == 6 and not record["ambiguous"]


def test_formulas_are_read_again_only_where_a_value_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # As Excel and WPS save a workbook, each formula keeps its value beside it: read once, as values.
    import re
    import zipfile

    from extractors.readers import sheet

    unvalued = _workbook("=SUM({}:{})")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(unvalued)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, re.sub(rb"<v></v>", b"<v>6</v>", data) if "worksheets" in info.filename else data)
    calls: list[int] = []
    real = sheet._formulas
    monkeypatch.setattr(sheet, "_formulas", lambda data: calls.append(1) or real(data))
    assert extract(out.getvalue(), name="report.xlsx")["requests"]["new_received"][6] == 6 and calls == []
    assert extract(unvalued, name="report.xlsx")["requests"]["new_received"][6] == 6 and calls == [1]
