"""Crash safety: a writer killed with SIGKILL mid-run leaves no half-written report, no orphan blob
(after `fsck`), no lost source and, once the adds are rerun, no duplicate.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import Store
from storage.models import Document, Report, ReportDocument, Source

from .databases import add_items, crash_dataset

pytestmark = pytest.mark.slow

KILLS = 3


@pytest.fixture
def url(backend_db_url: str) -> str:
    return backend_db_url


def _progress(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _stored_urls(store: Store) -> set[str]:
    """Return every URL a document was stored from."""
    with Session(store.engine) as s:
        return set(s.scalars(select(Source.url).distinct()))


def _assert_consistent(store: Store) -> None:
    """No half-written report: every report has a document, every document a source and a sound blob."""
    with Session(store.engine) as s:
        reports_without_docs = s.scalar(
            select(func.count()).select_from(Report).where(~Report.id.in_(select(ReportDocument.report_id)))
        )
        docs_without_sources = s.scalar(
            select(func.count()).select_from(Document).where(~Document.id.in_(select(Source.document_id)))
        )
        report_docs_without_link = s.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.kind == "report", ~Document.id.in_(select(ReportDocument.document_id)))
        )
        seqs = sorted(s.scalars(select(Report.seq)))
        shas = set(s.scalars(select(Document.sha256)))
    assert reports_without_docs == 0 and docs_without_sources == 0 and report_docs_without_link == 0
    assert seqs == list(range(1, len(seqs) + 1))
    for h in shas:
        assert store.blobs.verify(h), f"blob {h} of a committed document is missing or torn"
    for h in store.blobs:  # nothing half-written under a final name, orphan or not
        assert store.blobs.verify(h), f"blob {h} on disk does not hash to its name"


def test_writer_killed_mid_run_loses_nothing_and_duplicates_nothing(url: str, tmp_path: Path) -> None:
    items = crash_dataset()
    blob_root = tmp_path / "blobs"
    store = Store(url, blob_root=blob_root)
    store.migrate()
    ctx = multiprocessing.get_context("spawn")
    rng = random.Random(20250101)
    swept_orphans = swept_temp = 0
    for cycle in range(KILLS):
        progress = tmp_path / f"progress-{cycle}"
        writer = ctx.Process(target=add_items, args=(url, str(blob_root), items, None, str(progress)))
        writer.start()
        target = rng.randint(3, 12)
        deadline = time.monotonic() + 120
        while _progress(progress) < target and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.02))  # land somewhere inside the next add
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(timeout=30)
        assert writer.exitcode == -signal.SIGKILL, "the writer finished before it could be killed"
        done = _progress(progress)
        assert done >= target

        _assert_consistent(store)
        # No lost source: every add the writer finished before the kill is in the database.
        known = _stored_urls(store)
        assert {item.source["url"] for item in items[:done]} <= known
        fsck = store.fsck(grace_seconds=0, verify=True)
        assert fsck.ok, fsck
        swept_orphans += len(fsck.removed_orphans)
        swept_temp += len(fsck.removed_temp)
        with Session(store.engine) as s:
            shas = set(s.scalars(select(Document.sha256)))
        assert set(store.blobs) == shas, "after fsck every blob has its documents row"
        assert store.blobs.temp_files() == []

    rerun = ctx.Process(target=add_items, args=(url, str(blob_root), items))
    rerun.start()
    rerun.join(timeout=300)
    assert rerun.exitcode == 0

    _assert_consistent(store)
    urls = {item.source["url"] for item in items}
    raws = {item.raw for item in items}
    counts = store.counts()
    assert counts["documents"] == len(raws) == 40
    assert counts["sources"] == len(urls) == 48
    assert counts["reports"] == counts["latest_reports"] == 40
    assert counts["report_documents"] == 40
    assert _stored_urls(store) == urls
    for report in store.reports():
        expected = {i.source["url"] for i in items if i.record is not None and i.record["agency"] == report["agency"]}
        assert set(report["sources"]) == expected
    final = store.fsck(grace_seconds=0, verify=True)
    assert final.ok and final.removed_orphans == [] and final.removed_temp == []
    assert len(list(store.blobs)) == 40
    store.close()
    print(f"swept after kills: {swept_orphans} orphan blobs, {swept_temp} temporary files")
