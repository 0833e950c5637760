"""The event feed's exporter: each feed item is written as its own `feed()` line (crawler.items)."""

from __future__ import annotations

from typing import Any

from scrapy.exporters import JsonLinesItemExporter


class FeedLinesExporter(JsonLinesItemExporter):
    """Scrapy's JSON-lines exporter, writing a typed crawl item as the line its `feed()` returns.

    Set for the `jsonlines` feed format in crawler/settings.py (FEED_EXPORTERS); other items are written as
    Scrapy writes them.
    """

    def export_item(self, item: Any) -> None:
        feed = getattr(item, "feed", None)
        super().export_item(feed() if callable(feed) else item)
