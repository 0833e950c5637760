"""Extensions: the per-site summary and the live progress line (the store's is crawler.store.StoreExtension)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


def site_summary(stats: dict[str, Any], site_ids: list[str]) -> list[dict[str, Any]]:
    """Return one summary row per site from the crawl stats."""
    rows = []
    for sid in site_ids:

        def get(key: str, default: Any = 0, sid: str = sid) -> Any:
            return stats.get(f"site/{sid}/{key}", default)

        rows.append(
            {
                "site": sid,
                "pages": get("pages"),
                "reports_new": get("reports_new"),
                "reports_known": get("reports_known"),
                "duplicate_urls": get("duplicate_urls"),
                "not_reports": get("not_reports"),
                "blocked": get("blocked_reason", None),
                "given_up": get("given_up_reason", None),
                "not_stored": get("not_stored"),
                "errors": get("errors") + get("too_large"),
                "too_large": get("too_large"),
                "broken_links": get("broken_links"),
                "robots_refused": get("robots_refused"),
                "offsite_refused": get("offsite_refused") + get("offsite_links"),
            }
        )
    return rows


class SummaryExtension:
    """At the end, keeps the crawl's summary (`summary`) and writes it as JSON to NIANBAO_SUMMARY (if set)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.summary: dict[str, Any] | None = None
        """{"reason": why the crawl ended, "sites": one `site_summary` row per site}, once the spider closed."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SummaryExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def closed(self, spider: Any, reason: str) -> None:
        rows = site_summary(self.crawler.stats.get_stats(), [s.site_id for s in spider.sites])
        self.summary = {"reason": reason, "sites": rows}
        path = self.crawler.settings.get("NIANBAO_SUMMARY")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(self.summary, ensure_ascii=False, indent=1), "utf-8")


class ProgressExtension:
    """On a terminal (NIANBAO_PROGRESS), rewrites one status line every few seconds: pages, reports, errors."""

    def __init__(self, crawler: Any, every: float) -> None:
        self.crawler = crawler
        self.every = every
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressExtension:
        if not crawler.settings.getbool("NIANBAO_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler, crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 2.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        self.sites = [s.site_id for s in spider.sites]
        self.loop.start(self.every, now=False)

    def line(self) -> str:
        """Return the status line: totals, then `site pages/reports/errors` for the sites with work done."""
        rows = site_summary(self.crawler.stats.get_stats(), self.sites)
        pages = sum(r["pages"] for r in rows)
        reports = sum(r["reports_new"] + r["reports_known"] for r in rows)
        errors = sum(r["errors"] + r["not_stored"] for r in rows)
        busy = [f"{r['site']} {r['pages']}/{r['reports_new'] + r['reports_known']}/{r['errors']}"
                for r in rows if r["pages"]]  # fmt: skip
        elapsed = int(time.monotonic() - self.started)
        head = f"[{elapsed // 60:02d}:{elapsed % 60:02d}] pages {pages}  reports {reports}  errors {errors}"
        return head + ("  | " + "  ".join(busy) + "  (pages/reports/errors)" if busy else "")

    def show(self) -> None:
        cols = shutil.get_terminal_size((100, 20)).columns
        sys.stderr.write("\r\x1b[K" + self.line()[: cols - 1])
        sys.stderr.flush()

    def closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
