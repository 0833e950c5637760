"""Deduplication by bytes: the first URL of given bytes is read; later URLs of them only add a source."""

from __future__ import annotations

import logging
from typing import Any

from ..items import DocumentItem, SourceItem
from ..store import StoreExtension, StoreFailed
from .storing import document_not_stored

logger = logging.getLogger(__name__)


class DedupPipeline:
    """Turns a document whose bytes were handled before (in this crawl, or stored by any earlier crawl) into a
    `SourceItem` pointing at the first URL of those bytes, so nothing is read twice and every URL is kept."""

    def __init__(self, store: StoreExtension | None) -> None:
        self.store = store
        self.first_url: dict[str, str] = {}
        """SHA-256 → the first URL this crawl met those bytes at."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        pipe = cls(crawler.get_extension(StoreExtension))
        crawler.signals.connect(pipe.forget, signal=document_not_stored)
        return pipe

    async def process_item(self, item: Any) -> Any:
        """Return a `SourceItem` for bytes met before, else the document item itself."""
        if not isinstance(item, DocumentItem):
            return item
        first = self.first_url.get(item.sha256)
        if first is not None:
            return SourceItem(document=item, same_as=first, known=False)
        self.first_url[item.sha256] = item.url  # before the await: a twin arriving meanwhile is a duplicate URL
        if await self._stored_before(item.sha256):
            return SourceItem(document=item, same_as=item.url, known=True)
        return item

    async def _stored_before(self, sha256: str) -> bool:
        """Return True where the store holds these bytes as a report or a non-report (False without a store)."""
        if self.store is None:
            return False
        try:
            return await self.store.run(self.store.memory.stored_before, sha256)
        except StoreFailed as exc:  # read as new: the store step then says whether it can write
            logger.warning("store not asked whether %s is known: %s", sha256[:16], exc)
            return False

    def forget(self, item: DocumentItem) -> None:
        """Let a later URL of these bytes try again where this URL, their first, could not be stored (connected to
        the store step's `document_not_stored` signal)."""
        if self.first_url.get(item.sha256) == item.url:
            del self.first_url[item.sha256]
