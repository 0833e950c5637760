"""The event feed's exporter: each feed item is written as its own `feed()` line (crawler.items)."""

from __future__ import annotations

from typing import Any

from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.python import to_bytes


class FeedLinesExporter(JsonLinesItemExporter):
    """Scrapy's JSON-lines exporter, writing a typed crawl item as the line its `feed()` returns.

    Set for the `jsonlines` feed format in crawler/settings.py (FEED_EXPORTERS); other items are written as
    Scrapy writes them.
    """

    def export_item(self, item: Any) -> None:
        feed = getattr(item, "feed", None)
        if not callable(feed):
            super().export_item(item)
        elif self.fields_to_export is None:
            # A feed line is a plain dict, whose fields carry no serializer: Scrapy's walk over its fields (an adapter,
            # a field lookup and a serializer call each) would give the same dict back, at a report record's many keys.
            self.file.write(to_bytes(self.encoder.encode(feed()) + "\n", self.encoding))
        else:
            super().export_item(feed())
