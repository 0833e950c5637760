"""Deduplication by bytes: the first URL of given bytes is read; later URLs of them only add a source."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import signals

from ..items import DocumentItem, SourceItem
from ..store import StoreExtension, StoreFailed
from .storing import document_not_stored, document_stored

logger = logging.getLogger(__name__)


ASK_WAIT = 0.1
"""Seconds the dedup step gathers the store questions of new bytes before asking them in one go: a question each
in a thread of its own cost the crawl's reactor more than the query (a fast crawl meets several new documents in
that time; a document waits that long at most, before its extraction)."""


class DedupPipeline:
    """Turns a document whose bytes were handled before (in this crawl, or stored by any earlier crawl) into a
    `SourceItem` pointing at the first URL of those bytes, so nothing is read twice and every URL is kept.

    A later URL of bytes whose first URL is still being read and stored waits until that first document is
    settled in the store: written first, its twin's source row would create the document as a non-report, and a
    crawl killed between the two writes would leave the report unread for good (the bytes count as done).
    """

    def __init__(self, store: StoreExtension | None) -> None:
        self.store = store
        self.first_url: dict[str, str] = {}
        """SHA-256 → the first URL this crawl met those bytes at."""
        self.unsettled: dict[str, asyncio.Future[None]] = {}
        """SHA-256 → done once its first URL's document is written to the store, or refused by it."""
        self._questions: dict[str, asyncio.Future[bool]] = {}
        """SHA-256 → the store's answer whether it holds those bytes, for the questions gathering now."""
        self._timer: asyncio.TimerHandle | None = None
        self._asking: set[asyncio.Task[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        pipe = cls(crawler.get_extension(StoreExtension))
        crawler.signals.connect(pipe.forget, signal=document_not_stored)
        crawler.signals.connect(pipe.settle, signal=document_stored)
        # A first document lost on the way (an error in a later step) must not keep its twins waiting.
        crawler.signals.connect(pipe._lost, signal=signals.item_dropped)
        crawler.signals.connect(pipe._lost, signal=signals.item_error)
        return pipe

    async def process_item(self, item: Any) -> Any:
        """Return a `SourceItem` for bytes met before, else the document item itself."""
        if not isinstance(item, DocumentItem):
            return item
        while (first := self.first_url.get(item.sha256)) is not None:
            waiting = self.unsettled.get(item.sha256)
            if waiting is None:
                return SourceItem(document=item, same_as=first, known=False)
            await asyncio.shield(waiting)  # then: settled, or forgotten (this URL may become the first)
        self.first_url[item.sha256] = item.url  # before the await: a twin arriving meanwhile is a duplicate URL
        if self.store is not None:
            self.unsettled[item.sha256] = asyncio.get_running_loop().create_future()
        if await self._stored_before(item.sha256):
            self._release(item.sha256)
            return SourceItem(document=item, same_as=item.url, known=True)
        return item

    def met_in_crawl(self, sha256: str) -> bool:
        """Return True where an item of these bytes came through this step already in this crawl (the next URL of
        them will be a source, unless that first one is not stored: then it is read when it comes through)."""
        return sha256 in self.first_url

    async def met_before(self, sha256: str) -> bool:
        """Return True where these bytes will be a source of bytes met before: the first URL of them in this crawl
        is settled, or the store holds them. The spider asks it before a page that was a document last crawl is
        read, so that a report page met before is not read into a record for nothing (a False only costs that
        reading)."""
        if sha256 in self.first_url and sha256 not in self.unsettled:
            return True
        return await self._stored_before(sha256)

    async def _stored_before(self, sha256: str) -> bool:
        """Return True where the store holds these bytes as a report or a non-report (False without a store), asked
        with the other questions of the next `ASK_WAIT` seconds."""
        if self.store is None:
            return False
        loop = asyncio.get_running_loop()
        answer = self._questions.get(sha256)
        if answer is None:
            answer = self._questions[sha256] = loop.create_future()
            if self._timer is None:
                self._timer = loop.call_later(ASK_WAIT, self._ask)
        return await asyncio.shield(answer)

    def _ask(self) -> None:
        """Ask the store the questions gathered so far, in a task (kept referenced until it ends)."""
        self._timer = None
        questions, self._questions = self._questions, {}
        task = asyncio.ensure_future(self._answer(questions))
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    async def _answer(self, questions: dict[str, asyncio.Future[bool]]) -> None:
        """Set each question's answer: whether the store holds those bytes, all asked in one query (a worker thread)."""
        assert self.store is not None
        memory = self.store.memory
        try:
            stored = await self.store.run(memory.stored_before_many, list(questions))
            known = [sha in stored for sha in questions]
        except StoreFailed as exc:  # read as new: the store step then says whether it can write
            for sha in questions:
                logger.warning("store not asked whether %s is known: %s", sha[:16], exc)
            known = [False] * len(questions)
        for answer, held in zip(questions.values(), known, strict=True):
            if not answer.done():
                answer.set_result(held)

    def _release(self, sha256: str) -> None:
        """Let the URLs waiting on these bytes go on."""
        waiting = self.unsettled.pop(sha256, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    def settle(self, item: DocumentItem) -> None:
        """The store wrote a document (connected to the store step's `document_stored` signal): where it is the
        first URL of its bytes, their later URLs go on as sources."""
        if self.first_url.get(item.sha256) == item.url:
            self._release(item.sha256)

    def forget(self, item: DocumentItem) -> None:
        """Let a later URL of these bytes try again where this URL, their first, could not be stored (connected to
        the store step's `document_not_stored` signal)."""
        if self.first_url.get(item.sha256) == item.url:
            del self.first_url[item.sha256]
            self._release(item.sha256)

    def _lost(self, item: Any, **_: Any) -> None:
        """A document item dropped or failed in a later step: forget it as the first URL of its bytes."""
        doc = item if isinstance(item, DocumentItem) else getattr(item, "document", None)
        if isinstance(doc, DocumentItem):
            self.forget(doc)
