"""A text dump that dropped a table's blank cells is read by the rows' arithmetic, never by position.

fixtures/textdumps/ holds the bundled HTML reports as a browser's copy gives them (built by
fixtures/textdumps/build.py): a row such as "二、上年结转政府信息公开申请数量 4 4" no longer says which columns its
numbers were in. Every cell must be the gold's value or null and listed as ambiguous; no table error may be blamed
on the publisher for the dump's loss.
"""

from __future__ import annotations

import json

import pytest

from extractors import extract
from extractors.table_values import placements
from extractors.values import Kind

from .conftest import ROOT
from .goldcmp import compare, failed_checks

DUMPS = ROOT / "fixtures" / "textdumps"
CASES = json.loads((DUMPS / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_cell_is_right_or_null_and_listed_and_no_error_is_blamed_on_the_publisher(name: str) -> None:
    gold = CASES[name]
    record = extract(DUMPS / f"{name}.txt")
    listed = {a["cell"] for a in record["ambiguous"]}
    score = compare(record, gold)
    wrong = [(path, got, want) for path, got, want in score.diffs if not (got is None and path in listed)]
    assert not wrong, wrong[:10]
    assert not failed_checks(record) - set(gold.get("failed_checks") or [])
    assert all(a["reason"] == "short_row" for a in record["ambiguous"] if a["cell"] in {p for p, _, _ in score.diffs})


def test_a_short_run_is_placed_every_way_its_order_allows_and_the_arithmetic_narrows_them() -> None:
    kinds = [Kind.COUNT] * 7
    ways = placements(["4", "4"], kinds)
    assert len(ways) == 21  # C(7, 2)
    assert all([c.value for c in way if c.value is not None] == [4, 4] for way in ways)

    def adds_up(cells: list) -> bool:
        return sum(c.value or 0 for c in cells[:-1]) == (cells[-1].value or 0)

    fitting = placements(["4", "4"], kinds, adds_up)
    assert len(fitting) == 6 and all(way[-1].value == 4 for way in fitting)  # 总计 settled; the first 4's column not
    assert placements(["4", "x"], kinds) == []  # a token that is no number: no placement
    signed = [Kind.COUNT, Kind.SIGNED, Kind.COUNT]  # 上一年项目数量, 本年增/减, 处理决定数量
    ways = placements(["减3", "181"], signed)
    assert [[c.value for c in way] for way in ways] == [[None, -3, 181]]  # "减3" only where a change may stand
    assert placements(["1"] * 3, [Kind.COUNT] * 15) == []  # more ways than considered by default
