"""Rows and columns beyond the official tables are kept in a flag (STR-04) and leave the official cells exact.

fixtures/extra/ holds bundled reports with one addition each (built by fixtures/extra/build.py from a report and its
gold), each as HTML and as LibreOffice saves it in DOCX and PDF: a 2019 table 二 with 其他主动公开文件, a 2021 table
二 keeping 其他对外管理服务事项, a table 三 with a 法人或其他组织 subtotal column (in the PDF its header does not line
up with its rows: the rows' own arithmetic and the header's order find it). Every other bundled document has none,
and none is flagged there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.labels import PROACTIVE_ROWS_2019
from extractors.table_extra import extra_rows
from extractors.table_items import Item, Loc

from .conftest import ROOT
from .goldcmp import compare

EXTRA = ROOT / "fixtures" / "extra"
CASES = json.loads((EXTRA / "expected.json").read_text(encoding="utf-8"))
# Every bundled document a test reads without LibreOffice: none carries a row or column beyond the official tables.
PLAIN = sorted(
    p
    for pattern in ("fixtures/documents/*/input.*", "nianbao/demo/corpus/real/*", "fixtures/derived/*.expected.json")
    for p in ROOT.glob(pattern)
    if p.suffix not in (".doc", ".wps") and not p.name.startswith("NEGATIVE")
)


@pytest.mark.parametrize("name", [f"{case}.{ext}" for case in sorted(CASES) for ext in ("html", "docx", "pdf")])
def test_an_addition_is_flagged_as_printed_and_the_official_cells_stay_exact(name: str) -> None:
    case = CASES[name.rsplit(".", 1)[0]]
    record = extract(EXTRA / name)
    score = compare(record, case["gold"])
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, gold {w!r}" for p, g, w in score.diffs[:20])
    flags = [{"where": c["where"], "found": c["found"]} for c in record["checks"] if c["rule"] == "STR-04"]
    assert flags == case["str04"]
    assert all(c["severity"] == "I" for c in record["checks"] if c["rule"] == "STR-04")


@pytest.mark.parametrize("path", PLAIN, ids=[str(p.relative_to(ROOT)) for p in PLAIN])
def test_no_official_table_is_flagged(path: Path) -> None:
    if path.name.endswith(".expected.json"):
        path = path.with_name(path.name.removesuffix(".expected.json") + ".md")
    if path.name in ("SOURCES.md",) or not path.is_file():
        pytest.skip("not a report")
    record = extract(path)
    assert [c for c in record["checks"] if c["rule"] == "STR-04"] == []


def _cell(text: str, row: int, col: int) -> Item:
    return Item(text, "".join(text.split()), range(len("".join(text.split()))), (0, row), col)


def _grid(rows: list[list[str]]) -> list[Item]:
    return [_cell(text, r, c) for r, cells in enumerate(rows) for c, text in enumerate(cells)]


def test_only_rows_with_a_label_and_a_number_that_no_official_label_names_are_additions() -> None:
    items = _grid([
        ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],  # a header: no number
        ["规章", "0", "0", "0"],
        ["规范性文件", "21", "21", "101"],
        ["其他主动公开文件", "12", "—", "88"],  # an addition
        ["", "3", "4", "5"],  # values without a label: placed elsewhere, not an addition
        ["规范性文件", "21", "21", "101"],  # an official row printed twice
        ["文件", "1", "1", "1"],  # the rest of an official label broken over two rows
        ["其他事项说明", "—", "—", "—"],  # placeholders only: no number
    ])  # fmt: skip
    found = {"regulations": Loc(4, 0, 2), "normative_documents": Loc(8, 0, 5)}
    got = extra_rows(items, found, PROACTIVE_ROWS_2019, Loc(0, 0, 0), Loc(len(items), 0, 0))
    assert got == ["其他主动公开文件 | 12 | — | 88"]


def test_an_added_column_the_arithmetic_cannot_place_without_the_header_is_left_alone() -> None:
    from extractors.table_extra import drop_extra_column
    from extractors.table_values import _Raw

    def row_ok(cells: list) -> bool:
        return sum(c.value or 0 for c in cells[:-1]) == (cells[-1].value or 0)

    def rows() -> dict[str, _Raw]:  # 自然人, five orgs, a subtotal, 总计: a 1 under 商业企业 and under the subtotal
        return {"a": _Raw(["47", "1", "", "", "", "", "1", "48"], False), "b": _Raw(["3", "1", "", "", "", "", "1", "4"], False),
                "c": _Raw(["4", "", "", "", "", "", "", "4"], False)}  # fmt: skip

    unsettled = rows()
    assert drop_extra_column(unsettled, 7, row_ok) is None  # the 商业企业 or the subtotal column: either adds up
    assert all(len(raw.tokens) == 8 for raw in unsettled.values())  # nothing dropped
    settled = rows()
    assert drop_extra_column(settled, 7, row_ok, hint=6) == (6, 8)
    assert settled["a"].tokens == ["47", "1", "", "", "", "", "48"]
    assert drop_extra_column(rows(), 7, row_ok, hint=3) is None  # a header that the arithmetic contradicts
