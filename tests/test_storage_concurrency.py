"""Two processes adding the same 20 documents (overlapping URLs) at once: no duplicates, no errors.

PostgreSQL is the case that matters (the crawler and a re-crawl may write at once); SQLite is run too,
since two `nianbao` commands may share one file.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Store
from storage.models import Report

from .databases import add_items, overlap_dataset

pytestmark = pytest.mark.slow


@pytest.fixture
def url(backend_db_url: str) -> str:
    return backend_db_url


def test_two_writers_add_the_same_documents_without_duplicates(url: str, tmp_path: Path) -> None:
    blob_root = tmp_path / "blobs"
    store = Store(url, blob_root=blob_root)
    store.migrate()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    writers = [
        ctx.Process(target=add_items, args=(url, str(blob_root), overlap_dataset("a"), barrier, None, None, results)),
        ctx.Process(target=add_items, args=(url, str(blob_root), overlap_dataset("b"), barrier, None, 7, results)),
    ]
    for w in writers:
        w.start()
    statuses = [results.get(timeout=120) for _ in writers]
    for w in writers:
        w.join(timeout=60)
    assert [w.exitcode for w in writers] == [0, 0], "a writer raised (its traceback is above)"

    # Each writer made 40 adds; across both, every row was created exactly once.
    flat = [s for per_writer in statuses for s in per_writer]
    assert len(flat) == 80
    if url.startswith("postgresql"):
        # Both writers created rows, so they really ran at once (SQLite may let one writer starve the other).
        assert all(any(d == "new" for d, _, _ in w) for w in statuses), "the writers did not interleave"
    assert Counter(d for d, _, _ in flat)["new"] == 20
    assert Counter(s for _, s, _ in flat)["new"] == 60
    reports = Counter(r for _, _, r in flat)
    assert reports["new"] + reports["new_version"] == 16

    counts = store.counts()
    assert counts == {
        "documents": 20,
        "sources": 60,
        "reports": 16,
        "latest_reports": 12,
        "report_documents": 20,
        "crawl_runs": 0,
    }
    every = list(store.reports(latest_only=False))
    assert sorted(r["seq"] for r in every) == list(range(1, 17)), "seq must be dense and unique"
    with Session(store.engine) as s:
        rows = s.execute(select(Report.version_key, Report.is_latest)).all()
    versions = Counter(key for key, _ in rows)
    latest = Counter(key for key, is_latest in rows if is_latest)
    assert len(versions) == 12 and set(latest.values()) == {1} and set(latest) == set(versions)
    assert sorted(versions.values()) == [1] * 8 + [2] * 4
    for r in store.reports():
        assert len(r["sources"]) == (6 if r["agency"] in {f"测试县第{i}局" for i in range(4)} else 3)
        if r["version"] == 2:
            # The re-publication (published later) is the latest, whichever writer found it first.
            assert r["published_at"] == "2024-03-01" and r["supersedes_id"] is not None
    fsck = store.fsck(grace_seconds=0, verify=True)
    assert fsck.ok and fsck.removed_orphans == [] and fsck.removed_temp == []
    assert len(list(store.blobs)) == 20
    store.close()


def test_threads_sharing_one_store_add_without_duplicates(url: str, tmp_path: Path) -> None:
    """The crawler's pipeline runs `add` in worker threads: one Store, eight threads, both writers' items."""
    store = Store(url, blob_root=tmp_path / "blobs")
    store.migrate()
    items = overlap_dataset("a") + overlap_dataset("b")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda it: store.add(it.raw, it.record, it.source), items))
    assert sum(r.document == "new" for r in results) == 20
    assert sum(r.source == "new" for r in results) == 60
    counts = store.counts()
    assert (counts["documents"], counts["sources"], counts["reports"], counts["latest_reports"]) == (20, 60, 16, 12)
    store.close()
