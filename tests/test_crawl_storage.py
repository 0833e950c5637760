"""Crawls into storage: a SIGKILLed crawl run again, two crawls writing into one PostgreSQL database, writes that
fail, and a crawl into a fresh database. The crawl memory is the store's, so each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from nianbao.demo.server import FixtureWeb
from storage import Store
from storage.models import Report

from . import clirun
from .conftest import ROOT, FirstCrawl
from .databases import pg_unavailable, temp_pg_database

pytestmark = pytest.mark.slow

SETTINGS = ["-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "RETRY_BACKOFF_BASE=0.1", "-s", "RETRY_TIMES=1"]


def _crawl_cmd(registry: Path, out: Path, db: str, *extra: str, blobs: Path | None = None) -> list[str]:
    """Return the arguments of `nianbao crawl` of `registry` into `db`, feed and summary in `out`."""
    where = ["--blobs", str(blobs)] if blobs else []
    return ["crawl", "--sites", str(registry), "--fast", "--db", db, *where,
            "--feed", str(out / "reports.jsonl"), "--summary", str(out / "summary.json"), *SETTINGS,
            *extra]  # fmt: skip


def _consistent(store: Store) -> None:
    """Assert the store holds no duplicate, no torn report and no orphan or missing blob."""
    result = store.fsck(grace_seconds=0, verify=True)
    assert not result.missing_blobs and not result.corrupt_blobs
    assert not result.removed_orphans, f"orphan blobs: {result.removed_orphans}"
    reports = list(store.reports(latest_only=False))
    seqs = sorted(r["seq"] for r in reports)
    assert seqs == list(range(1, len(seqs) + 1)), "report numbers must be dense and unique"
    assert len({r["text_sha256"] for r in reports}) == len(reports)
    for r in reports:
        assert r["sources"] and r["raw_sha256"], f"report {r['seq']} lost its sources or documents"
        assert r["raw_sha256"] == r["documents"][0]
        for sha in r["documents"]:
            assert store.blob(sha), f"blob {sha} of report {r['seq']} missing"


def _expected_urls(web: FixtureWeb) -> set[str]:
    return {u for r in web.expected()["reports"] if r.get("phase", 1) == 1 for u in r["urls"]}


def _stored_urls(db: str, blobs: Path) -> set[str]:
    """Return every URL the store at `db` holds a report's document from."""
    with Store(db, blob_root=blobs) as store:
        return {u for r in store.reports(latest_only=False) for u in r["sources"]}


def _reports_stored(db: str, blobs: Path) -> int:
    """Return how many reports the store holds so far (0 while its tables do not exist yet)."""
    try:
        with Store(db, blob_root=blobs) as store:
            return store.counts()["reports"]
    except Exception:  # not created or not migrated yet
        return 0


def test_crawl_killed_with_sigkill_and_run_again(backend_db_url: str, tmp_path: Path) -> None:
    db, blobs = backend_db_url, tmp_path / "blobs"
    with FixtureWeb() as web:
        registry = web.write_registry(tmp_path / "sites.csv")
        slow = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.2")
        proc = clirun.start(_crawl_cmd(registry, tmp_path, db, *slow, blobs=blobs), cwd=ROOT)
        deadline = time.time() + 90
        while time.time() < deadline and _reports_stored(db, blobs) < 3:
            time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL, "the crawl ended before it could be killed"
        killed_with = _stored_urls(db, blobs)
        rerun = clirun.run(_crawl_cmd(registry, tmp_path, db, blobs=blobs), cwd=ROOT)
        expected = _expected_urls(web)
    assert b"Traceback" not in rerun.stderr, rerun.stderr.decode()[-3000:]
    assert killed_with < expected, "the kill must land before every report was stored"
    with Store(db, blob_root=blobs) as store:
        _consistent(store)
        stored_urls = {u for r in store.reports(latest_only=False) for u in r["sources"]}
        assert expected <= stored_urls, f"sources lost: {sorted(expected - stored_urls)[:5]}"
        # The killed run cannot record its end: the rerun marks it interrupted, never `running` forever.
        assert [r["status"] for r in store.runs()] == ["interrupted", "finished"]


