"""Batched writes of the crawl's documents and parsed pages: many a transaction instead of one each.

The store step hands each document to `BatchWriter.add` and awaits its own result; the spider hands each
parsed page's crawl memory row to `BatchWriter.remember` and goes on without waiting. Entries gather for
NIANBAO_STORE_WAIT seconds after the first of them came, or until NIANBAO_STORE_BATCH of them wait, and go
together to `Store.add_many` in one transaction (`StoreExtension.add_many`: in the store's writer process).
Much of a transaction's cost is paid once however many entries it has (the commit, the fsync of the blobs'
folders, the statements' set-up), so a fast crawl writes many entries a transaction, and an entry waits that
long at most. With no wait (0), what comes while nothing is being written is written at once, and what comes
during a write goes together when it ends. One batch is written at a time (a second writer would only wait
for SQLite's write lock). A batch the store refuses is written again one entry at a time, so only the
documents the store refuses get a "not stored" error, as when each had its own transaction. A page row the
store refuses is logged and lost: the next crawl fetches that page whole.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from storage import Addition, AddResult

from .store import StoreFailed

if TYPE_CHECKING:
    from .store import StoreExtension

logger = logging.getLogger(__name__)

Entry = tuple[Addition | dict[str, Any], "asyncio.Future[AddResult | None]"]
"""A document (an Addition) or a crawl memory row (a dict), and the future its outcome is set in."""


class BatchWriter:
    """Gathers documents and page rows to store and writes them with `Store.add_many`, a batch at a time."""

    def __init__(self, store: StoreExtension, size: int, wait: float = 0.0) -> None:
        self.store = store
        self.size = max(1, size)
        """The most entries in one transaction."""
        self.wait = max(0.0, wait)
        """Seconds entries gather after the first of them came before they are written (0: written at once, or
        as the write before them ends)."""
        self.batches = 0
        """Transactions written (a batch written again one by one counts each)."""
        self._pending: list[Entry] = []
        self._writes = 0
        self._writing = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def add(self, addition: Addition) -> AddResult:
        """Return what the store did with one document once its batch is written; raise StoreFailed where the
        store refused it."""
        result = await self._enter(addition)
        assert result is not None  # a document's entry always gets its AddResult
        return result

    def remember(self, row: dict[str, Any]) -> asyncio.Future[AddResult | None]:
        """Queue a parsed page's crawl memory row (`storage.memory.page_row`) for the next batch; return the
        future of its write (done with None, or with the StoreFailed that refused it, already logged)."""
        done = self._enter(row)
        done.add_done_callback(lambda f: _log_lost(row, f))
        return done

    def _enter(self, entry: Addition | dict[str, Any]) -> asyncio.Future[AddResult | None]:
        """Return the future of `entry`, queued for the next batch (started now where it is full, or where nothing
        is being written and there is no wait)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[AddResult | None] = loop.create_future()
        self._pending.append((entry, done))
        if len(self._pending) >= self.size:
            self._flush()
        elif self.wait > 0:
            if self._timer is None:
                self._timer = loop.call_later(self.wait, self._flush)
        elif self._writes == 0:
            self._flush()
        return done

    async def drain(self) -> None:
        """Return once everything queued so far is written (or refused)."""
        self._flush()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def write_left(self) -> None:
        """Write here and now what is still queued as the crawl's store closes (the store step drains the writer
        before; this keeps the page rows of a crawl run without it). A batch still being written is left to end."""
        self._cancel_timer()
        batch, self._pending = self._pending, []
        if not batch:
            return
        entries = [e for e, _ in batch]
        try:
            self.store.store.add_many([e for e in entries if isinstance(e, Addition)],
                                      [e for e in entries if not isinstance(e, Addition)])  # fmt: skip
        except Exception as exc:
            logger.warning("%d queued writes lost as the store closed: %s", len(batch), exc)
        for _, done in batch:
            done.cancel()  # nobody waits any more: the crawl is over

    def _flush(self) -> None:
        """Start writing the entries gathered so far (after the batch being written, if any)."""
        self._cancel_timer()
        batch, self._pending = self._pending, []
        if batch:
            self._writes += 1
            task = asyncio.ensure_future(self._write(batch))
            self._tasks.add(task)  # a reference until it ends: the loop keeps only weak ones
            task.add_done_callback(self._tasks.discard)

    async def _write(self, batch: list[Entry]) -> None:
        """Write one batch (after the one before it) and hand each entry its result or its StoreFailed."""
        async with self._writing:
            try:
                await self._write_batch(batch)
            finally:
                self._writes -= 1
                if self._writes == 0 and self.wait == 0:
                    self._flush()  # what gathered meanwhile

    def _cancel_timer(self) -> None:
        """Forget the wait for the entries gathering now (they are being written)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _write_batch(self, batch: list[Entry]) -> None:
        """Write one batch in one transaction, or each entry alone where the store refused the batch."""
        try:
            results = await self._add_many([e for e, _ in batch])
        except StoreFailed as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for entry, done in batch:  # find which the store refuses: each alone
                try:
                    _settle(done, (await self._add_many([entry]))[0])
                except StoreFailed as one:
                    _settle(done, one)
            return
        for (_, done), result in zip(batch, results, strict=True):
            _settle(done, result)

    async def _add_many(self, entries: list[Addition | dict[str, Any]]) -> list[AddResult | None]:
        """Return, per entry, the store's result (None for a page row), all written in one transaction (in the
        store's writer process, or a worker thread: `StoreExtension.add_many`)."""
        self.batches += 1
        additions = [e for e in entries if isinstance(e, Addition)]
        rows = [e for e in entries if not isinstance(e, Addition)]
        results = iter(await self.store.add_many(additions, rows))
        return [next(results) if isinstance(e, Addition) else None for e in entries]


def _settle(done: asyncio.Future[Any], outcome: Any) -> None:
    """Give a waiting entry its result, or raise its StoreFailed in it (unless it stopped waiting)."""
    if done.done():
        return
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)


def _log_lost(row: dict[str, Any], done: asyncio.Future[Any]) -> None:
    """Say once that a page's crawl memory row was not written (the next crawl fetches the page whole)."""
    exc = None if done.cancelled() else done.exception()
    if exc is not None:
        logger.warning("page not remembered %s: %s", row.get("url"), exc)
