"""The extract step: each new document is read with `extractors.extract`."""

from __future__ import annotations

import asyncio
from typing import Any

from extractors import ExtractionError, NotAReport, extract

from ..items import DocumentItem, NotReportItem, ReportItem, UnreadableItem


class ExtractPipeline:
    """Reads a `DocumentItem` into a `ReportItem`, a `NotReportItem` (no annual report) or an `UnreadableItem`
    (any other `ExtractionError`: corrupt, too large, encrypted, no text, LibreOffice missing …)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        return cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    async def process_item(self, item: Any) -> Any:
        """Return what the document was read as; other items pass unchanged."""
        if not isinstance(item, DocumentItem):
            return item
        try:
            record = await asyncio.to_thread(
                extract, item.body, name=item.filename, media_type=item.media_type, charset=item.charset,
                context=item.context(), max_bytes=self.max_bytes,
            )  # fmt: skip
        except NotAReport as exc:
            return NotReportItem(document=item, reason=exc.reason)
        except ExtractionError as exc:
            return UnreadableItem(site=item.site, source_url=item.url, error=exc.reason, document=item)
        return ReportItem(document=item, record=record)