def test_two_crawls_into_one_postgresql_database(tmp_path: Path, first_crawl: FirstCrawl) -> None:
    reason = pg_unavailable()
    if reason:
        pytest.skip(f"PostgreSQL not reachable: {reason}")
    # The baseline: one crawl of the same web alone, into SQLite (the shared first crawl, copied).
    baseline = first_crawl.copy(tmp_path / "base")
    base_db = f"sqlite:///{baseline / 'nianbao.sqlite'}"
    web, registry = first_crawl.web, baseline / "sites.csv"
    with temp_pg_database() as pg_url:
        procs = []
        for n in (1, 2):
            out = tmp_path / f"c{n}"
            out.mkdir()
            procs.append(clirun.start(_crawl_cmd(registry, out, pg_url, blobs=tmp_path / "pg-blobs"), cwd=ROOT))
        results = [p.communicate(timeout=600) for p in procs]
        for p, (_, err) in zip(procs, results, strict=True):
            assert p.returncode in (0, 1), err.decode()[-3000:]
            assert b"Traceback" not in err and b"IntegrityError" not in err, err.decode()[-3000:]
        with Store(base_db) as base, Store(pg_url, blob_root=tmp_path / "pg-blobs") as pg:
            _consistent(pg)
            # A report found in two forms (a DOCX and a PDF of it) is keyed by the text of the form stored
            # first, which two racing crawls may order either way: compare which URLs make up each report.
            want = {frozenset(r["sources"]) for r in base.reports(latest_only=False)}
            got = {frozenset(r["sources"]) for r in pg.reports(latest_only=False)}
            assert got == want
            texts = {r["text_sha256"] for r in pg.reports(latest_only=False)}
            assert len(texts) == len(want)
            with pg.engine.connect() as c:
                assert c.execute(select(Report.id)).all()
            urls_base = {u for r in base.reports(latest_only=False) for u in r["sources"]}
            urls_pg = {u for r in pg.reports(latest_only=False) for u in r["sources"]}
            assert urls_pg == urls_base
            # Both crawls share one memory: every page either parsed is remembered once, for any later worker.
            assert pg.memory.recall(web.url("trs", "/")) is not None


