"""The crawler on the second fixture web (fixtures/web2), built from real CMS patterns apart from the crawler: every
report found on every site whose list mechanism is supported, and no negative taken for a report."""

from __future__ import annotations

import pytest

from bench import discovery
from fixtures.web2.sites_e import PHANTOM_PAGES

from .conftest import need_browser

pytestmark = pytest.mark.slow

UNSUPPORTED: set[str] = set()  # sites whose list mechanism the README says is not read (none today)
GATED = {"hy-waf"}  # sites behind a WAF script challenge: read only by a crawl with --browser


def test_every_report_of_the_second_web_is_found_and_no_negative_is_taken() -> None:
    result = discovery.run("web2", 600)
    assert result["exit_status"] == 1, result["stderr_tail"]  # the gated site is blocked: said, and exit 1
    for site, got in result["sites"].items():
        assert not got["false_reports"], f"{site}: not reports taken as reports: {got['false_reports'][:3]}"
        assert not got["negatives_as_reports"], f"{site}: negatives taken: {got['negatives_as_reports'][:3]}"
        if site in GATED:
            assert got["found"] == 0 and "瑞数" in (result["summary"][site]["blocked"] or ""), site
        elif site not in UNSUPPORTED:
            assert got["found"] == got["expected"], f"{site}: missed {got['missed'][:3]}"
    supported = sum(g["expected"] for s, g in result["sites"].items() if s not in UNSUPPORTED | GATED)
    assert result["total"]["found"] >= supported


def test_a_crawl_with_a_browser_reads_the_gated_site_too() -> None:
    need_browser()
    result = discovery.run("web2", 600, ("--browser",))
    assert result["exit_status"] == 1, result["stderr_tail"]  # gp-split's lost pages only (tests/test_split_reports)
    lost = 1 + PHANTOM_PAGES - 2  # one page answering 404, and the pages a pager counts that are not there
    assert f"gp-split: {lost} page(s) of reports cut into pages not fetched" in result["stderr_tail"]
    assert "nianbao: hy-waf" not in result["stderr_tail"], result["stderr_tail"]
    for site, got in result["sites"].items():
        assert not got["false_reports"] and not got["negatives_as_reports"], site
        if site not in UNSUPPORTED:
            assert got["found"] == got["expected"], f"{site}: missed {got['missed'][:3]}"
    for site in GATED:
        row = result["summary"][site]
        assert row["blocked"] is None and row["reports_new"] == result["sites"][site]["expected"], row
        assert "瑞数" in row["browser"], row  # the summary says the host was read through the browser
