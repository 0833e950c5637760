"""The tally step: each document's outcome counted per site, and non-reports taken out of the feed."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from ..items import NotReportItem, NotStoredItem, ReportItem, SourceItem, UnreadableItem


class TallyPipeline:
    """Counts outcomes in the crawl stats as `site/<id>/<outcome>`: reports_new, reports_known, duplicate_urls,
    not_reports, errors (unreadable), not_stored. Fetch outcomes are counted by the spider and the middlewares."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> TallyPipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Return the item once counted; raise DropItem for a non-report (stored, but no line of the feed)."""
        if isinstance(item, ReportItem):
            self._count(item.document.site, "reports_known" if item.stored == "known" else "reports_new")
        elif isinstance(item, SourceItem):
            self._count(item.document.site, "reports_known" if item.known else "duplicate_urls")
        elif isinstance(item, UnreadableItem):
            self._count(item.site, "errors")
        elif isinstance(item, NotStoredItem):
            self._count(item.site, "not_stored")
        elif isinstance(item, NotReportItem):
            self._count(item.document.site, "not_reports")
            raise DropItem(f"{item.document.url}: {item.reason}")
        return item

    def _count(self, site: str, outcome: str) -> None:
        self.stats.inc_value(f"site/{site}/{outcome}")
