"""Budgets that say so (issue 11 item 3): a site that reaches its page budget, its depth or a list's pager cap is
counted (`site/<id>/budget_*`), shown in the summary's `budget hit` column, carried by the run row's stats, and
makes the crawl's exit status 1 (attention)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from crawler import paging
from crawler.extensions import budget_hit, site_summary
from crawler.paging import ListCall
from crawler.registry import Site, load_sites
from crawler.run import attention
from crawler.spiders.annual_reports import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAGES, PAGES_PER_REPORT, page_budget
from fixtures.web2.platform import PlatformWeb
from nianbao.demo.server import FixtureWeb
from storage import Store

from . import clirun
from .conftest import ROOT, crawl_argv
from .responses import WEB, page
from .test_unit_spider import LIST, collect, meta, spider_for, stats


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The demo web's registry, as `nianbao demo` writes it."""
    return {s.site_id: s for s in load_sites(WEB.write_registry(tmp_path_factory.mktemp("reg") / "sites.csv"))}


def test_the_defaults_fit_a_platform_of_thousands_of_units() -> None:
    # platform → unit list → unit → 信息公开 → 年报 column → report page → document.
    assert DEFAULT_MAX_DEPTH >= 6
    # 3,000 units listed 15 a page (pages showing no report, the ones the pager cap counts).
    assert paging.MAX_PAGES >= 3000 // 15
    # The crawl of such a platform is measured in test_a_platform_of_units_is_read_whole_within_its_budget, its
    # 年报 column (pages showing reports, however many) in test_a_column_is_paged_to_its_end_….


