"""Batched store writes of the crawl (crawler/store_batch.py) on a real SQLite store: many documents a transaction,
each with its own result, and a document the store refuses failing alone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from crawler.store import StoreExtension, StoreFailed
from crawler.store_batch import BatchWriter
from storage import Addition, Store


class _Ext:
    """The two parts of a StoreExtension the batch writer uses: the store and `run` in a worker thread."""

    def __init__(self, store: Store) -> None:
        self.store = store

    run = StoreExtension.run


def addition(k: int, url: str | None = None) -> Addition:
    """Return a non-report document `k` with its own bytes (a URL of its own unless `url` is given)."""
    source = {"url": url if url is not None else f"http://example.test/doc{k}.html", "site": "test"}
    return Addition(f"<p>document {k}</p>".encode(), None, source)


def test_documents_are_written_many_a_transaction_each_with_its_result(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "blobs")
    store.migrate()
    writer = BatchWriter(_Ext(store), size=8)  # type: ignore[arg-type]

    async def write() -> list[Any]:
        return await asyncio.gather(*(writer.add(addition(k)) for k in range(20)))

    results = asyncio.run(write())
    # The first alone (nothing was being written), then full batches of 8, then the 3 that came meanwhile.
    assert writer.batches == 4, f"20 documents in {writer.batches} transactions, not 1 + 8 + 8 + 3"
    assert [r.document for r in results] == ["new"] * 20
    assert len({r.document_id for r in results}) == 20
    assert store.counts()["documents"] == 20
    store.close()


def test_a_document_the_store_refuses_fails_alone_and_its_batch_is_stored(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "blobs")
    store.migrate()
    writer = BatchWriter(_Ext(store), size=5)  # type: ignore[arg-type]
    batch = [addition(0), addition(1), addition(2, url=""), addition(3), addition(4)]

    async def write() -> list[Any]:
        return await asyncio.gather(*(writer.add(a) for a in batch), return_exceptions=True)

    out = asyncio.run(write())
    assert isinstance(out[2], StoreFailed)
    assert [r.document for k, r in enumerate(out) if k != 2] == ["new"] * 4
    assert store.counts()["documents"] == 4
    store.close()
