"""The store step: every document the crawl handled goes into the store, and 304s move fetch times forward.

Documents are written many a transaction (crawler/store_batch.py: those that came during the last write, up to
NIANBAO_STORE_BATCH). A document the store could not write (disk full,
read-only folder, database gone) becomes a `NotStoredItem` ("not stored: …"); its URL is not done in the crawl
memory, so the next crawl fetches it again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy.exceptions import NotConfigured

from storage import Addition

from ..items import DocumentItem, NotReportItem, NotStoredItem, ReportItem, SourceItem, UnchangedItem, UnreadableItem
from ..store import StoreExtension, StoreFailed
from ..store_batch import BatchWriter

logger = logging.getLogger(__name__)

document_not_stored = object()
"""Signal sent with `item=` the DocumentItem whose write the store refused (the dedup step forgets its bytes)."""
document_stored = object()
"""Signal sent with `item=` each DocumentItem once written (the dedup step lets its bytes' other URLs go on)."""


class StorePipeline:
    """Writes report, source, non-report and unreadable items into the store and touches unchanged URLs."""

    def __init__(self, crawler: Any, store: StoreExtension) -> None:
        self.crawler = crawler
        self.store = store
        self.writer: BatchWriter = store.writer
        """Writes the documents (and the spider's crawl memory rows), a batch a transaction."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        store = crawler.get_extension(StoreExtension)
        if store is None:
            raise NotConfigured("no store (NIANBAO_DB is empty)")
        return cls(crawler, store)

    async def close_spider(self) -> None:
        """Write what is still queued before the crawl's store closes."""
        await self.writer.drain()
        self.crawler.stats.set_value("store/batches", self.writer.batches)

    async def process_item(self, item: Any) -> Any:
        """Return the item once stored (a report with its id, seq and status), or a `NotStoredItem`."""
        try:
            written = await self._write(item)
        except StoreFailed as exc:
            return self._not_stored(item, exc)
        doc = getattr(written, "document", None)
        if isinstance(doc, DocumentItem):
            self.crawler.signals.send_catch_log(document_stored, item=doc)
        return written

    async def _write(self, item: Any) -> Any:
        """Return the item after writing it; raise StoreFailed where the store refused."""
        store, run_id = self.store.store, self.store.run_id
        if isinstance(item, ReportItem):
            doc = item.document
            result = await self.writer.add(Addition(doc.body, item.record, doc.source(time.time(), run_id),
                                                    doc.media_type))  # fmt: skip
            item.report_id, item.seq, item.stored = result.report_id, result.seq, result.report
        elif isinstance(item, SourceItem | NotReportItem):
            doc = item.document
            await self.writer.add(Addition(doc.body, None, doc.source(time.time(), run_id), doc.media_type))
        elif isinstance(item, UnreadableItem):
            doc = item.document
            await self.writer.add(Addition(doc.body, None, doc.source(time.time(), run_id), doc.media_type,
                                           item.error))  # fmt: skip
        elif isinstance(item, UnchangedItem):
            await self.store.run(store.memory.touch, item.source_url, time.time(), run_id)
        return item

    def _not_stored(self, item: Any, exc: StoreFailed) -> NotStoredItem:
        """Return the feed's error item for a write the store refused, and let the bytes' next URL try again."""
        doc: DocumentItem | None = getattr(item, "document", None)
        if doc is not None:
            self.crawler.signals.send_catch_log(document_not_stored, item=doc)
        self.crawler.stats.set_value("store/last_error", str(exc))
        url = doc.url if doc is not None else item.source_url
        logger.error("not stored %s: %s", url, exc)
        return NotStoredItem(site=doc.site if doc else item.site, source_url=url, error=f"not stored: {exc}",
                             document=doc)  # fmt: skip
