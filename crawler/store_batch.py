"""Batched writes of the crawl's documents: many documents a transaction instead of one each.

The store step hands each document to `BatchWriter.add` and awaits its own result. A document that comes
while nothing is being written is written at once; those that come during a write gather and go together,
up to NIANBAO_STORE_BATCH of them, to `Store.add_many` in one transaction when it ends (a group commit: no
wait when the crawl is slow, many documents a transaction when it is fast). One batch is written at a time
(a second writer would only wait for SQLite's write lock). A batch the store refuses is written again one
document at a time, so only the documents the store refuses get a "not stored" error, as when each had its
own transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from storage import Addition, AddResult

from .store import StoreExtension, StoreFailed


class BatchWriter:
    """Gathers documents to store and writes them with `Store.add_many`, a batch at a time."""

    def __init__(self, store: StoreExtension, size: int) -> None:
        self.store = store
        self.size = max(1, size)
        """The most documents in one transaction."""
        self.batches = 0
        """Transactions written (a batch written again one by one counts each)."""
        self._pending: list[tuple[Addition, asyncio.Future[AddResult]]] = []
        self._writes = 0
        self._writing = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def add(self, addition: Addition) -> AddResult:
        """Return what the store did with one document once its batch is written; raise StoreFailed where the
        store refused it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[AddResult] = loop.create_future()
        self._pending.append((addition, done))
        if self._writes == 0 or len(self._pending) >= self.size:
            self._flush()
        return await done

    def _flush(self) -> None:
        """Start writing the documents gathered so far (after the batch being written, if any)."""
        batch, self._pending = self._pending, []
        if batch:
            self._writes += 1
            task = asyncio.ensure_future(self._write(batch))
            self._tasks.add(task)  # a reference until it ends: the loop keeps only weak ones
            task.add_done_callback(self._tasks.discard)

    async def _write(self, batch: list[tuple[Addition, asyncio.Future[AddResult]]]) -> None:
        """Write one batch (after the one before it) and hand each document its result or its StoreFailed."""
        async with self._writing:
            try:
                await self._write_batch(batch)
            finally:
                self._writes -= 1
                if self._writes == 0:
                    self._flush()  # what gathered meanwhile

    async def _write_batch(self, batch: list[tuple[Addition, asyncio.Future[AddResult]]]) -> None:
        """Write one batch in one transaction, or each document alone where the store refused the batch."""
        try:
            results = await self._add_many([a for a, _ in batch])
        except StoreFailed as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for addition, done in batch:  # find which the store refuses: each alone
                try:
                    _settle(done, (await self._add_many([addition]))[0])
                except StoreFailed as one:
                    _settle(done, one)
            return
        for (_, done), result in zip(batch, results, strict=True):
            _settle(done, result)

    async def _add_many(self, additions: list[Addition]) -> list[AddResult]:
        """Return the store's results for `additions` written in one transaction (in a worker thread)."""
        self.batches += 1
        return await self.store.run(self.store.store.add_many, additions)


def _settle(done: asyncio.Future[Any], outcome: Any) -> None:
    """Give a waiting document its result, or raise its StoreFailed in it (unless it stopped waiting)."""
    if done.done():
        return
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)
