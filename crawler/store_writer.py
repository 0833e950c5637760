"""The crawl's batched store writes in a process of their own, beside the crawl's reactor.

`Store.add_many` (blobs, SQLAlchemy rows, the commit) is most of what storing a document costs; run in a
thread of the crawl it holds the crawl's GIL, and the crawl fetches that much slower. `WriterProcess` runs
it in one spawned process that opens the same database and blob folder: one batch at a time, as before
(a second writer would only wait for SQLite's write lock). The crawl keeps its reads (crawl memory, dedup)
and the run row; a batch's results come back as the thread's did, and a batch the store refuses raises
`StoreFailed` with its one line, so the batch writer tries its entries one by one as before.

A writer that dies (the kernel's OOM killer) fails the batch it had with `StoreFailed` and is started
again for the next. A crawl killed (even with SIGKILL) takes its writer with it: the writer's transaction
is rolled back by the database as the crawl's own would be, and its blobs are orphans `fsck` removes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from storage.sql import error_line
from storage.store import Addition, AddResult, Store

from .worker_procs import WorkerDied, WorkerProcess, exit_with_parent, freeze_startup

logger = logging.getLogger(__name__)


class StoreFailed(Exception):
    """A store call failed (disk full, read-only folder, database gone); the message is its one-line reason."""

_store: Store | None = None
"""The writer process's own Store (opened by `_open`)."""


def separate_process_possible(url: str) -> bool:
    """Return True where another process can open the database at `url` (False for an in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    database = parsed.database or ""
    return database not in ("", ":memory:") and not database.startswith("file::memory:")


def _open(url: str, blob_root: str) -> None:
    """Start a writer process: end it with the crawl, and open the crawl's store."""
    global _store
    exit_with_parent()
    _store = Store(url, blob_root)
    freeze_startup()


def _add_many(batch: tuple[list[Addition], list[dict[str, Any]]]) -> list[AddResult]:
    """Return `Store.add_many(additions, rows)` of one `batch` run in the writer process; raise StoreFailed with its
    one line (an exception that pickles, unlike some database drivers' own)."""
    assert _store is not None, "the writer process opens its store as it starts"
    try:
        return _store.add_many(*batch)
    except Exception as exc:
        raise StoreFailed(error_line(exc)) from None


class WriterProcess:
    """One spawned process writing batches into the store at `url` (blobs under `blob_root`)."""

    def __init__(self, url: str, blob_root: Path) -> None:
        self.url = url
        self.blob_root = str(blob_root)
        self.restarted = 0
        """How many times the writer died and was started again."""
        self._proc: WorkerProcess | None = None

    def start(self) -> None:
        """Start the writer process now (it imports the store and opens it while the crawl's first pages come in)."""
        if self._proc is None:
            self._proc = WorkerProcess(_open, (self.url, self.blob_root))

    async def add_many(self, additions: list[Addition], rows: list[dict[str, Any]]) -> list[AddResult]:
        """Return what `Store.add_many` returned for one batch written by the writer process; raise StoreFailed
        where the store refused it or the writer died writing it."""
        self.start()
        proc = self._proc
        assert proc is not None
        try:
            return await proc.submit(_add_many, (additions, rows))
        except WorkerDied:
            if self._proc is proc:
                self._proc = None
                self.restarted += 1
                proc.stop()
                logger.warning("the store writer process died: started again, its batch written again one by one")
            raise StoreFailed("the store writer process died (out of memory or killed)") from None

    def close(self) -> None:
        """Stop the writer once the batch it is writing, if any, is committed."""
        if self._proc is not None:
            self._proc.close(wait=None)
            self._proc = None
