"""Coverage of a region and year (issue 10, item 3): storage/coverage.py and `nianbao coverage`, on SQLite and
PostgreSQL, with the store built directly (bodies learnt from sightings, records added with the storage API)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.cli import main
from storage import Store
from storage.bodies import BodySighting
from storage.coverage import KEYS, coverage, deadlines_from

from .databases import raw_bytes, synthetic_record

HZ = "320813"  # 淮安市洪泽区
HA = "320800"  # 淮安市


@pytest.fixture
def store(backend_store):
    return backend_store


def unit(name: str, kind: str = "platform", region: str = HZ, **kw) -> BodySighting:
    return BodySighting(name, kind, site="hz", site_region_code=region, **kw)


def report(store: Store, agency: str, published: str | None, *, year: int = 2024, site_region: str = HZ,
           url: str | None = None, title: str | None = None, list_date: str | None = None) -> dict:  # fmt: skip
    record = synthetic_record(agency, year, region_code=site_region, published_at=published)
    if title:
        record["title"] = title
    if published is None:
        record.pop("published_at", None)
    url = url or f"http://hz.example/{record['text_sha256'][:12]}.html"
    store.add(raw_bytes(record), record, {"url": url, "site": "hz", "list_date": list_date})
    return record


def rows(store: Store, region: str = HZ, year: int = 2024, *settings: str) -> dict:
    return {r.body_key: r for r in coverage(store, region, year, deadlines_from(settings))}


def test_statuses_and_the_department_and_government_deadlines(store: Store) -> None:
    store.learn_bodies([unit("洪泽区人民政府", "registry"), unit("区统计局"), unit("区财政局"), unit("区教育局"),
                        unit("区水利局")])  # fmt: skip
    report(store, "淮安市洪泽区人民政府", "2025-03-20")  # government: due 31 March
    report(store, "洪泽区统计局", "2025-01-31")  # department: due 31 January, on the day
    report(store, "洪泽区财政局", "2025-02-12")  # 12 days late
    report(store, "洪泽区教育局", None)  # no date anywhere: undated
    report(store, "洪泽区审计局", "2025-01-10")  # in no list: unlisted
    got = rows(store)
    status = {k: (r.status, r.deadline, r.days_late) for k, r in got.items()}
    assert status == {
        "320813|洪泽区": ("on_time", "2025-03-31", None),
        "320813|洪泽区统计局": ("on_time", "2025-01-31", None),
        "320813|洪泽区财政局": ("late", "2025-01-31", 12),
        "320813|洪泽区教育局": ("undated", "2025-01-31", None),
        "320813|洪泽区水利局": ("missing", "2025-01-31", None),
        "320813|洪泽区审计局": ("unlisted", "2025-01-31", None),
    }
    assert got["320813|洪泽区财政局"].published_at == "2025-02-12" and got["320813|洪泽区财政局"].urls
    assert got["320813|洪泽区水利局"].urls == [] and got["320813|洪泽区水利局"].published_at is None
    assert list(got)[-1] == "320813|洪泽区审计局"  # unlisted rows come after the obliged bodies


def test_a_list_date_dates_a_report_and_a_notice_dates_an_undated_one(store: Store) -> None:
    store.learn_bodies([unit("区统计局"), unit("区财政局", "notice", year=2024, date="2025-01-25"),
                        unit("区水利局", "notice", year=2024, date="2025-01-28", report_url="http://hz/slj/2024.html")])  # fmt: skip
    report(store, "洪泽区统计局", None, list_date="2025-01-05")
    report(store, "洪泽区财政局", None)
    got = rows(store)
    assert (got["320813|洪泽区统计局"].status, got["320813|洪泽区统计局"].published_at) == ("on_time", "2025-01-05")
    assert (got["320813|洪泽区财政局"].status, got["320813|洪泽区财政局"].published_at) == ("on_time", "2025-01-25")
    linked = got["320813|洪泽区水利局"]  # no stored report, but the notice links it
    assert (linked.status, linked.published_at, linked.urls) == ("on_time", "2025-01-28", ["http://hz/slj/2024.html"])


def test_a_township_has_no_deadline_unless_the_user_sets_one(store: Store) -> None:
    store.learn_bodies([unit("岔河镇人民政府")])
    report(store, "洪泽区岔河镇人民政府", "2025-04-25")
    row = rows(store)["320813103|岔河镇"]
    assert (row.level, row.status, row.deadline, row.days_late) == ("township", "on_time", None, None)
    row = rows(store, HZ, 2024, "township=2025-03-31")["320813103|岔河镇"]
    assert (row.status, row.deadline, row.days_late) == ("late", "2025-03-31", 25)
    row = rows(store, HZ, 2024, "township=2025-03-31", "320813103=2025-05-01")["320813103|岔河镇"]
    assert (row.status, row.deadline) == ("on_time", "2025-05-01")  # a region's setting beats a level's


def test_a_renamed_body_is_one_row_whichever_name_its_report_carries(store: Store) -> None:
    store.learn_bodies([unit("区文体广电局", column_url="http://hz/wt/nb/")])
    store.learn_bodies([unit("区文化和旅游局", column_url="http://hz/wt/nb/")])
    report(store, "洪泽区文化和旅游局", "2025-01-20")
    report(store, "洪泽区文体广电局", "2024-01-20", year=2023)
    assert [(r.body_key, r.status) for r in rows(store).values()] == [("320813|洪泽区文体广电局", "on_time")]
    assert [(r.body_key, r.status) for r in rows(store, HZ, 2023).values()] == [("320813|洪泽区文体广电局", "on_time")]


def test_a_body_only_in_an_earlier_notice_under_its_former_name_is_the_same_body(store: Store) -> None:
    store.learn_bodies([unit("区文体广电局", "notice", year=2023, date="2024-01-30")])
    store.learn_bodies([unit("区文化和旅游局（原区文体广电局）", column_url="http://hz/wt/nb/")])
    report(store, "洪泽区文化和旅游局", "2025-01-20")
    got = rows(store)
    assert [(r.body, r.status) for r in got.values()] == [("洪泽区文化和旅游局", "on_time")]


def test_a_government_offices_report_counts_for_the_government(store: Store) -> None:
    store.learn_bodies([unit("洪泽区人民政府", "registry")])
    report(store, "淮安市洪泽区人民政府办公室", "2025-03-25", title="洪泽区人民政府2024年政府信息公开工作年度报告")
    got = rows(store)
    assert list(got) == ["320813|洪泽区"]
    assert (got["320813|洪泽区"].status, got["320813|洪泽区"].deadline) == ("on_time", "2025-03-31")


def test_a_district_report_on_the_city_site_counts_for_the_district(store: Store) -> None:
    store.learn_bodies([unit("淮安市财政局", region=HA), unit("洪泽区财政局", region=HA)])
    report(store, "淮安市洪泽区财政局", "2025-01-15", site_region=HA)  # hosted on the city's site
    city = rows(store, HA)
    assert city["320800|淮安市财政局"].status == "missing"
    assert city["320813|洪泽区财政局"].status == "on_time"
    assert [r.status for r in rows(store, HZ).values()] == ["on_time"]


def test_a_retired_body_is_not_obliged_from_its_year(store: Store, tmp_path: Path) -> None:
    store.learn_bodies([unit("区粮食局"), unit("区统计局")])
    csv_file = tmp_path / "b.csv"
    csv_file.write_text("action,name,region_code,year\nretire,洪泽区粮食局,320813,2024\n", encoding="utf-8")
    assert main(["bodies", "import", str(csv_file), "--db", store.url]) == 0
    assert "320813|洪泽区粮食局" not in rows(store, HZ, 2024)
    assert rows(store, HZ, 2023)["320813|洪泽区粮食局"].status == "missing"


def test_the_command_json_csv_table_and_exit_status(store: Store, capsys) -> None:
    store.learn_bodies([unit("区统计局"), unit("区水利局")])
    report(store, "洪泽区统计局", "2025-01-20")
    argv = ["coverage", "--region", HZ, "--year", "2024", "--db", store.url]
    assert main([*argv, "--format", "json"]) == 1  # 区水利局 is missing
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list) and [tuple(r) for r in data] == [KEYS, KEYS]
    assert {r["status"] for r in data} == {"on_time", "missing"}
    assert main([*argv, "--format", "csv"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ",".join(KEYS) and "department,1,0,1,0,0,2" in out
    assert main([*argv, "--format", "table"]) == 1
    assert "missing" in capsys.readouterr().out
    report(store, "洪泽区水利局", "2025-01-21")
    assert main([*argv, "--format", "json"]) == 0
    capsys.readouterr()


def test_the_command_refuses_bad_input_in_one_line(store: Store, capsys) -> None:
    argv = ["coverage", "--year", "2024", "--db", store.url]
    assert main([*argv, "--region", "99"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "nianbao: --region 99: no such GB/T 2260 region code, and no stored body or report carries it"]  # fmt: skip
    assert main([*argv, "--region", HZ, "--deadline", "county=2025-01-01"]) == 2
    assert "neither a level" in capsys.readouterr().err


def test_a_region_code_the_table_lacks_works_where_bodies_carry_it(store: Store) -> None:
    from datetime import UTC, datetime

    from storage.models import Body

    def add(s):
        s.add(Body(body_key="329999|新区", name="新区", level="government", region_code="329999", names=["新区"],
                   evidence=[], updated_at=datetime.now(UTC)))  # fmt: skip

    store.write(add)
    assert [(r.body_key, r.status, r.deadline) for r in coverage(store, "329999", 2024)] == [
        ("329999|新区", "missing", "2025-03-31")]  # fmt: skip
    assert main(["coverage", "--region", "329999", "--year", "2024", "--db", store.url]) == 1
