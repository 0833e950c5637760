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
                "browser": get("browser", None),
                "given_up": get("given_up_reason", None),
                "not_stored": get("not_stored"),
                "parts_lost": get("parts_lost"),
                "pictures_lost": get("pictures_lost"),
                "pages_unread": get("pages_unread"),
                "errors": get("errors") + get("too_large"),
                "too_large": get("too_large"),
                "broken_links": get("broken_links"),
                "robots_refused": get("robots_refused"),
                "offsite_refused": get("offsite_refused") + get("offsite_links"),
                "budget_hit": get("budget_hit", None),
                "reports_last_run": get("reports_last_run", None),
                "unexpected_http": {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                                    if k.startswith(f"site/{sid}/http/")},
                "field_coverage": {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                                   if k.startswith(f"site/{sid}/coverage/")},
            }
        )  # fmt: skip
    return rows


EXPECTED_HTTP = frozenset({200, 206, 301, 302, 303, 304, 307, 308})
"""HTTP statuses a crawl expects; every other answer is counted per site (`site/<id>/http/<code>`)."""

COVERAGE_FIELDS = ("year", "agency", "region_code", "published_at", "proactive", "requests", "review_litigation")
"""The record fields whose coverage is counted per site over the reports read (`site/<id>/coverage/<field>`)."""

DROP_MIN = 4
"""A site with at least this many reports last run and under half as many now is a drop (exit 1)."""


def budget_hit(stats: dict[str, Any], sid: str) -> str | None:
    """Return which budgets site `sid` hit (`pages`, `depth`, `list cap`, `answer cut`: a list API's answer too
    large to read whole, `list calls cut` and `script files cut`: a page's script lists and script files past its
    caps) with how many requests, answers, lists or files each refused."""
    hits = [
        f"{name} ×{n}"
        for name, key in (
            ("pages", "budget_pages_refused"),
            ("depth", "budget_depth_refused"),
            ("list cap", "budget_list_cap"),
            ("answer cut", "budget_answer_cut"),
            ("list calls cut", "budget_calls_cut"),
            ("script files cut", "budget_scripts_cut"),
        )
        if (n := stats.get(f"site/{sid}/{key}"))
    ]
    return ", ".join(hits) or None  # fmt: skip


def dropped(row: dict[str, Any]) -> str | None:
    """Return why a summary row's reports dropped against the last run, or None."""
    last = row.get("reports_last_run")
    now = row["reports_new"] + row["reports_known"]
    if last is not None and last >= DROP_MIN and now * 2 < last:
        return f"reports dropped from {last} last run to {now}"
    return None


class MonitorExtension:
    """Per-run figures, set in the stats before the store records the run (so the run row carries them):
    unexpected HTTP statuses and field coverage per site while the crawl runs; at the end, the budgets each
    site hit (`site/<id>/budget_hit`) and its reports in the last run that crawled it (`reports_last_run`).

    Spidermon was evaluated and not used: see README "Run monitoring"."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> MonitorExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def response(self, response: Any, request: Any, spider: Any) -> None:
        site = request.meta.get("site")
        if site is not None and response.status not in EXPECTED_HTTP:
            self.stats.inc_value(f"site/{site.site_id}/http/{response.status}")

    def item(self, item: Any, response: Any = None, spider: Any = None) -> None:
        record = getattr(item, "record", None)
        document = getattr(item, "document", None)
        if not isinstance(record, dict) or document is None:
            return
        for name in COVERAGE_FIELDS:
            if record.get(name) not in (None, "", [], {}):
                self.stats.inc_value(f"site/{document.site}/coverage/{name}")
        self.stats.inc_value(f"site/{document.site}/coverage/reports")

    def closed(self, spider: Any, reason: str) -> None:
        stats = self.stats.get_stats()
        ids = [s.site_id for s in spider.sites]
        for sid in ids:
            hit = budget_hit(stats, sid)
            if hit:
                self.stats.set_value(f"site/{sid}/budget_hit", hit)
        last = self._last_run(ids)
        for sid, n in last.items():
            self.stats.set_value(f"site/{sid}/reports_last_run", n)

    def _last_run(self, ids: list[str]) -> dict[str, int]:
        """Return, per site, its reports in the last finished run that crawled it (from the store, if any)."""
        from storage.runs import last_reports

        from .store import StoreExtension

        try:
            ext = self.crawler.get_extension(StoreExtension)
        except RuntimeError:
            return {}
        if ext is None or ext.run_id is None:
            return {}
        run_id = ext.run_id
        try:
            return ext.store.write(lambda s: last_reports(s, ids, before=run_id))
        except Exception as exc:  # figures only: the crawl's outcome stands
            self.crawler.spider.logger.warning("last run's figures not read: %s", exc)
            return {}


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
