"""Attribution (issue 9 item 4): the issuing body, its region and body_key, from names that real reports carry.

Unit tests of `extractors.attribution` and `crawler.page_meta`; the store's cross-year rules and region
selection on two namings of one body; and a crawl of the demo web's lonsun site (淮安's site, hosting
洪泽区's reports), whose 洪泽区 reports must carry 320813.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from parsel import Selector

from crawler.page_meta import page_marks
from extractors import Evidence, attribute, attribute_record, entity_of, make_body_key
from storage import Store, export, validate

from .conftest import ROOT, crawl_argv
from .databases import raw_bytes, synthetic_record


def _at(agency: str | None, site: str | None = None, **page: str) -> object:
    return attribute(Evidence(agency=agency, site_region_code=site, **page))


# -- regions -------------------------------------------------------------------------------------------------
def test_a_district_report_on_its_city_site_gets_the_district_code():
    a = _at("淮安市洪泽区人民政府", "320800")
    assert (a.region_code, a.body, a.body_key) == ("320813", "洪泽区人民政府", "320813|洪泽区")
    assert a.basis.region_from == "agency" and a.basis.site_region_code == "320800" and a.basis.ambiguous == []
    assert a.region_name == "江苏省淮安市洪泽区"


def test_the_city_itself_keeps_the_site_code_and_the_registry_name():
    a = attribute(Evidence(agency="淮安市人民政府", site_region_code="320800", site_region_name="江苏省淮安市"))
    assert (a.region_code, a.region_name, a.body_key) == ("320800", "江苏省淮安市", "320800|淮安市")


def test_a_department_of_the_site_region_stays_at_the_site_code():
    a = _at("平潭综合实验区财政金融局", "350128")
    assert (a.region_code, a.basis.region_from, a.body_key) == ("350128", "registry", "350128|平潭综合实验区财政金融局")


def test_township_names_resolve_through_the_streets_data_when_unique_in_scope():
    qualified = _at("鹤岗市南山区大陆街道办事处", "230404")
    bare = _at("大陆街道办事处", "230404")  # 大陆街道 is also in 210303: unique only within the site's county
    assert qualified.region_code == bare.region_code == "230404004"
    assert qualified.body_key == bare.body_key == "230404004|大陆街道"
    assert _at("南京市鼓楼区人民政府华侨路街道办事处", "320100").body == "华侨路街道办事处"


def test_a_name_two_regions_share_in_scope_stays_at_the_site_code_with_an_ambiguity():
    a = _at("城关镇人民政府", "620100")  # 城关镇 of 620121 and of 620123, both in 兰州市
    assert a.region_code == "620100" and a.basis.region_from == "registry"
    [amb] = a.basis.ambiguous
    assert (amb.key, amb.source, amb.text) == ("region_code", "agency", "城关镇人民政府")
    assert set(amb.candidates) >= {"620121100", "620123100"}


def test_without_a_site_an_ambiguous_name_leaves_the_code_null():
    a = _at("南山区人民政府")
    assert a.region_code is None and a.body == "南山区人民政府" and a.body_key == "|南山区"
    assert {"230404", "440305"} <= set(a.basis.ambiguous[0].candidates)
    assert _at("鄞州区人民政府办公室").region_code == "330212"  # unique nationwide: placed by its name alone


def test_site_id_code_places_a_url_crawl_without_a_registry_row():
    a = _at("洪泽区人民政府", site_id_code="3208000001")
    assert (a.region_code, a.basis.site_region_code) == ("320813", "320800")
    b = _at("某某局", site_id_code="3208000001")
    assert (b.region_code, b.basis.region_from) == ("320800", "site_id_code")
    assert _at("某某局", site_id_code="bm17000009").region_code is None  # a ministry's code names no region


def test_a_name_outside_the_site_region_is_not_followed():
    a = _at("鄞州区人民政府", "320800")
    assert a.region_code == "320800"
    assert a.basis.ambiguous[0].reason == "names a region outside the site's region"


def test_disagreeing_evidence_keeps_the_common_region():
    a = _at("某某局", "320800", breadcrumb_unit="淮安市洪泽区人民政府", index_organ_code="11320812MB0000000X")
    assert a.region_code == "320800"  # 洪泽区 (breadcrumb) vs 清江浦区 (organ code): neither holds the other
    assert {x.source for x in a.basis.ambiguous} == {"breadcrumb", "index_organ"}


def test_an_unqualified_name_is_placed_and_qualified_by_the_breadcrumb():
    a = _at("区统计局", "320800", breadcrumb_unit="淮安市洪泽区人民政府")
    assert (a.region_code, a.body, a.basis.region_from) == ("320813", "洪泽区统计局", "breadcrumb")


# -- body keys -----------------------------------------------------------------------------------------------
def test_city_qualified_and_bare_district_names_get_one_body_key():
    assert _at("淮安市洪泽区人民政府", "320800").body_key == _at("洪泽区人民政府", "320800").body_key
    assert _at("江苏省淮安市洪泽区人民政府", "320813").body_key == _at("洪泽区人民政府", "320813").body_key


def test_governing_body_forms_fold_to_one_key_and_an_office_stays_its_own_body():
    keys = {_at(n, "350128").body_key for n in ("平潭综合实验区管委会", "平潭综合实验区党工委管委会", "平潭综合实验区")}
    assert keys == {"350128|平潭综合实验区"}
    assert _at("洪泽区政府", "320800").body_key == _at("洪泽区人民政府", "320800").body_key
    assert _at("大陆街道", "230404").body_key == _at("大陆街道办事处", "230404").body_key
    office = _at("洪泽区人民政府办公室", "320800").body_key
    assert office == "320813|洪泽区人民政府办公室" and entity_of(office) == "320813|洪泽区"
    assert make_body_key("320813", "洪泽区 人民政府") == "320813|洪泽区"


def test_attribute_record_is_idempotent_and_keeps_the_site_region():
    record = {"agency": "淮安市洪泽区人民政府", "region_code": "320800", "region_name": "江苏省淮安市", "year": 2024}
    once = attribute_record(record)
    assert attribute_record(once) == once and once["attribution"]["site_region_code"] == "320800"
    assert list(once)[:4] == list(record)  # the record's keys keep their place


# -- page marks ----------------------------------------------------------------------------------------------
def test_page_marks_read_meta_breadcrumb_and_index_number():
    html = """<html><head><meta name="SiteIDCode" content="3208000001"><meta name="sitename" content="淮安市人民政府">
    </head><body><div class="wzy_position">您现在所在的位置：<a>网站首页</a> &gt; <a>政府信息公开</a> &gt;
    <a>淮安市洪泽区人民政府</a> &gt; <a>政府信息公开年报</a></div>
    <table><tr><td>索引号：</td><td>11320813MB1C53279A/2025-00003</td></tr></table></body></html>"""
    marks = page_marks(Selector(text=html))
    assert (marks.site_id_code, marks.site_name, marks.breadcrumb_unit) == ("3208000001", "淮安市人民政府",
                                                                           "淮安市洪泽区人民政府")  # fmt: skip
    assert (marks.index_no, marks.index_organ_code) == ("11320813MB1C53279A/2025-00003", "11320813MB1C53279A")
    assert page_marks(Selector(text="<html><body><p>无</p></body></html>")).to_dict() == {}


# -- the store -----------------------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path):
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", blob_root=tmp_path / "blobs")
    s.migrate()
    yield s
    s.close()


def _add(store: Store, *records: dict) -> None:
    for i, r in enumerate(records):
        store.add(raw_bytes(r), r, {"url": f"https://www.huaian.gov.cn/{i}.pdf", "site": "huaian",
                                    "region_code": "320800", "region_name": "江苏省淮安市"})  # fmt: skip


def test_cross_year_rules_compare_one_body_named_two_ways(store: Store):
    before = synthetic_record("淮安市洪泽区人民政府", 2023, region_code="320800", carried_forward=[5, 0, 0, 0, 0, 0, 5])
    after = synthetic_record("洪泽区人民政府", 2024, region_code="320800", carried_over=[2, 0, 0, 0, 0, 0, 2])
    _add(store, before, after)
    stored = list(store.reports())
    assert {r["body_key"] for r in stored} == {"320813|洪泽区"} and {r["region_code"] for r in stored} == {"320813"}
    findings = validate(store)
    xy01 = [(f.years, f.where, f.expected, f.found, f.region_code) for f in findings if f.rule == "XY-01"]
    assert ((2023, 2024), "carried_over.total", 5, 2, "320813") in xy01
    assert not [f for f in findings if f.rule == "XY-05" and f.where == "agency"]  # one name, prefix dropped


def test_export_region_selects_by_the_body_region_prefix(store: Store, tmp_path: Path):
    city = synthetic_record("淮安市人民政府", 2024, region_code="320800")
    district = synthetic_record("淮安市洪泽区人民政府", 2024, region_code="320800")
    _add(store, city, district)

    def exported(region: str) -> list[str]:
        out = tmp_path / f"{region}.jsonl"
        export(store, "jsonl", str(out), region=region)
        return [json.loads(x)["agency"] for x in out.read_text(encoding="utf-8").splitlines()]

    assert exported("320813") == ["淮安市洪泽区人民政府"]
    assert exported("3208") == ["淮安市人民政府", "淮安市洪泽区人民政府"]
    assert exported("320812") == []


# -- a crawl of the demo web ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_demo_lonsun_site_attributes_hongze_reports_to_the_district(tmp_path: Path):
    from nianbao.demo.server import FixtureWeb

    from .clirun import run

    with FixtureWeb() as web:
        registry = web.write_registry(tmp_path / "all.csv")
        expected = [r for r in web.expected()["reports"] if r["site"] == "lonsun" and r.get("phase", 1) == 1]
        with registry.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        one = tmp_path / "lonsun.csv"
        with one.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if r["site_id"] == "lonsun")
        run(crawl_argv(one, tmp_path), cwd=ROOT)
    feed = [json.loads(x) for x in (tmp_path / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    reports = {r["source_url"]: r for r in feed if r["kind"] == "report"}
    site_code = rows[[r["site_id"] for r in rows].index("lonsun")]["region_code"]
    for exp in expected:
        got = reports[exp["urls"][0]]
        assert got["attribution"]["site_region_code"] == site_code
        assert got["attribution"]["ambiguous"] == []
        if "洪泽区" in exp["agency"]:
            assert (got["region_code"], got["body_key"]) == ("320813", "320813|洪泽区"), got["source_url"]
        else:
            assert got["region_code"] == site_code
    assert sum(r["region_code"] == "320813" for r in reports.values()) == 2
