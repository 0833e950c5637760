"""The crawl's store (NIANBAO_DB): opened once, the crawl run recorded in it, store calls run off the reactor.

The pipelines, the conditional-request middleware and the spider find it with
`crawler.get_extension(StoreExtension)`; where NIANBAO_DB is empty it is not configured, and the crawl
stores nothing and remembers nothing (every crawl then fetches everything).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task, threads

from storage import Store
from storage.memory import CrawlMemory
from storage.sql import error_line

from .store_writer import StoreFailed, WriterProcess, separate_process_possible

if TYPE_CHECKING:
    from storage import Addition, AddResult

    from .store_batch import BatchWriter

HEARTBEAT_S = 60
T = TypeVar("T")


class StoreExtension:
    """Opens and migrates the store named by NIANBAO_DB (blobs in NIANBAO_BLOBS), records the crawl run in it
    (start, a heartbeat every minute, end with the stats) and runs store calls in worker threads."""

    def __init__(self, crawler: Any, store: Store) -> None:
        self.crawler = crawler
        self.store = store
        self.run_id: int | None = None
        """The crawl run's id, from the moment the spider opens."""
        self._beat: task.LoopingCall | None = None
        self._writer: BatchWriter | None = None
        self.writer_process: WriterProcess | None = None
        """The process the batches are written in (NIANBAO_STORE_PROCESS), from the moment the spider opens; None:
        they are written in a worker thread of the crawl."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreExtension:
        db = crawler.settings.get("NIANBAO_DB")
        if not db:
            raise NotConfigured("NIANBAO_DB is empty: nothing is stored or remembered")
        store = Store(db, crawler.settings.get("NIANBAO_BLOBS") or None)
        store.migrate()
        ext = cls(crawler, store)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    @property
    def memory(self) -> CrawlMemory:
        """The crawl memory in the store: what earlier crawls, by any worker, learnt of each URL."""
        return self.store.memory

    @property
    def writer(self) -> BatchWriter:
        """The crawl's batched writes of documents and crawl memory rows (up to NIANBAO_STORE_BATCH a transaction,
        gathered for NIANBAO_STORE_WAIT seconds)."""
        if self._writer is None:
            from .store_batch import BatchWriter  # it needs this module's StoreFailed

            settings = self.crawler.settings
            self._writer = BatchWriter(self, settings.getint("NIANBAO_STORE_BATCH", 64),
                                       settings.getfloat("NIANBAO_STORE_WAIT", 0.0))  # fmt: skip
        return self._writer

    async def run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Return what `call(*args, **kwargs)` returns, run in a worker thread.

        Raises StoreFailed with one line where it failed: counted by the caller, never lost silently.
        """
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except Exception as exc:
            raise StoreFailed(error_line(exc)) from exc

    async def add_many(self, additions: list[Addition], rows: list[dict[str, Any]]) -> list[AddResult]:
        """Return what `Store.add_many(additions, rows)` returns, written in the writer process where the crawl has
        one, else in a worker thread. Raises StoreFailed with one line where the store refused the batch."""
        if self.writer_process is not None:
            return await self.writer_process.add_many(additions, rows)
        return await self.run(self.store.add_many, additions, rows)

    def opened(self, spider: Any) -> None:
        note = self.crawler.settings.get("NIANBAO_RUN_NOTE")
        self.run_id = self.store.start_run([s.site_id for s in spider.sites], note)
        if self.crawler.settings.getbool("NIANBAO_STORE_PROCESS", True) and separate_process_possible(self.store.url):
            self.writer_process = WriterProcess(self.store.url, self.store.blobs.root)
            self.writer_process.start()
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(HEARTBEAT_S, now=False)

    def _heartbeat(self) -> Any:
        """Return the Deferred of recording, in a thread, that the run is alive."""

        def beat() -> None:
            try:
                self.store.beat(self.run_id)  # type: ignore[arg-type]
            except Exception as exc:  # a lost heartbeat only makes the run look silent; the crawl goes on
                self.crawler.spider.logger.warning("crawl run heartbeat not stored: %s", error_line(exc))

        return threads.deferToThread(beat)

    def closed(self, spider: Any, reason: str) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        if self._writer is not None:
            self._writer.write_left()
        if self.writer_process is not None:
            self.writer_process.close()
        if self.run_id is not None:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
            status = {"finished": "finished", "shutdown": "interrupted"}.get(reason, reason[:16])
            try:
                self.store.finish_run(self.run_id, stats, status=status)
            except Exception as exc:  # the next run marks this one interrupted; say so once
                spider.logger.error("crawl run %s: end not recorded in the store: %s", self.run_id, error_line(exc))
                self.crawler.stats.set_value("store/run_not_recorded", error_line(exc))
        self.store.close()
