"""Batched store writes of the crawl (crawler/store_batch.py) on a real SQLite store: many documents a transaction,
each with its own result, and a document the store refuses failing alone."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from crawler.store import StoreExtension, StoreFailed
from crawler.store_batch import BatchWriter
from crawler.store_writer import WriterProcess, separate_process_possible
from storage import Addition, Store


class _Ext:
    """The parts of a StoreExtension the batch writer uses: the store, `run` in a worker thread and `add_many`
    (in the writer process where one is given, else in that thread)."""

    def __init__(self, store: Store, writer_process: WriterProcess | None = None) -> None:
        self.store = store
        self.writer_process = writer_process

    run = StoreExtension.run
    add_many = StoreExtension.add_many


def addition(k: int, url: str | None = None) -> Addition:
    """Return a non-report document `k` with its own bytes (a URL of its own unless `url` is given)."""
    source = {"url": url if url is not None else f"http://example.test/doc{k}.html", "site": "test"}
    return Addition(f"<p>document {k}</p>".encode(), None, source)


def migrated(tmp_path: Path) -> Store:
    """Return a migrated SQLite store in `tmp_path` (its URL is `store.url`, its blobs under `blobs/`)."""
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "blobs")
    store.migrate()
    return store


def write_all(writer: BatchWriter, batch: list[Addition]) -> list[Any]:
    """Return what `writer` answers each addition of `batch`, all sent at once (a refusal as its exception)."""

    async def write() -> list[Any]:
        return await asyncio.gather(*(writer.add(a) for a in batch), return_exceptions=True)

    return asyncio.run(write())


def test_documents_are_written_many_a_transaction_each_with_its_result(tmp_path: Path) -> None:
    store = migrated(tmp_path)
    writer = BatchWriter(_Ext(store), size=8)  # type: ignore[arg-type]

    results = write_all(writer, [addition(k) for k in range(20)])
    # The first alone (nothing was being written), then full batches of 8, then the 3 that came meanwhile.
    assert writer.batches == 4, f"20 documents in {writer.batches} transactions, not 1 + 8 + 8 + 3"
    assert [r.document for r in results] == ["new"] * 20
    assert len({r.document_id for r in results}) == 20
    assert store.counts()["documents"] == 20
    store.close()


def test_a_document_the_store_refuses_fails_alone_and_its_batch_is_stored(tmp_path: Path) -> None:
    store = migrated(tmp_path)
    writer = BatchWriter(_Ext(store), size=5)  # type: ignore[arg-type]
    batch = [addition(0), addition(1), addition(2, url=""), addition(3), addition(4)]

    out = write_all(writer, batch)
    assert isinstance(out[2], StoreFailed)
    assert [r.document for k, r in enumerate(out) if k != 2] == ["new"] * 4
    assert store.counts()["documents"] == 4
    store.close()


def test_the_writer_process_writes_the_batches_with_the_results_a_thread_gets(tmp_path: Path) -> None:
    store = migrated(tmp_path)
    process = WriterProcess(store.url, tmp_path / "blobs")
    writer = BatchWriter(_Ext(store, process), size=8)  # type: ignore[arg-type]
    batch = [addition(0), addition(1), addition(2, url=""), addition(3), addition(0, url="http://example.test/twin")]

    try:
        out = write_all(writer, batch)
    finally:
        process.close()
    assert isinstance(out[2], StoreFailed) and "url" in str(out[2]), out[2]  # refused alone, its one line kept
    assert [(r.document, r.source) for k, r in enumerate(out) if k != 2] == [
        ("new", "new"), ("new", "new"), ("new", "new"), ("known", "new")]  # fmt: skip
    assert store.counts()["documents"] == 3
    store.close()


def test_the_writer_process_starts_with_the_crawl_not_at_its_first_batch(tmp_path: Path) -> None:
    store = migrated(tmp_path)
    process = WriterProcess(store.url, tmp_path / "blobs")
    process.start()
    try:
        proc = process._proc
        # The writer's process runs (and opens the store) from start(), so the first batch finds a writer ready.
        assert proc is not None and proc.process.is_alive()
    finally:
        process.close()
    store.close()


def test_a_writer_that_dies_fails_its_batch_and_the_next_is_written_by_a_new_one(tmp_path: Path) -> None:
    store = migrated(tmp_path)
    process = WriterProcess(store.url, tmp_path / "blobs")

    async def write() -> tuple[Any, Any]:
        await process.add_many([addition(0)], [])
        proc = process._proc
        assert proc is not None
        os.kill(proc.process.pid, signal.SIGKILL)  # as the kernel's OOM killer would
        proc.process.join()
        try:
            await process.add_many([addition(1)], [])
            died: Any = None
        except StoreFailed as exc:
            died = exc
        return died, await process.add_many([addition(2)], [])

    try:
        died, after = asyncio.run(write())
    finally:
        process.close()
    assert isinstance(died, StoreFailed) and "writer process died" in str(died)
    assert process.restarted == 1 and after[0].document == "new"
    assert store.counts()["documents"] == 2
    store.close()


def test_an_in_memory_store_is_written_in_a_thread() -> None:
    assert not separate_process_possible("sqlite://")
    assert not separate_process_possible("sqlite:///:memory:")
    assert separate_process_possible("sqlite:///data/nianbao.sqlite")
    assert separate_process_possible("postgresql+psycopg://u@h/db")


def test_entries_gather_for_the_wait_and_a_full_batch_goes_at_once(tmp_path: Path) -> None:
    store = migrated(tmp_path)
    writer = BatchWriter(_Ext(store), size=8, wait=0.05)  # type: ignore[arg-type]

    results = write_all(writer, [addition(k) for k in range(19)])
    # Two full batches at once, then the 3 left once the wait is over: no transaction of one document alone.
    assert writer.batches == 3, f"19 documents in {writer.batches} transactions, not 8 + 8 + 3"
    assert [r.document for r in results] == ["new"] * 19
    store.close()
