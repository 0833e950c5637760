"""The same report kept as a spreadsheet another way reads the same: metamorphic tests of the XLSX reader.

Offices keep the three tables in Excel or WPS and publish the workbook: numbers typed as text, amounts computed by a
formula and stored with the binary noise of floating point (1.7950000000000002 for 1.795), the title on a cover sheet
and the tables after it, one table a sheet, an old hidden sheet left in front. Each variant must read to the gold
(tests/goldcmp.py), as the workbook laid out plainly does (tests/test_text_forms.py).
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from extractors import extract

from .conftest import CORPUS, need_shared
from .goldcmp import compare
from .render_text import rows_2019

SEED = "001_ff3c35068f44430d"


def _number(cell: str) -> int | str:
    return int(cell) if cell.lstrip("-").isdigit() else cell


def _title(gold: dict[str, Any]) -> str:
    return f"{gold['agency']}{gold['year']}年政府信息公开工作年度报告"


def _sheet(ws: Any, tables: list[tuple[str, list[list[str]]]], cell: Callable[[str], Any] = _number) -> None:
    for heading, rows in tables:
        ws.append([heading])
        for row in rows:
            ws.append([cell(c) for c in row])


def plain(gold: dict[str, Any], wb: Any) -> None:
    ws = wb.active
    ws.append([_title(gold)])
    _sheet(ws, rows_2019(gold))


def numbers_as_text(gold: dict[str, Any], wb: Any) -> None:
    ws = wb.active
    ws.append([_title(gold)])
    _sheet(ws, rows_2019(gold), cell=str)


def amounts_with_float_noise(gold: dict[str, Any], wb: Any) -> None:
    """Every money amount (万元) a number, stored as Excel stores one computed in floating point: 17 significant
    digits, 1.795 written 1.7950000000000002 (`_noisy`, after saving)."""
    def cell(text: str) -> Any:
        amount = text[:-2] if text.endswith("万元") else ""
        return float(amount) if amount.replace(".", "", 1).isdigit() else _number(text)

    ws = wb.active
    ws.append([_title(gold)])
    _sheet(ws, rows_2019(gold), cell=cell)


def _noisy(xlsx: bytes) -> bytes:
    """Return the workbook with each decimal number in its sheets' XML written as the next float up, in full."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<v>(\d+\.\d+)</v>",
                              lambda m: b"<v>%s</v>" % repr(math.nextafter(float(m[1]), 9e9)).encode(), data)
            dst.writestr(info, data)
    return out.getvalue()


def cover_sheet(gold: dict[str, Any], wb: Any) -> None:
    wb.active.append([_title(gold)])
    wb.active.title = "封面"
    _sheet(wb.create_sheet("报表"), rows_2019(gold))


def one_table_a_sheet(gold: dict[str, Any], wb: Any) -> None:
    wb.active.append([_title(gold)])
    for i, table in enumerate(rows_2019(gold)):
        _sheet(wb.active if i == 0 else wb.create_sheet(f"表{i + 1}"), [table])


def hidden_old_sheet_in_front(gold: dict[str, Any], wb: Any) -> None:
    """A hidden sheet before the report holding last year's draft: what Excel does not show is not the report."""
    old = wb.active
    old.title = "旧稿"
    old.sheet_state = "hidden"
    old.append([_title(gold).replace(str(gold["year"]), str(gold["year"] - 1))])
    _sheet(old, rows_2019(gold), cell=lambda c: _number(c) * 3 + 1 if isinstance(_number(c), int) else c)
    ws = wb.create_sheet("年报")
    ws.append([_title(gold)])
    _sheet(ws, rows_2019(gold))
    wb.active = 1


def totals_as_formulas(gold: dict[str, Any], wb: Any) -> None:
    """Each 总计 that is its row's sum written as a formula (=SUM(B7:G7)), saved by a program, not by Excel: the
    workbook holds the formula and no value computed from it."""
    ws = wb.active
    ws.append([_title(gold)])
    _sheet(ws, rows_2019(gold))
    for row in ws.iter_rows(min_col=2, max_col=8):
        numbers = [c.value for c in row]
        if all(isinstance(v, int) for v in numbers) and sum(numbers[:6]) == numbers[6]:
            row[6].value = f"=SUM({row[0].coordinate}:{row[5].coordinate})"


def hidden_helper_column(gold: dict[str, Any], wb: Any) -> None:
    """A hidden column after the labels holding last year's numbers (a helper the office kept): Excel does not show
    it, so the row's values are those after it."""
    ws = wb.active
    ws.append([_title(gold)])
    _sheet(ws, rows_2019(gold))
    ws.insert_cols(2)
    for row in ws.iter_rows(min_row=2):
        if isinstance(row[2].value, int):
            row[1].value = row[2].value * 3 + 1
    ws.column_dimensions["B"].hidden = True


def hidden_rows(gold: dict[str, Any], wb: Any) -> None:
    """A hidden row before every table row, holding a draft of that row with other numbers."""
    ws = wb.active
    ws.append([_title(gold)])
    for heading, rows in rows_2019(gold):
        ws.append([heading])
        for row in rows:
            ws.append([_number(c) * 3 + 1 if isinstance(_number(c), int) else c for c in row])
            ws.row_dimensions[ws.max_row].hidden = True
            ws.append([_number(c) for c in row])


VARIANTS = {f.__name__: f for f in (plain, numbers_as_text, amounts_with_float_noise, cover_sheet, one_table_a_sheet,
                                    hidden_old_sheet_in_front, totals_as_formulas, hidden_helper_column,
                                    hidden_rows)}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_workbook_laid_out_another_way_reads_to_the_gold(variant: str) -> None:
    import openpyxl

    need_shared()
    gold = json.loads((CORPUS / "gold" / f"{SEED}.json").read_text(encoding="utf-8"))
    wb = openpyxl.Workbook()
    VARIANTS[variant](gold, wb)
    out = io.BytesIO()
    wb.save(out)
    data = _noisy(out.getvalue()) if variant == "amounts_with_float_noise" else out.getvalue()
    assert variant != "amounts_with_float_noise" or b"1.7950000000000002" in zipfile.ZipFile(io.BytesIO(data)).read(
        "xl/worksheets/sheet1.xml")  # fmt: skip
    record = extract(data, name="report.xlsx")
    score = compare(record, gold)
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, want {w!r}" for p, g, w in score.diffs[:20])


@pytest.mark.parametrize("case", ["hidden_helper_column", "hidden_rows"])
def test_a_legacy_workbook_reads_only_what_excel_shows(case: str) -> None:
    # fixtures/sheets/build_xls.py: the workbooks above saved as Excel 97 by LibreOffice Calc, hidden rows and columns
    # kept.
    from pathlib import Path

    need_shared()
    gold = json.loads((CORPUS / "gold" / f"{SEED}.json").read_text(encoding="utf-8"))
    path = Path(__file__).resolve().parents[1] / "fixtures" / "sheets" / f"{case}.xls"
    score = compare(extract(path), gold)
    assert not score.diffs, score.diffs[:5]
