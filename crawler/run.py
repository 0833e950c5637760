"""Run a crawl in this process and return its per-site summary (used by `nianbao crawl`)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from .registry import Site
from .spiders.annual_reports import AnnualReportsSpider


def crawl_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Return the project settings with `overrides` applied."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(sites: list[Site], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl `sites` to the end and return {"reason", "sites": [per-site rows]}."""
    process = CrawlerProcess(crawl_settings(overrides))
    crawler = process.create_crawler(AnnualReportsSpider)
    process.crawl(crawler, sites=sites)
    process.start()
    return getattr(crawler, "nianbao_summary", {"reason": "not started", "sites": []})


def failing_sites(summary: dict[str, Any]) -> list[str]:
    """Return the sites that yielded no report (new or known) or were blocked: cron should hear of them."""
    return [r["site"] for r in summary["sites"] if r["blocked"] or (r["reports_new"] + r["reports_known"]) == 0]
