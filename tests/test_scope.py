"""SCOPE-01: a 市/区/县 government's report says whose figures it gives, and its text counts what its table does.

fixtures/scope/ holds a bundled 区政府办公室 report (table 三 本年新收 total 48) with part 一 changed (built by
fixtures/scope/build.py): the office's own count beside the table's other figure is flagged, and so is a part 一
that never says whose figures they are; a matching count, or a whole-region count (T3-06's business), is not.
"""

from __future__ import annotations

import json

import pytest

from extractors import extract
from extractors.checks import check_scope

from .conftest import ROOT
from .test_extra_layout import PLAIN

SCOPE = ROOT / "fixtures" / "scope"
CASES = json.loads((SCOPE / "expected.json").read_text(encoding="utf-8"))


def _scope(record: dict) -> list[dict]:
    return [{"where": c["where"], "expected": c.get("expected"), "found": c.get("found")}
            for c in record["checks"] if c["rule"] == "SCOPE-01"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_district_office_report_is_flagged_where_its_text_and_table_differ_in_scope(name: str) -> None:
    record = extract(SCOPE / f"{name}.html")
    assert record["agency"].endswith("区人民政府办公室")
    assert _scope(record) == CASES[name]


# format-spec's own example of SCOPE-01: 洪泽区 2024, "区政府办代表区政府受理…17件" beside a table of 95.
SPEC_EXAMPLE = ROOT / "nianbao" / "demo" / "corpus" / "real" / "huaian_hongze_district_gov_2024_pdf_hybrid_2021t2_2019t3.pdf"


def test_the_spec_example_is_flagged() -> None:
    assert _scope(extract(SPEC_EXAMPLE)) == [{"where": "new_received", "expected": 95, "found": 17}]


@pytest.mark.parametrize("path", [p for p in PLAIN if p != SPEC_EXAMPLE],
                         ids=[str(p.relative_to(ROOT)) for p in PLAIN if p != SPEC_EXAMPLE])  # fmt: skip
def test_no_other_bundled_report_is_flagged(path) -> None:
    if path.name.endswith(".expected.json"):
        path = path.with_name(path.name.removesuffix(".expected.json") + ".md")
    if not path.is_file():
        pytest.skip("not a report")
    assert _scope(extract(path)) == []


def test_only_a_city_district_or_county_government_is_asked() -> None:
    text = "2024年，区政府办代表区政府受理政府信息公开申请17件。"
    assert [c.where for c in check_scope("某区人民政府", text, 95)] == ["new_received"]
    wide = check_scope("某区人民政府", "区政府办受理政府信息公开申请１７件；全部答复。", 95)  # full-width digits
    assert [(c.where, c.found) for c in wide] == [("new_received", 17)]
    assert [c.where for c in check_scope("某市人民政府办公厅", "本年共受理申请3件。", 3)] == ["scope"]
    for says in ("2024年，我市共受理申请3件。", "本市受理申请3件。", "全市受理申请3件。", "汇总各部门数据。"):
        assert check_scope("某市人民政府", says, 3) == [], says  # the whole region's figures, in its own words
    for agency in ("某区教育局", "某镇人民政府", "某街道办事处", None):
        assert check_scope(agency, text, 95) == []
    assert check_scope("某区人民政府", None, 95) == []  # part 一 not found: nothing said about the publisher
    assert check_scope("某区人民政府", text, None) == []  # table 三's total unread: no mismatch; the text says 区政府办