def test_each_report_a_site_yields_raises_its_page_budget(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    site = Site(trs.site_id, trs.name, trs.start_urls, trs.allowed_hosts,
                overrides={"max_pages": 2, "pages_per_report": 3})  # fmt: skip
    spider = spider_for(site)
    counter = spider.crawler.stats
    urls = (f"{site.start_urls[0]}p{n}.html" for n in range(100))

    def asked(n: int) -> list[bool]:
        return [spider._request(site, next(urls), role="list", depth=1, context={}) is not None for _ in range(n)]

    # The start page is the first of 2 pages; past them a request waits for the reports still to come.
    assert asked(3) == [True, False, False] and len(spider.held["trs"]) == 2
    assert stats(spider, "trs")["budget_held"] == 2 and "budget_pages_refused" not in stats(spider, "trs")
    again = spider._request(site, f"{site.start_urls[0]}p1.html", role="list", depth=1, context={})
    assert again is None and len(spider.held["trs"]) == 2, "a URL linked again while it waits is not asked twice"
    counter.inc_value("site/trs/reports_new")  # a report: 3 pages more, the waiting ones first
    assert [r.url for r in spider.release_held()] == [f"{site.start_urls[0]}p{n}.html" for n in (1, 2)]
    assert asked(2) == [True, False] and not spider.release_held(), "no room: what waits is refused"
    assert "trs" not in spider.held and stats(spider, "trs")["budget_pages_refused"] == 1
    counter.inc_value("site/trs/reports_known")  # a report known from an earlier run, or answered 304
    counter.inc_value("site/trs/duplicate_urls")  # another URL of bytes met already: earns nothing
    assert asked(4) == [True, True, True, False] and len(spider.release_held()) == 0
    assert stats(spider, "trs")["budget_pages_refused"] == 2
    assert page_budget(site, 10) == 32 and page_budget(trs, 0) == DEFAULT_MAX_PAGES
    assert page_budget(trs, 1) - page_budget(trs, 0) == PAGES_PER_REPORT


def test_a_site_past_its_page_budget_is_counted_and_needs_attention(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    small = Site(trs.site_id, trs.name, trs.start_urls, trs.allowed_hosts, overrides={"max_pages": 3})
    spider = spider_for(small)
    collect(spider.parse_page(page("trs", LIST, meta=meta(small))))
    assert stats(spider, "trs")["budget_held"] > 0 and spider.held["trs"]
    assert spider.release_held() == [], "the crawl ran out of work with no report to make room"
    got = stats(spider, "trs")
    assert got["budget_pages_refused"] > 0 and "budget_depth_refused" not in got
    all_stats = spider.crawler.stats.get_stats()
    assert budget_hit(all_stats, "trs") == f"pages ×{got['budget_pages_refused']}"
    spider.crawler.stats.set_value("site/trs/budget_hit", budget_hit(all_stats, "trs"))
    spider.crawler.stats.set_value("site/trs/reports_new", 2)  # a report found does not hide the budget
    [row] = site_summary(spider.crawler.stats.get_stats(), ["trs"])
    assert row["budget_hit"].startswith("pages ×")
    assert "budget hit (pages ×" in attention({"sites": [row]})["trs"]


def test_a_site_past_its_depth_is_counted(sites: dict[str, Site]) -> None:
    trs = sites["trs"]
    shallow = Site(trs.site_id, trs.name, trs.start_urls, trs.allowed_hosts, overrides={"max_depth": 0})
    spider = spider_for(shallow)
    collect(spider.parse_page(page("trs", LIST, meta=meta(shallow))))
    got = stats(spider, "trs")
    assert got["budget_depth_refused"] > 0 and "budget_pages_refused" not in got
    assert budget_hit(spider.crawler.stats.get_stats(), "trs").startswith("depth ×")


def test_the_pager_cap_counts_the_pages_that_showed_no_new_report(monkeypatch: pytest.MonkeyPatch) -> None:
    call = ListCall("http://x/list", page_key="page", in_query=("page",))
    monkeypatch.setattr(paging, "MAX_PAGES", 2)
    assert call.has_page(5000, barren=1) and not call.has_page(3, barren=2) and call.capped(3, barren=2)
    assert call.has_page(3, barren=2, cap=3) and not call.has_page(3, barren=3, cap=3)  # a site's max_list_pages
    assert not ListCall("http://x/list", page_key="page", last=1).capped(5, barren=9)  # the site's own last page


def test_a_list_stopped_by_the_pager_cap_is_counted(sites: dict[str, Site], monkeypatch: pytest.MonkeyPatch) -> None:
    trs = sites["trs"]
    spider = spider_for(trs)
    [pager] = [r for r in collect(spider.parse_page(page("trs", LIST, meta=meta(trs)))) if "pager" in r.meta["context"]]
    assert pager.meta["context"]["barren"] == 0  # the list's first page showed reports
    monkeypatch.setattr(paging, "MAX_PAGES", 1)  # one page without a new report stops the list
    later = page("trs", "/zfxxgk/zfxxgknb/index_1.html", request=pager)
    # A page showing new reports does not count toward the cap: the next page is asked for.
    [going] = list(spider._next_page(later, trs, (20, 20)))
    assert going.meta["context"]["page"] == pager.meta["context"]["page"] + 1 and going.meta["context"]["barren"] == 0
    assert "budget_list_cap" not in stats(spider, "trs")
    # A page whose new links are no reports is the one the cap counts: past it the list stops, counted.
    assert list(spider._next_page(later, trs, (20, 0))) == []
    assert stats(spider, "trs")["budget_list_cap"] == 1
    assert budget_hit(spider.crawler.stats.get_stats(), "trs") == "list cap ×1"
    # Shown nothing new, a list ends there whatever the cap: that is no budget hit.
    assert list(spider._next_page(later, trs, (0, 0))) == [] and stats(spider, "trs")["budget_list_cap"] == 1


def _one_site_registry(web: FixtureWeb, path: Path, site: str, overrides: dict) -> Path:
    web.write_registry(path)
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    [row] = [r for r in rows if r["site_id"] == site]
    row["overrides"] = json.dumps(overrides)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(row)
    return path


@pytest.mark.slow
def test_a_crawl_that_hits_a_budget_says_so_in_the_table_the_summary_the_run_row_and_exit_status(
    tmp_path: Path,
) -> None:
    with FixtureWeb() as web:
        registry = _one_site_registry(web, tmp_path / "sites.csv", "trs", {"max_pages": 4, "pages_per_report": 0})
        proc = clirun.run(crawl_argv(registry, tmp_path), cwd=ROOT, text=True)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "budget hit" in proc.stdout and "pages ×" in proc.stdout
    assert "trs: " in proc.stderr and "budget hit (pages ×" in proc.stderr
    [row] = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["sites"]
    assert row["pages"] <= 4 and row["budget_hit"].startswith("pages ×")
    with Store(f"sqlite:///{tmp_path / 'nianbao.sqlite'}") as store:
        [run] = store.runs()
    assert run["stats"]["site/trs/budget_hit"] == row["budget_hit"]
    assert run["stats"]["site/trs/budget_pages_refused"] > 0


def _platform_crawl(tmp_path: Path, units: int, overrides: dict[str, int], column: int = 0
                    ) -> tuple[Any, set[str], set[str], dict]:  # fmt: skip
    """Crawl a platform of `units` units (fixtures.web2.platform) with its registry row's `overrides`, or its 年报
    column of `column` reports a page alone where not 0; return the process, the report URLs expected, those in the
    feed, and the summary row (with the requests the platform answered, and its list API's)."""
    with PlatformWeb(units, column_per_page=column, tree=not column) as web:
        registry = web.write_registry(tmp_path / "sites.csv")
        with registry.open(encoding="utf-8") as fh:
            [row] = list(csv.DictReader(fh))
        row["overrides"] = json.dumps(overrides)
        with registry.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(row))
            writer.writeheader()
            writer.writerow(row)
        expected = set(web.expected_urls())
        proc = clirun.run(crawl_argv(registry, tmp_path), cwd=ROOT, text=True)
        requests = len(web.requests)
        list_pages = sum(r["path"].endswith("dataproxy.jsp") for r in web.requests)
    lines = [json.loads(x) for x in (tmp_path / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    found = {x["source_url"] for x in lines if x["kind"] in ("report", "source")}
    [summary] = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["sites"]
    summary["requests"], summary["list_pages"] = requests, list_pages
    return proc, expected, found, summary


@pytest.mark.slow
def test_a_column_is_paged_to_its_end_however_many_pages_show_reports(tmp_path: Path) -> None:
    # 291 reports 5 a page: 58 pages from the list API, each showing reports, under a cap of 10 pages without one.
    proc, expected, found, row = _platform_crawl(tmp_path, 60, {"max_list_pages": 10}, column=5)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert found == expected and len(expected) == 291
    assert row["list_pages"] == 58 and not row["budget_hit"]


@pytest.mark.slow
@pytest.mark.parametrize("per_report", [PAGES_PER_REPORT, 0])
def test_a_platform_of_units_is_read_whole_within_its_budget(tmp_path: Path, per_report: int) -> None:
    # 60 units, each of whose earlier years is asked for by fbtime (about 9.6 requests a unit, 4.9 reports), under
    # the budget 3,000 units would have by default (20,000 pages): 400. Without the pages its reports earn
    # (per_report 0, the budget before) the crawl is cut a third of the way short, and says so.
    units, max_pages = 60, DEFAULT_MAX_PAGES * 60 // 3000
    proc, expected, found, row = _platform_crawl(tmp_path, units, {"max_pages": max_pages,
                                                                   "pages_per_report": per_report})  # fmt: skip
    print(f"\nper report {per_report}: {len(found & expected)}/{len(expected)} reports, {row['requests']} requests, "
          f"budget hit {row['budget_hit']}, exit {proc.returncode}")
    assert found <= expected
    if per_report:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert found == expected and not row["budget_hit"]
        assert max_pages < row["requests"] <= max_pages + per_report * len(found) + 1  # + robots.txt
    else:
        assert proc.returncode == 1 and row["budget_hit"].startswith("pages ×")
        assert len(found) < len(expected) and row["requests"] <= max_pages + 1


@pytest.mark.slow
def test_a_revisit_of_a_platform_earns_its_budget_from_the_reports_it_knows(tmp_path: Path) -> None:
    # The second crawl asks the same pages conditionally (304s) and finds every report known: known reports earn
    # pages as new ones do, so the revisit is not cut where the first crawl was not.
    units, max_pages = 60, DEFAULT_MAX_PAGES * 60 // 3000
    _, expected, _, first = _platform_crawl(tmp_path, units, {"max_pages": max_pages})
    proc, _, _, again = _platform_crawl(tmp_path, units, {"max_pages": max_pages})
    print(f"\nfirst: {first['reports_new']} new, {first['requests']} requests; again: {again['reports_known']} known, "
          f"{again['requests']} requests, budget hit {again['budget_hit']}, exit {proc.returncode}")
    assert first["reports_new"] == len(expected) and not first["budget_hit"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert again["reports_known"] == len(expected) and again["reports_new"] == 0 and not again["budget_hit"]


@pytest.mark.slow
def test_requests_past_the_budget_wait_for_the_reports_that_make_room(tmp_path: Path) -> None:
    # A budget of a quarter of what the platform needs: past it the requests wait (sent from the engine's idle as
    # the reports come), where before they were dropped; none is refused, nothing is lost.
    proc, expected, found, row = _platform_crawl(tmp_path, 60, {"max_pages": 100})
    with Store(f"sqlite:///{tmp_path / 'nianbao.sqlite'}") as store:
        [run] = store.runs()
    held = run["stats"].get("site/qp-platform/budget_held", 0)
    print(f"\n{len(found & expected)}/{len(expected)} reports, {row['requests']} requests, {held} waited")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert found == expected and not row["budget_hit"] and held > 0
    assert "site/qp-platform/budget_pages_refused" not in run["stats"]
