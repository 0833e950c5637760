"""The extract step: each new document is read with `extractors.extract`."""

from __future__ import annotations

import asyncio
from typing import Any

import extractors.errors as extraction_errors
from extractors import ExtractionError, extract

from ..items import DocumentItem, NotReportItem, ReportItem, UnreadableItem


def not_a_report(exc: ExtractionError) -> bool:
    """True where the extractor refused the document as no annual report (rather than failing to read it)."""
    kind = getattr(extraction_errors, "NotAReport", None)
    if kind is not None:
        return isinstance(exc, kind)
    # TODO(issue 8): drop this line once extractors.errors.NotAReport (an ExtractionError) lands; until then the
    # extractor tells a non-report only by this reason (extractors/api.py, `extract`).
    return exc.reason.startswith("not an annual report")


class ExtractPipeline:
    """Reads a `DocumentItem` into a `ReportItem`, a `NotReportItem` (no annual report) or an `UnreadableItem`."""

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
        except ExtractionError as exc:
            if not_a_report(exc):
                return NotReportItem(document=item, reason=exc.reason)
            return UnreadableItem(site=item.site, source_url=item.url, error=exc.reason, document=item)
        return ReportItem(document=item, record=record)
