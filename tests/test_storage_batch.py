"""The batch writer (`Store.add_many`, `Store.add_stream`): the same outcome as one `add` after another, one
transaction per batch, nothing of a refused batch kept, and concurrent batch writers without duplicates.

Every test runs against SQLite (a file under tmp_path) and PostgreSQL (a fresh database, dropped afterwards;
skipped with the reason where the server is unreachable).
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Addition, Store
from storage.models import Document, Report, Source

from .databases import Item, backend_url, overlap_dataset, raw_bytes, synthetic_record

PROVENANCE = ("report_id", "seq", "version", "is_latest", "supersedes_id", "first_seen", "source_details")


def _dataset() -> list[Addition]:
    """Return additions that exercise every rule: repeats, re-saves, versions, refetches, non-reports, errors."""
    a = synthetic_record("批量县教育局", 2022, published_at="2023-01-10")
    b = synthetic_record("批量县公安局", 2022, published_at="2023-01-12")
    b2 = synthetic_record("批量县公安局", 2022, variant=4, published_at="2023-03-01")
    b_early = synthetic_record("批量县公安局", 2022, variant=9, published_at="2022-12-30")
    c = synthetic_record("批量县民政局", 2023)
    page = "<html>目录</html>".encode()
    return [
        Addition(raw_bytes(a), a, {"url": "https://p.example/a.html", "etag": '"1"', "site": "p"}),
        Addition(raw_bytes(a), a, {"url": "https://mirror.example/a.html", "list_title": "年报"}),
        Addition(raw_bytes(a, "gb18030"), a, {"url": "https://p.example/a-gbk.html"}),
        Addition(page, None, {"url": "https://p.example/index.html"}, media_type="text/html"),
        Addition(b"\x00broken", None, {"url": "https://p.example/x.pdf"}, error="Corrupt: no trailer"),
        Addition(raw_bytes(b), b, {"url": "https://p.example/b.html"}),
        Addition(raw_bytes(b2), b2, {"url": "https://p.example/b.html"}),
        Addition(raw_bytes(b_early), b_early, {"url": "https://p.example/b-early.html"}),
        Addition(b"\x00broken", None, {"url": "https://p.example/x.pdf"}, error="Corrupt: still no trailer"),
        Addition(raw_bytes(c), c, {"url": "https://p.example/c.html", "column": "年报"}),
        # A refetch of the first URL with new validators and context filled in.
        Addition(
            raw_bytes(a),
            a,
            {
                "url": "https://p.example/a.html",
                "etag": '"2"',
                "column": "年报",
                "status": 200,
                "fetched_at": "2099-01-01T00:00:00Z",
            },
        ),
        Addition(page, None, {"url": "https://p.example/index2.html"}),
    ]


def _add_one_by_one(store: Store, additions: list[Addition]) -> list[Any]:
    """Return the results of `add` (or `add_error`) called for each addition in turn."""
    out = []
    for a in additions:
        if a.error is not None:
            out.append(store.add_error(a.raw, a.source, a.error, a.media_type))
        else:
            out.append(store.add(a.raw, a.record, a.source, a.media_type))
    return out


def _state(store: Store) -> dict[str, Any]:
    """Return what a store holds, without ids and times: documents, sources, reports with provenance."""
    with Session(store.engine) as s:
        docs = sorted(s.execute(select(Document.sha256, Document.kind, Document.error, Document.media_type)).all())
        srcs = sorted(
            s.execute(
                select(Document.sha256, Source.url, Source.etag, Source.column, Source.list_title, Source.http_status)
                .join(Document, Document.id == Source.document_id)
            ).all()
        )  # fmt: skip
        versions = sorted(s.execute(select(Report.seq, Report.version, Report.is_latest, Report.version_key)).all())
    reports = [{k: v for k, v in r.items() if k not in PROVENANCE} for r in store.reports(latest_only=False)]
    return {"documents": docs, "sources": srcs, "versions": versions, "reports": reports, "counts": store.counts()}


def _kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@pytest.mark.parametrize("batch_size", [1, 4, 100])
def test_batches_store_exactly_what_adds_one_by_one_store(backend_db_url: str, tmp_path: Path, batch_size: int):
    additions = _dataset()
    one = Store(backend_db_url, blob_root=tmp_path / "one")
    one.migrate()
    singles = _add_one_by_one(one, additions)
    with backend_url(_kind(backend_db_url), tmp_path / "many") as url:
        (tmp_path / "many").mkdir(exist_ok=True)
        many = Store(url, blob_root=tmp_path / "many" / "blobs")
        many.migrate()
        batched = list(many.add_stream(additions, batch_size=batch_size))
        assert len(batched) == len(additions)
        for a, b in zip(singles, batched, strict=True):
            assert (a.raw_sha256, a.document, a.source, a.report, a.seq) == (
                b.raw_sha256, b.document, b.source, b.report, b.seq
            )  # fmt: skip
        # A report's version is its number once its batch is written: the final one where one batch holds all.
        final = {r["seq"]: r["version"] for r in many.reports(latest_only=False)}
        if batch_size >= len(additions):
            assert [b.version for b in batched if b.seq] == [final[b.seq] for b in batched if b.seq]
        elif batch_size == 1:
            assert [b.version for b in batched] == [a.version for a in singles]
        assert _state(one) == _state(many)
        many.close()
    one.close()


def test_one_batch_holds_every_rule_at_once(backend_db_url: str, tmp_path: Path) -> None:
    store = Store(backend_db_url, blob_root=tmp_path / "blobs")
    store.migrate()
    results = store.add_many(_dataset())
    assert [r.document for r in results] == ["new", "known", "new", "new", "new", "new", "new", "new", "known",
                                             "new", "known", "known"]  # fmt: skip
    assert [r.source for r in results] == ["new"] * 8 + ["known", "new", "known", "new"]
    assert [r.report for r in results] == ["new", "known", "known", None, None, "new", "new_version", "new_version",
                                           None, "new", "known", None]  # fmt: skip
    counts = store.counts()
    assert counts == {"documents": 8, "sources": 10, "reports": 5, "latest_reports": 3, "report_documents": 6,
                      "crawl_runs": 0}  # fmt: skip
    # Versions follow publication dates: the one published first is version 1, the latest is the last published.
    by_seq = {r["seq"]: r for r in store.reports(latest_only=False)}
    assert [by_seq[s]["version"] for s in (2, 3, 4)] == [2, 3, 1]
    assert [by_seq[s]["is_latest"] for s in (2, 3, 4)] == [False, True, False]
    assert by_seq[3]["supersedes_id"] == by_seq[2]["report_id"] and by_seq[2]["supersedes_id"] == by_seq[4]["report_id"]
    # Every URL is kept; the refetch moved the validators on and filled the context in.
    a = by_seq[1]
    assert a["sources"] == ["https://p.example/a.html", "https://mirror.example/a.html", "https://p.example/a-gbk.html"]
    memory = store.memory.recall("https://p.example/a.html")
    assert memory is not None and memory.etag == '"2"'
    with Session(store.engine) as s:
        row = s.execute(select(Source).where(Source.url == "https://p.example/a.html")).scalar_one()
        assert (row.column, row.http_status, row.site) == ("年报", 200, "p")
        broken = s.execute(select(Document).where(Document.kind == "error")).scalar_one()
        assert broken.error == "Corrupt: still no trailer"
    store.close()


def test_a_refused_batch_leaves_nothing_and_can_be_added_again(backend_db_url: str, tmp_path: Path) -> None:
    store = Store(backend_db_url, blob_root=tmp_path / "blobs")
    store.migrate()
    good = _dataset()[:3]
    with pytest.raises(ValueError, match="url"):
        store.add_many([*good, Addition(b"x", None, {"site": "no url"})])
    assert store.counts()["documents"] == 0
    # A batch the database refuses (a text hash of 65 characters does not fit) is rolled back whole.
    bad = synthetic_record("批量县审计局", 2022)
    bad["text_sha256"] = "f" * 65
    if _kind(backend_db_url) == "postgresql":
        with pytest.raises(Exception, match=r"(?i)too long"):
            store.add_many([*good, Addition(raw_bytes(bad), bad, {"url": "https://p.example/bad.html"})])
        assert store.counts()["documents"] == 0 and store.counts()["sources"] == 0
    assert [r.document for r in store.add_many(good)] == ["new", "known", "new"]
    fsck = store.fsck(grace_seconds=0)
    assert fsck.ok
    store.close()


def test_add_stream_commits_each_batch_as_it_goes(backend_db_url: str, tmp_path: Path) -> None:
    store = Store(backend_db_url, blob_root=tmp_path / "blobs")
    store.migrate()
    records = [synthetic_record(f"流式县第{i}局", 2021) for i in range(25)]
    stream = store.add_stream((Addition(raw_bytes(r), r, {"url": f"https://s.example/{i}"}) for i, r in
                               enumerate(records)), batch_size=10)  # fmt: skip
    first = [next(stream) for _ in range(10)]
    assert [r.seq for r in first] == list(range(1, 11))
    assert store.counts()["reports"] == 10  # the first batch is committed before the second is read
    rest = list(stream)
    assert [r.seq for r in rest] == list(range(11, 26)) and store.counts()["reports"] == 25
    store.close()


def add_in_batches(url: str, blob_root: str, items: list[Item], barrier: Any, results: Any, size: int) -> None:
    """Add `items` with `add_stream` in batches of `size` once both writers are ready; put the statuses on `results`."""
    store = Store(url, blob_root=blob_root)
    barrier.wait(timeout=60)
    done = store.add_stream((Addition(i.raw, i.record, i.source) for i in items), batch_size=size)
    results.put([(r.document, r.source, r.report) for r in done])
    store.close()


@pytest.mark.slow
def test_two_batch_writers_add_the_same_documents_without_duplicates(backend_db_url: str, tmp_path: Path) -> None:
    blob_root = tmp_path / "blobs"
    store = Store(backend_db_url, blob_root=blob_root)
    store.migrate()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    a, b = overlap_dataset("a"), overlap_dataset("b")[::-1]
    writers = [ctx.Process(target=add_in_batches, args=(backend_db_url, str(blob_root), items, barrier, results, 7))
               for items in (a, b)]  # fmt: skip
    for w in writers:
        w.start()
    statuses = [results.get(timeout=120) for _ in writers]
    for w in writers:
        w.join(timeout=60)
    assert [w.exitcode for w in writers] == [0, 0]
    flat = [s for per_writer in statuses for s in per_writer]
    assert len(flat) == 80
    assert Counter(d for d, _, _ in flat)["new"] == 20
    assert Counter(s for _, s, _ in flat)["new"] == 60
    reports = Counter(r for _, _, r in flat)
    assert reports["new"] + reports["new_version"] == 16
    assert store.counts() == {"documents": 20, "sources": 60, "reports": 16, "latest_reports": 12,
                              "report_documents": 20, "crawl_runs": 0}  # fmt: skip
    assert sorted(r["seq"] for r in store.reports(latest_only=False)) == list(range(1, 17))
    for r in store.reports():
        if r["version"] == 2:
            assert r["published_at"] == "2024-03-01" and r["supersedes_id"] is not None
    store.close()


def test_blobs_of_a_batch_are_written_once_each_and_whole(tmp_path: Path) -> None:
    from storage import BlobStore
    from storage.blobs import sha256_hex

    blobs = BlobStore(tmp_path / "blobs")
    datas = [f"文档{i}".encode() * (i + 1) for i in range(40)]
    pairs = [(d, sha256_hex(d)) for d in datas]
    assert blobs.put_many(pairs + pairs[:5]) == 40  # a blob named twice in a batch is written once
    assert blobs.put_many(pairs) == 0  # all there already
    assert sorted(blobs) == sorted(sha for _, sha in pairs)
    assert all(blobs.verify(sha) for _, sha in pairs) and blobs.temp_files() == []


def test_blob_batches_share_their_flushing_threads_within_a_process(tmp_path: Path) -> None:
    import os
    import stat

    from storage import BlobStore
    from storage.blobs import sha256_hex

    blobs = BlobStore(tmp_path / "blobs")
    first = [(d, sha256_hex(d)) for d in (b"a", b"b")]
    blobs.put_many(first)
    pool = blobs._pool
    assert pool is not None
    blobs.put_many([(b"c", sha256_hex(b"c"))])
    assert blobs._pool is pool  # the next batch reuses the threads
    blobs._pool_pid = -1  # as a forked child sees it: its parent's threads are not there
    blobs.put_many([(b"d", sha256_hex(b"d"))])
    assert blobs._pool is not pool
    assert all(stat.S_IMODE(os.stat(blobs.path(sha)).st_mode) == 0o600 for _, sha in first)  # as mkstemp made them
    blobs.close()
    assert blobs._pool is None and len(list(blobs)) == 4 and blobs.temp_files() == []


def test_a_blob_batch_that_fails_midway_leaves_no_temporary_file_and_no_open_descriptor(tmp_path: Path) -> None:
    import os

    from storage import BlobStore
    from storage.blobs import sha256_hex

    blobs = BlobStore(tmp_path / "blobs")
    blobs.put_many([(b"warm", sha256_hex(b"warm"))])  # the flushing threads started: they hold descriptors of their own
    before = len(os.listdir("/proc/self/fd"))
    batch = [(b"one", sha256_hex(b"one")), (b"two", sha256_hex(b"two")), ("not bytes", sha256_hex(b"three"))]
    with pytest.raises(TypeError):
        blobs.put_many(batch)  # type: ignore[arg-type]  # the third write fails after two files were written
    assert blobs.temp_files() == [] and not blobs.exists(sha256_hex(b"one"))
    assert len(os.listdir("/proc/self/fd")) == before  # the two written files' descriptors were closed
    assert blobs.put_many(batch[:2]) == 2 and blobs.get(sha256_hex(b"two")) == b"two"
    blobs.close()