def test_documents_not_stored_are_fetched_again_by_the_next_crawl(tmp_path: Path) -> None:
    """A crawl whose every write fails marks nothing done: the next crawl fetches and stores every report."""
    db = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    broken = tmp_path / "not-a-folder"
    broken.write_text("a file where the blob folder should be")
    with FixtureWeb() as web:
        registry = web.write_registry(tmp_path / "sites.csv")
        first = clirun.run(_crawl_cmd(registry, tmp_path, db, blobs=broken), cwd=ROOT)
        with Store(db) as store:
            assert store.counts()["reports"] == 0, first.stderr.decode()[-2000:]
            [run] = store.runs()
        # Finished, but needs attention: every site says how many documents it could not store.
        assert first.returncode == 1, first.stderr.decode()[-2000:]
        assert b"Traceback" not in first.stderr
        summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
        not_stored = {r["site"]: r["not_stored"] for r in summary["sites"]}
        feed = [json.loads(x) for x in (tmp_path / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
        refused = [e["source_url"] for e in feed if e["kind"] == "error" and e["error"].startswith("not stored:")]
        # Every report URL was refused and said so, once, and the counts say as much as the feed.
        assert _expected_urls(web) <= set(refused), sorted(_expected_urls(web) - set(refused))[:5]
        assert sum(not_stored.values()) == len(refused), not_stored
        assert "document(s) not stored" in first.stderr.decode()
        in_run = sum(v for k, v in run["stats"].items() if k.endswith("/not_stored"))
        assert run["status"] == "finished" and in_run == len(refused)
        rerun = clirun.run(_crawl_cmd(registry, tmp_path, db, blobs=tmp_path / "blobs"), cwd=ROOT)
        expected = _expected_urls(web)
    assert b"Traceback" not in rerun.stderr, rerun.stderr.decode()[-3000:]
    with Store(db, blob_root=tmp_path / "blobs") as store:
        _consistent(store)
        stored_urls = {u for r in store.reports(latest_only=False) for u in r["sources"]}
    assert expected <= stored_urls, f"not fetched again: {sorted(expected - stored_urls)[:5]}"


def test_a_crawl_into_a_fresh_database_fetches_everything(tmp_path: Path, first_crawl: FirstCrawl) -> None:
    """The memory is the database's: a crawl into a fresh one, with every other path as before, sends no
    conditional request and stores every report; run again into the first, the 304s move fetch times forward."""
    first_crawl.copy(tmp_path)  # the first crawl: its store, blobs, feed and summary
    web, registry = first_crawl.web, tmp_path / "sites.csv"
    first_db, first_blobs = f"sqlite:///{tmp_path / 'nianbao.sqlite'}", tmp_path / "blobs"
    other_db = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with Store(first_db, blob_root=first_blobs) as store:
        before = {d["url"]: d["fetched_at"] for r in store.reports(latest_only=False) for d in r["source_details"]}
    other = clirun.run(_crawl_cmd(registry, tmp_path, other_db, blobs=tmp_path / "other-blobs"), cwd=ROOT)
    into_fresh = list(web.requests)
    again = clirun.run(_crawl_cmd(registry, tmp_path, first_db, blobs=first_blobs), cwd=ROOT)
    expected = _expected_urls(web)
    assert b"Traceback" not in other.stderr + again.stderr
    # Only what this very crawl had fetched before may be asked for conditionally (a page linking itself).
    fetched: set[str] = set()
    for r in into_fresh:
        url = f"http://{r['host']}{r['path']}" + (f"?{r['query']}" if r.get("query") else "")
        if {"if-none-match", "if-modified-since"} & {k.lower() for k in r["headers"]}:
            assert url in fetched, f"a fresh database has no memory, yet {url} was asked for conditionally"
        elif r["status"] == 200:
            fetched.add(url)
    assert expected <= fetched, f"not fetched into the fresh database: {sorted(expected - fetched)[:5]}"
    with Store(other_db, blob_root=tmp_path / "other-blobs") as store:
        _consistent(store)
        got = {u for r in store.reports(latest_only=False) for u in r["sources"]}
    assert expected <= got, f"lost in the new database: {sorted(expected - got)[:5]}"
    with Store(first_db, blob_root=first_blobs) as store:
        after = {d["url"]: d["fetched_at"] for r in store.reports(latest_only=False) for d in r["source_details"]}
    assert after.keys() == before.keys()
    moved = {u for u in before if after[u] > before[u]}
    assert expected <= moved, f"304 answers left fetch times as they were: {sorted(expected - moved)[:5]}"


def test_a_crawl_without_a_store_reads_everything_and_remembers_nothing(tmp_path: Path) -> None:
    """`--db ''`: the feed has every report, and the next crawl, with no memory, fetches everything again."""
    feeds = []
    with FixtureWeb() as web:
        registry = web.write_registry(tmp_path / "sites.csv")
        for n in (1, 2):
            out = tmp_path / f"run{n}"
            out.mkdir()
            web.clear_requests()
            run = clirun.run(_crawl_cmd(registry, out, ""), cwd=ROOT)
            assert run.returncode == 1 and b"Traceback" not in run.stderr, run.stderr.decode()[-2000:]  # challenges
            asked = [r for r in web.requests if {"if-none-match", "if-modified-since"} & {k.lower() for k in r["headers"]}]
            assert not asked, f"crawl {n} has no memory, yet asked conditionally: {asked[:2]}"
            feeds.append([json.loads(x) for x in (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()])
        expected = _expected_urls(web)
    for feed in feeds:
        found = {i["source_url"] for i in feed if i["kind"] in ("report", "source")}
        assert expected <= found, f"not read without a store: {sorted(expected - found)[:5]}"
        assert not any("report_id" in i for i in feed), "nothing is stored, so no report has an id"
    assert not list(tmp_path.rglob("*.sqlite")) and not list(tmp_path.rglob("blobs"))
