"""Run a crawl in this process and return its per-site summary (used by `nianbao crawl`)."""

from __future__ import annotations

import gc
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from .extensions import SummaryExtension, dropped
from .registry import Site
from .spiders.annual_reports import AnnualReportsSpider
from .useragent import user_agent

NOT_STARTED: dict[str, Any] = {"reason": "not started", "sites": []}

YOUNG_GC_THRESHOLD = 10_000
"""Container allocations (net) between two collections of the youngest generation in a crawl's process (Python's
default is 700)."""


def tune_gc() -> None:
    """Set the crawl process's garbage collector for a crawl: what start-up left is collected and frozen (never
    scanned again), and young objects pile up for YOUNG_GC_THRESHOLD allocations between collections.

    A crawl allocates containers by the thousand a second (requests, items, records back from the workers), most
    freed by their reference counts: with the defaults, a crawl of 5,000 reports spent a tenth of its process's CPU
    in 1,780 young and 13 full collections, the full ones walking every module and class loaded at start.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, 10, 10)


def crawl_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Return the project settings with `overrides` applied and the User-Agent built from NIANBAO_CONTACT.

    Raises ValueError for a contact that cannot go into an HTTP header.
    """
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    if "NIANBAO_CONTACT" in (overrides or {}) and "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", user_agent(settings.get("NIANBAO_CONTACT")), priority="cmdline")
    return settings


def run_crawl(sites: list[Site], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl `sites` to the end and return {"reason", "sites": [per-site rows]}."""
    process = CrawlerProcess(crawl_settings(overrides))
    crawler = process.create_crawler(AnnualReportsSpider)
    process.crawl(crawler, sites=sites)
    tune_gc()
    process.start()
    return crawl_summary(crawler)


def crawl_summary(crawler: Crawler) -> dict[str, Any]:
    """Return the summary the crawl's SummaryExtension kept, or `NOT_STARTED` where the crawl never ran."""
    try:
        summary = crawler.get_extension(SummaryExtension)
    except RuntimeError:  # the crawl failed before its extensions were made
        return NOT_STARTED
    return summary.summary if summary is not None and summary.summary is not None else NOT_STARTED


def attention(summary: dict[str, Any]) -> dict[str, str]:
    """Return, per site that needs a person's attention, why: no report, blocked, host given up, not stored."""
    out: dict[str, str] = {}
    for r in summary["sites"]:
        why = []
        if r["blocked"]:
            why.append(f"blocked ({r['blocked']})")
        if r.get("given_up"):
            why.append(f"host given up ({r['given_up']})")
        if r.get("not_stored"):
            why.append(f"{r['not_stored']} document(s) not stored")
        if r.get("parts_lost"):
            why.append(f"{r['parts_lost']} page(s) of reports cut into pages not fetched: those reports are incomplete")
        if r.get("pictures_lost"):
            why.append(f"{r['pictures_lost']} picture(s) of reports drawn as pictures not fetched: those reports' "
                       "tables may be missing")  # fmt: skip
        if r.get("pages_unread"):
            why.append(f"{r['pages_unread']} page(s) could not be read (their error lines say why)")
        if r.get("budget_hit"):
            why.append(f"budget hit ({r['budget_hit']}): raise max_pages/max_depth or check the pager")
        if drop := dropped(r):
            why.append(drop)
        if not why and r["reports_new"] + r["reports_known"] == 0:
            why.append("no report found")
        if why:
            out[r["site"]] = "; ".join(why)
    return out
