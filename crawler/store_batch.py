"""Batched writes of the crawl's documents: many documents a transaction instead of one each.

The store step hands each document to `BatchWriter.add` and awaits its own result. Documents gather until
NIANBAO_STORE_BATCH of them wait or NIANBAO_STORE_BATCH_WAIT seconds have passed since the first, then go
to `Store.add_many` in one transaction, one batch at a time (a second writer would only wait for SQLite's
write lock). A batch the store refuses is written again one document at a time, so only the documents the
store refuses get a "not stored" error, as when each had its own transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from storage import Addition, AddResult

from .store import StoreExtension, StoreFailed


class BatchWriter:
    """Gathers documents to store and writes them with `Store.add_many`, a batch at a time."""

    def __init__(self, store: StoreExtension, size: int, wait: float) -> None:
        self.store = store
        self.size = max(1, size)
        """The most documents in one transaction."""
        self.wait = wait
        """The longest a document waits for its batch to fill, in seconds."""
        self.batches = 0
        """Transactions written (a batch written again one by one counts each)."""
        self._pending: list[tuple[Addition, asyncio.Future[AddResult]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writing = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def add(self, addition: Addition) -> AddResult:
        """Return what the store did with one document once its batch is written; raise StoreFailed where the
        store refused it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[AddResult] = loop.create_future()
        self._pending.append((addition, done))
        if len(self._pending) >= self.size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.wait, self._flush)
        return await done

    def _flush(self) -> None:
        """Start writing the documents gathered so far."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.ensure_future(self._write(batch))
            self._tasks.add(task)  # a reference until it ends: the loop keeps only weak ones
            task.add_done_callback(self._tasks.discard)

    async def _write(self, batch: list[tuple[Addition, asyncio.Future[AddResult]]]) -> None:
        """Write one batch (after the one before it) and hand each document its result or its StoreFailed."""
        async with self._writing:
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
