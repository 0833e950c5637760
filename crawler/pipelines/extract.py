"""The extract step: each new document is read with `extractors.extract`, then attributed.

The attribution (`extractors.attribute_record`) names the issuing body and its region from the record's
agency and title, the site's registry region (the record's context) and the page's marks the document
item carries (SiteIDCode, SiteName, breadcrumb unit, 索引号 organ code; for an attachment, those of the
page that linked it): a district's report on its city's site gets the district's code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from extractors import ExtractionError, NotAReport, attribute_record, extract

from ..items import DocumentItem, NotReportItem, ReportItem, UnreadableItem


class ExtractPipeline:
    """Reads a `DocumentItem` into a `ReportItem` (its record attributed), a `NotReportItem` (no annual report)
    or an `UnreadableItem` (any other `ExtractionError`: corrupt, too large, encrypted, no text, LibreOffice
    missing …)."""

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
            record = await asyncio.to_thread(self._read, item)
        except NotAReport as exc:
            return NotReportItem(document=item, reason=exc.reason)
        except ExtractionError as exc:
            return UnreadableItem(site=item.site, source_url=item.url, error=exc.reason, document=item)
        return ReportItem(document=item, record=record)

    def _read(self, item: DocumentItem) -> dict[str, Any]:
        """Return the attributed record of a document; raise ExtractionError where it cannot be read as a report."""
        record = extract(item.body, name=item.filename, media_type=item.media_type, charset=item.charset,
                         context=item.context(), max_bytes=self.max_bytes)  # fmt: skip
        return attribute_record(record, item.page_marks())
