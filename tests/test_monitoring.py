"""Run monitoring (issue 11 item 7): per-run figures set in the crawl stats before the store records the run —
unexpected HTTP statuses and field coverage per site, budgets hit, reports against the last run — carried by the
run row and turned into the exit status (a drop against the last run is attention, exit 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.utils.test import get_crawler

from crawler.extensions import DROP_MIN, MonitorExtension, dropped, site_summary
from crawler.run import attention
from crawler.spiders.annual_reports import AnnualReportsSpider
from nianbao.demo.server import FixtureWeb
from storage import Store
from storage.runs import last_reports

from . import clirun
from .conftest import ROOT, crawl_argv
from .test_budgets import _one_site_registry


def _row(now: int, last: int | None) -> dict:
    return {"site": "a", "reports_new": now, "reports_known": 0, "reports_last_run": last, "blocked": None}


def test_a_drop_against_the_last_run_needs_attention() -> None:
    assert dropped(_row(3, 10)) == "reports dropped from 10 last run to 3"
    assert dropped(_row(5, 10)) is None  # half is not a drop
    assert dropped(_row(0, DROP_MIN - 1)) is None  # too few last time to tell
    assert dropped(_row(0, None)) is None  # never crawled before
    assert attention({"sites": [_row(3, 10)]}) == {"a": "reports dropped from 10 last run to 3"}


def test_unexpected_statuses_and_field_coverage_are_counted_per_site() -> None:
    crawler = get_crawler(AnnualReportsSpider)
    crawler.stats.open_spider()
    ext = MonitorExtension(crawler)
    site = SimpleNamespace(site_id="a")
    for status in (200, 304, 404, 404, 503):
        ext.response(SimpleNamespace(status=status), SimpleNamespace(meta={"site": site}), None)
    ext.response(SimpleNamespace(status=500), SimpleNamespace(meta={}), None)  # robots.txt etc.: no site
    doc = SimpleNamespace(site="a")
    ext.item(SimpleNamespace(document=doc, record={"year": 2024, "agency": "某局", "region_code": None}))
    ext.item(SimpleNamespace(document=doc, record={"year": 2023, "agency": "", "proactive": {"x": 1}}))
    ext.item(SimpleNamespace(site="a", error="boom"))  # not a report: no coverage
    [row] = site_summary(crawler.stats.get_stats(), ["a"])
    assert row["unexpected_http"] == {"404": 2, "503": 1}
    assert row["field_coverage"] == {"reports": 2, "year": 2, "agency": 1, "proactive": 1}


def test_last_reports_reads_the_latest_finished_run_that_crawled_each_site(backend_db_url: str) -> None:
    with Store(backend_db_url) as store:
        store.migrate()
        old = store.start_run(["a", "b"])
        store.finish_run(old, {"site/a/pages": 5, "site/a/reports_new": 7, "site/b/pages": 1}, "finished")
        newer = store.start_run(["a"])
        store.finish_run(newer, {"site/a/pages": 5, "site/a/reports_new": 1, "site/a/reports_known": 8}, "finished")
        broken = store.start_run(["a"])
        store.finish_run(broken, {"site/a/pages": 1}, "interrupted")
        now = store.start_run(["a", "b", "c"])
        assert store.write(lambda s: last_reports(s, ["a", "b", "c"], before=now)) == {"a": 9, "b": 0}
        assert store.write(lambda s: last_reports(s, ["a"], before=newer)) == {"a": 7}


@pytest.mark.slow
def test_figures_are_stored_with_the_run_and_a_drop_is_an_attention_exit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    with FixtureWeb() as web:
        registry = _one_site_registry(web, tmp_path / "sites.csv", "trs", {})
        first = clirun.run(crawl_argv(registry, tmp_path), cwd=ROOT, text=True)
        assert first.returncode == 0, first.stdout + first.stderr[-2000:]
        [row] = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["sites"]
        found = row["reports_new"] + row["reports_known"]
        assert found > 0 and row["reports_last_run"] is None and row["budget_hit"] is None
        assert row["field_coverage"]["reports"] >= row["reports_new"] and row["field_coverage"]["year"] > 0

        second = clirun.run(crawl_argv(registry, tmp_path), cwd=ROOT, text=True)
        assert second.returncode == 0, second.stdout + second.stderr[-2000:]
        [row] = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["sites"]
        assert row["reports_last_run"] == found

        with Store(db) as store:  # a run before this one found far more reports than the web now lists
            run = store.start_run(["trs"])
            store.finish_run(run, {"site/trs/pages": 50, "site/trs/reports_new": 10 * found}, "finished")
        third = clirun.run(crawl_argv(registry, tmp_path), cwd=ROOT, text=True)
    assert third.returncode == 1, third.stdout + third.stderr
    # (a run of a web it has crawled counts each known report and the URLs it is also at: about as many)
    assert re.search(rf"trs: reports dropped from {10 * found} last run to \d+$", third.stderr, re.M), third.stderr
    assert "last run" in third.stdout.splitlines()[0]
    with Store(db) as store:
        runs = store.runs()
    assert [r["status"] for r in runs] == ["finished"] * 4
    stats = runs[-1]["stats"]
    assert stats["site/trs/reports_last_run"] == 10 * found
    assert "site/trs/coverage/reports" not in stats  # nothing new read: coverage counts the reports read
    assert runs[0]["stats"]["site/trs/coverage/year"] > 0
