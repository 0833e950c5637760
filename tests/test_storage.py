"""Storage: migrations, dedup (bytes, text, versions), sources, the crawl memory, runs, reading, fsck.

Every test runs against SQLite (a file under tmp_path) and PostgreSQL (a fresh database, dropped
afterwards; skipped with the reason where the server is unreachable).
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from extractors import extract
from storage import BlobStore, NotMigrated, Store
from storage.memory import Remembered, page_row
from storage.migrations import current, upgrade
from storage.models import Base, CrawlPage, CrawlRun, Document, Report

from .databases import raw_bytes, synthetic_record

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "documents"


@pytest.fixture
def store(backend_store):
    return backend_store


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_migrations_create_the_models_schema_and_are_idempotent(store: Store) -> None:
    assert current(store.engine) == "0006"
    store.migrate()  # a second run finds nothing to do
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_same_bytes_at_two_urls_is_one_document_with_two_sources(store: Store) -> None:
    record = synthetic_record("甲局", 2023)
    raw = raw_bytes(record)
    first = store.add(raw, record, {"url": "https://a.example/1.html", "site": "a"})
    second = store.add(raw, record, {"url": "https://b.example/copy.html", "site": "b"})
    assert (first.document, first.source, first.report) == ("new", "new", "new")
    assert (second.document, second.source, second.report) == ("known", "new", "known")
    assert first.document_id == second.document_id and first.report_id == second.report_id
    counts = store.counts()
    assert (counts["documents"], counts["sources"], counts["reports"]) == (1, 2, 1)
    [out] = store.reports()
    assert out["sources"] == ["https://a.example/1.html", "https://b.example/copy.html"]
    assert out["raw_sha256"] == sha(raw) and out["documents"] == [sha(raw)]
    assert [d["site"] for d in out["source_details"]] == ["a", "b"]
    assert list(store.blobs) == [sha(raw)] and store.blob(sha(raw)) == raw
    again = store.add(raw, record, {"url": "https://a.example/1.html"})
    assert (again.document, again.source, again.report) == ("known", "known", "known")
    assert store.counts()["sources"] == 2


def test_resaved_file_with_the_same_text_is_one_report_with_two_documents(store: Store) -> None:
    """An HTML page and the DOCX re-saved from it: different bytes, same normalized text (real extractor)."""
    html = (FIXTURES / "seed000_html" / "input.html").read_bytes()
    docx = (FIXTURES / "seed000_docx" / "input.docx").read_bytes()
    rec_html, rec_docx = extract(html, name="input.html"), extract(docx, name="input.docx")
    assert rec_html["text_sha256"] == rec_docx["text_sha256"] and html != docx
    a = store.add(html, rec_html, {"url": "https://gov.example/nb.html"}, media_type="text/html")
    b = store.add(docx, rec_docx, {"url": "https://gov.example/nb.docx"})
    assert (a.report, b.report) == ("new", "known")
    assert (a.document, b.document) == ("new", "new")
    assert a.report_id == b.report_id and a.seq == b.seq == 1
    counts = store.counts()
    assert (counts["documents"], counts["reports"], counts["report_documents"]) == (2, 1, 2)
    [out] = store.reports()
    assert out["raw_sha256"] == sha(html) and out["documents"] == [sha(html), sha(docx)]
    assert out["sources"] == ["https://gov.example/nb.html", "https://gov.example/nb.docx"]
    assert out["text_sha256"] == rec_html["text_sha256"]
    assert out["carrier"] == "html"  # the record of first discovery is kept
    # A racing writer can date the twin's link before the creator's: the record's own document still leads.
    from sqlalchemy import update

    from storage.models import ReportDocument

    with Session(store.engine) as s, s.begin():
        s.execute(update(ReportDocument).where(ReportDocument.document_id == b.document_id)
                  .values(first_seen=datetime(2000, 1, 1)))  # fmt: skip
    [out] = store.reports()
    assert out["raw_sha256"] == sha(html) and out["documents"] == [sha(html), sha(docx)]


def test_same_report_as_html_and_pdf_is_one_report(store: Store) -> None:
    """An HTML page and a PDF of it: other normalized text, the same tables: one report, two documents."""
    html = (FIXTURES / "seed004_html" / "input.html").read_bytes()
    pdf = (FIXTURES / "seed004_pdf" / "input.pdf").read_bytes()
    rec_html, rec_pdf = extract(html, name="input.html"), extract(pdf, name="input.pdf")
    assert rec_html["text_sha256"] != rec_pdf["text_sha256"]
    a = store.add(html, {**rec_html, "region_code": "330212"}, {"url": "https://gov.example/nb.html"})
    b = store.add(pdf, {**rec_pdf, "region_code": "330212"}, {"url": "https://gov.example/nb.pdf"})
    assert (a.report, b.report) == ("new", "known") and a.report_id == b.report_id
    [out] = store.reports()
    assert out["sources"] == ["https://gov.example/nb.html", "https://gov.example/nb.pdf"]
    changed = {**rec_pdf, "region_code": "330212", "requests": {**rec_pdf["requests"], "granted": [1] * 7}}
    c = store.add(pdf + b" ", changed, {"url": "https://gov.example/nb2.pdf"})
    assert c.report == "new_version"


def test_resaved_encodings_of_a_synthetic_report_share_the_report(store: Store) -> None:
    record = synthetic_record("乙局", 2022)
    results = [
        store.add(raw_bytes(record, style), record, {"url": f"https://x/{style}"})
        for style in ("utf-8", "gb18030", "crlf")
    ]
    assert len({r.raw_sha256 for r in results}) == 3
    assert [r.report for r in results] == ["new", "known", "known"]
    assert store.counts()["reports"] == 1 and store.counts()["documents"] == 3


def test_republished_report_is_a_new_version_linked_to_the_previous(store: Store) -> None:
    v1 = synthetic_record("丙区人民政府办公室", 2023, published_at="2024-03-01")
    v2 = synthetic_record("丙区人民政府办公室", 2023, variant=3, published_at="2024-04-10")
    v3 = synthetic_record("丙区人民政府办公室", 2023, variant=7, published_at="2024-05-02")
    r1 = store.add(raw_bytes(v1), v1, {"url": "https://c/2023.html"})
    r2 = store.add(raw_bytes(v2), v2, {"url": "https://c/2023.html"})
    assert (r1.report, r1.version) == ("new", 1)
    assert (r2.report, r2.version) == ("new_version", 2)
    assert r2.report_id != r1.report_id and r2.seq == r1.seq + 1
    [latest] = store.reports()
    assert latest["report_id"] == r2.report_id and latest["supersedes_id"] == r1.report_id
    assert latest["requests"]["new_received"][6] == 13
    r3 = store.add(raw_bytes(v3), v3, {"url": "https://c/2023-rev.html"})
    assert (r3.report, r3.version) == ("new_version", 3)
    every = {r["report_id"]: r for r in store.reports(latest_only=False)}
    assert [every[i]["is_latest"] for i in (r1.report_id, r2.report_id, r3.report_id)] == [False, False, True]
    assert every[r3.report_id]["supersedes_id"] == r2.report_id
    assert every[r2.report_id]["supersedes_id"] == r1.report_id
    assert every[r1.report_id]["supersedes_id"] is None
    # Seeing the first version again changes nothing.
    again = store.add(raw_bytes(v1), v1, {"url": "https://c/old-copy.html"})
    assert (again.report, again.report_id, again.version) == ("known", r1.report_id, 1)
    assert [r["report_id"] for r in store.reports()] == [r3.report_id]


def test_versions_follow_publication_dates_when_found_out_of_order(store: Store) -> None:
    late = synthetic_record("丁局", 2021, variant=1, published_at="2022-06-01")
    early = synthetic_record("丁局", 2021, published_at="2022-01-15")
    first = store.add(raw_bytes(late), late, {"url": "https://d/new"})
    second = store.add(raw_bytes(early), early, {"url": "https://d/old"})
    assert second.report == "new_version"
    every = {r["report_id"]: r for r in store.reports(latest_only=False)}
    assert every[first.report_id]["is_latest"] and not every[second.report_id]["is_latest"]
    assert (every[second.report_id]["version"], every[first.report_id]["version"]) == (1, 2)
    assert every[first.report_id]["supersedes_id"] == second.report_id
    assert (every[first.report_id]["seq"], every[second.report_id]["seq"]) == (1, 2)  # seq: discovery order


def test_other_years_regions_and_agencies_are_not_versions(store: Store) -> None:
    records = [
        synthetic_record("戊局", 2022),
        synthetic_record("戊局", 2023),
        synthetic_record("戊局", 2023, variant=1, region_code="110101"),
        synthetic_record("己局", 2023, variant=2),
        synthetic_record(" 戊　局 ", 2023, variant=4),  # the same agency, spaced: a version of 戊局 2023
    ]
    statuses = [store.add(raw_bytes(r), r, {"url": f"https://e/{i}"}).report for i, r in enumerate(records)]
    assert statuses == ["new", "new", "new", "new", "new_version"]
    assert store.counts()["latest_reports"] == 4


def test_the_memory_gives_the_validators_of_the_latest_stored_fetch(store: Store) -> None:
    record = synthetic_record("庚局", 2023)
    raw = raw_bytes(record)
    url = "https://g/nb.html"
    assert store.memory.recall(url) is None
    t1, t2, t0 = (datetime(2025, 1, d, tzinfo=UTC) for d in (2, 5, 1))
    store.add(raw, record, {"url": url, "etag": '"v1"', "last_modified": "Thu, 02 Jan 2025", "fetched_at": t1})
    assert store.memory.recall(url) == Remembered('"v1"', "Thu, 02 Jan 2025", document=True, report=True, sha256=sha(raw))
    r = store.add(raw, record, {"url": url, "etag": '"v2"', "last_modified": None, "fetched_at": t2, "status": 200})
    assert r.source == "known"
    assert store.memory.recall(url) == Remembered('"v2"', None, document=True, report=True, sha256=sha(raw))
    store.add(raw, record, {"url": url, "etag": '"stale"', "fetched_at": t0})  # an older fetch does not win
    assert store.memory.recall(url) == Remembered('"v2"', None, document=True, report=True, sha256=sha(raw))
    # The URL serves other bytes later: its latest stored fetch is theirs.
    other = synthetic_record("庚局", 2024)
    store.add(raw_bytes(other), other, {"url": url, "etag": '"v3"', "fetched_at": t2 + timedelta(days=1)})
    assert store.memory.recall(url) == Remembered('"v3"', None, document=True, report=True, sha256=sha(raw_bytes(other)))
    long_url = "https://g/" + "q" * 5000
    store.add(raw, record, {"url": long_url})
    assert store.memory.recall(long_url) == Remembered(None, None, document=True, report=True, sha256=sha(raw))
    assert store.memory.stored_before(sha(raw)) and not store.memory.stored_before("0" * 64)


def test_a_document_not_read_is_not_done_and_its_bytes_are_read_again(store: Store) -> None:
    letter, broken = "关于某事项的函".encode(), b"%PDF-1.4 truncated"
    store.add(letter, None, {"url": "https://i/letter.html", "etag": '"l"'})
    store.add_error(broken, {"url": "https://i/broken.pdf", "etag": '"b"'}, "pdf: no text layer")
    assert store.memory.recall("https://i/letter.html") == Remembered('"l"', None, document=True, report=False,
                                                                      sha256=sha(letter))
    assert store.memory.recall("https://i/broken.pdf") is None
    assert store.memory.stored_before(sha(letter)) and not store.memory.stored_before(sha(broken))
    # Asked many at once (over a query's worth, one twice): the same answers.
    many = [f"{k:064x}" for k in range(1200)] + [sha(broken), sha(letter), sha(letter)]
    assert store.memory.stored_before_many(many) == {sha(letter)}
    # The URL now serves other bytes that cannot be read: it is fetched whole again next time.
    later = datetime.now(UTC) + timedelta(seconds=5)
    store.add_error(b"%PDF-1.4 other", {"url": "https://i/letter.html", "fetched_at": later}, "unreadable")
    assert store.memory.recall("https://i/letter.html") is None


def test_pages_are_remembered_with_their_children_and_the_latest_parse_wins(store: Store) -> None:
    memory = store.memory
    child = {"url": "https://p/nb/1.pdf", "role": "document", "context": {"list_title": "年报"}, "cb": "parse_page",
             "method": "GET", "form": None}  # fmt: skip
    memory.remember_pages([page_row("https://p/list.html", etag='"1"', last_modified=None, children=[child], document=False)])
    assert memory.recall("https://p/list.html") == Remembered('"1"', None, False, False, (child,))
    memory.remember_pages([page_row("https://p/list.html", etag='"2"', last_modified="Mon", children=[], document=False)])
    assert memory.recall("https://p/list.html") == Remembered('"2"', "Mon", False, False, ())
    # A report page keeps its attachments but is done only once its own fetch is stored.
    page = "https://p/nb/2024.html"
    memory.remember_pages([page_row(page, etag='"page"', last_modified=None, children=[child], document=True)])
    assert memory.recall(page) is None
    record = synthetic_record("页局", 2024)
    store.add(raw_bytes(record), record, {"url": page, "etag": '"page"'})
    assert memory.recall(page) == Remembered('"page"', None, True, True, (child,), sha(raw_bytes(record)))
    with Session(store.engine) as s:
        assert s.scalar(select(func.count()).select_from(CrawlPage)) == 2


def test_list_context_is_kept_and_filled_in_later(store: Store) -> None:
    record = synthetic_record("辛局", 2023)
    raw = raw_bytes(record)
    store.add(raw, record, {"url": "https://h/1", "site": "h"})
    store.add(
        raw,
        record,
        {
            "url": "https://h/1",
            "list_title": "辛局2023年报",
            "list_date": "2024-01-30",
            "column": "政府信息公开年报",
            "region_name": "某县",
        },
    )
    [out] = store.reports()
    [detail] = out["source_details"]
    assert (detail["site"], detail["list_title"], detail["list_date"], detail["column"]) == (
        "h",
        "辛局2023年报",
        "2024-01-30",
        "政府信息公开年报",
    )


def test_non_reports_and_errors_keep_document_and_source(store: Store) -> None:
    letter = "关于某事项的函".encode()
    r = store.add(letter, None, {"url": "https://i/letter.html"})
    assert (r.document, r.source, r.report, r.report_id) == ("new", "new", None, None)
    broken = b"%PDF-1.4 truncated"
    e = store.add_error(broken, {"url": "https://i/broken.pdf"}, "pdf: no text layer")
    assert e.report is None
    record = synthetic_record("壬局", 2023)
    raw = raw_bytes(record)
    store.add_error(raw, {"url": "https://i/nb.doc"}, "doc: converter missing")
    fixed = store.add(raw, record, {"url": "https://i/nb.doc"})  # a later extractor reads it
    assert (fixed.document, fixed.source, fixed.report) == ("known", "known", "new")
    store.add_error(raw, {"url": "https://i/nb.doc"}, "transient")  # an error does not undo a report
    with Session(store.engine) as s:
        kinds = {d.sha256: (d.kind, d.error) for d in s.scalars(select(Document))}
    assert kinds[sha(letter)] == ("not_report", None)
    assert kinds[sha(broken)] == ("error", "pdf: no text layer")
    assert kinds[sha(raw)] == ("report", None)
    counts = store.counts()
    assert (counts["documents"], counts["sources"], counts["reports"]) == (3, 3, 1)
    assert all(store.blobs.verify(h) for h in kinds)


def test_crawl_runs_record_start_end_and_stats(store: Store) -> None:
    run = store.start_run(["pingtan", "yinzhou"], note="nightly")
    record = synthetic_record("癸局", 2024)
    store.add(raw_bytes(record), record, {"url": "https://j/1", "run_id": run})
    [started] = store.runs()
    assert (started["status"], started["finished_at"], started["sites"]) == ("running", None, ["pingtan", "yinzhou"])
    store.finish_run(run, {"reports_new": 1, "站点": {"pingtan": 1}}, status="finished")
    [done] = store.runs()
    assert done["status"] == "finished" and done["finished_at"] >= done["started_at"]
    assert done["stats"] == {"reports_new": 1, "站点": {"pingtan": 1}}
    with pytest.raises(KeyError):
        store.finish_run(run + 99, {})


def test_a_run_whose_process_is_gone_is_marked_interrupted_by_the_next(store: Store) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = store.start_run(["a"])
    live = store.start_run(["b"])  # this very process: still running
    with store.engine.begin() as conn:
        conn.execute(update(CrawlRun).where(CrawlRun.id == killed)
                     .values(owner=f"{socket.gethostname()}:{dead.stdout.strip()}"))
    store.start_run(["c"])
    status = {r["id"]: r["status"] for r in store.runs()}
    assert status[killed] == "interrupted" and status[live] == "running"


def test_a_silent_run_on_another_host_is_marked_interrupted(store: Store) -> None:
    quiet, recent = store.start_run(["a"]), store.start_run(["b"])
    old = datetime.now(UTC) - timedelta(hours=2)
    with store.engine.begin() as conn:
        conn.execute(update(CrawlRun).where(CrawlRun.id.in_([quiet, recent])).values(owner="elsewhere:1"))
        conn.execute(update(CrawlRun).where(CrawlRun.id == quiet).values(heartbeat_at=old))
    store.start_run(["c"])
    status = {r["id"]: r["status"] for r in store.runs()}
    assert status[quiet] == "interrupted" and status[recent] == "running"


def test_an_existing_database_is_upgraded_and_keeps_its_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    with Store(url, blob_root=tmp_path / "blobs") as old:
        upgrade(old.engine, "0001")
        with old.engine.begin() as conn:
            conn.execute(text("INSERT INTO crawl_runs(started_at, status) VALUES ('2025-01-01 00:00:00', 'running')"))
    with Store(url, blob_root=tmp_path / "blobs") as new:
        new.migrate()
        assert current(new.engine) == "0006"
        new.start_run(["x"])
        runs = new.runs()
        assert [r["status"] for r in runs] == ["interrupted", "running"]  # silent since 2025


def _downgrade(engine, revision: str) -> None:
    """Take the database behind `engine` back to `revision` (to build a database of an earlier era)."""
    from alembic import command

    from storage.migrations import config

    cfg = config()
    with engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _unattribute(engine, **columns) -> None:
    """Make the stored reports what the code before 0004 wrote: no body keys in the record, old version keys."""
    with engine.begin() as conn:
        for rid, record, agency, year, region in conn.execute(
            text("SELECT id, record, agency, year, region_code FROM reports")
        ).all():
            record = json.loads(record) if isinstance(record, str) else record
            for key in ("body", "body_key", "attribution"):
                record.pop(key, None)
            values = {"region_code": region, **columns}
            record.update({k: v for k, v in values.items() if k in ("region_code", "region_name")})
            conn.execute(
                update(Report.__table__)
                .where(Report.__table__.c.id == rid)
                .values(record=record, version_key=f"{values['region_code']}|{agency}|{year}", **values)
            )


def test_a_0002_database_holding_data_is_upgraded_and_its_documents_are_remembered(
    backend_db_url: str, tmp_path: Path
) -> None:
    """Upgraded to the newest, a database of the state-file era keeps everything and knows its documents are
    done. (It is made by writing with today's code and migrating back to 0002: the old code's rows.)"""
    record = synthetic_record("旧库局", 2023)
    raw = raw_bytes(record)
    with Store(backend_db_url, blob_root=tmp_path / "blobs") as old:
        old.migrate()
        run = old.start_run(["old"])
        old.add(raw, record, {"url": "https://old/nb.pdf", "etag": '"e"', "run_id": run})
        old.add(b"not a report", None, {"url": "https://old/letter.html", "last_modified": "Tue"})
        old.finish_run(run, {"pages": 3})
        before = (old.counts(), list(old.reports()), old.runs())
        _downgrade(old.engine, "0002")
        _unattribute(old.engine)
        with old.engine.connect() as conn:
            assert "crawl_pages" not in conn.dialect.get_table_names(conn)
    with Store(backend_db_url, blob_root=tmp_path / "blobs") as new:
        new.migrate()
        assert current(new.engine) == "0006"
        assert (new.counts(), list(new.reports()), new.runs()) == before
        assert new.memory.recall("https://old/nb.pdf") == Remembered('"e"', None, document=True, report=True,
                                                                       sha256=sha(raw))
        assert new.memory.recall("https://old/letter.html") == Remembered(None, "Tue", document=True, report=False,
                                                                                sha256=sha(b"not a report"))
        assert new.memory.recall("https://old/list.html") is None  # pages were in the state file: fetched whole
        new.memory.remember_pages([page_row("https://old/list.html", etag='"l"', last_modified=None, children=[], document=False)])
        assert new.memory.recall("https://old/list.html") == Remembered('"l"', None, False, False)
        with new.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree after the upgrade: {diff}"


def test_a_0003_database_is_upgraded_to_bodies_and_one_body_named_two_ways_becomes_one_key(
    backend_db_url: str, tmp_path: Path
) -> None:
    """0004 attributes stored reports: a district's reports stored under its city's code (the site's) move to
    the district's code, and `淮安市洪泽区人民政府` / `洪泽区人民政府` share one body key (and version keys)."""
    a = synthetic_record("淮安市洪泽区人民政府", 2023, region_code="320800")
    b = synthetic_record("洪泽区人民政府", 2024, region_code="320800")
    with Store(backend_db_url, blob_root=tmp_path / "blobs") as old:
        old.migrate()
        for i, r in enumerate((a, b)):
            old.add(raw_bytes(r), r, {"url": f"https://ha/{i}.pdf", "site": "lonsun", "region_code": "320800"})
        _downgrade(old.engine, "0003")
        _unattribute(old.engine, region_code="320800", region_name="江苏省淮安市")
        with old.engine.connect() as conn:
            assert {r[0] for r in conn.execute(text("SELECT region_code FROM reports"))} == {"320800"}
    with Store(backend_db_url, blob_root=tmp_path / "blobs") as new:
        new.migrate()
        assert current(new.engine) == "0006"
        got = list(new.reports())
        assert [(r["region_code"], r["body"], r["body_key"]) for r in got] == [
            ("320813", "洪泽区人民政府", "320813|洪泽区"),
            ("320813", "洪泽区人民政府", "320813|洪泽区"),
        ]
        assert all(r["attribution"]["site_region_code"] == "320800" for r in got)
        with Session(new.engine) as s:
            rows = s.scalars(select(Report).order_by(Report.seq)).all()
            assert [(r.body_key, r.version_key, r.is_latest) for r in rows] == [
                ("320813|洪泽区", "320813|洪泽区|2023", True),
                ("320813|洪泽区", "320813|洪泽区|2024", True),
            ]
        assert [r["agency"] for r in new.reports(region="3208")] == ["淮安市洪泽区人民政府", "洪泽区人民政府"]
        assert list(new.reports(region="320812")) == []
        with new.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree after the upgrade: {diff}"


def test_reports_are_filtered_and_ordered_and_keep_the_record(store: Store) -> None:
    a = synthetic_record("子局", 2022, region_code="350128")
    b = synthetic_record("丑局", 2023, region_code="350102")
    c = synthetic_record("寅局", 2023, region_code="330212")
    for i, r in enumerate((a, b, c)):
        store.add(raw_bytes(r), r, {"url": f"https://k/{i}", "site": f"site{i}", "region_name": f"区{i}"})
    assert [r["agency"] for r in store.reports()] == ["子局", "丑局", "寅局"]
    assert [r["seq"] for r in store.reports()] == [1, 2, 3]
    assert [r["agency"] for r in store.reports(region="350100")] == ["子局", "丑局"]
    assert [r["agency"] for r in store.reports(region="350000", year=2023)] == ["丑局"]
    assert [r["agency"] for r in store.reports(region="330212")] == ["寅局"]
    assert [r["agency"] for r in store.reports(region="site2")] == ["寅局"]
    assert [r["agency"] for r in store.reports(region="区0")] == ["子局"]
    out = next(store.reports())
    assert list(out)[: len(a)] == list(a)  # key order survives the JSON column
    assert {k: out[k] for k in a} == a
    assert out["site"] == "site0" and out["source_url"] == "https://k/0"
    with Session(store.engine) as s:
        row = s.scalars(select(Report).where(Report.seq == 1)).one()
        assert (row.errors, row.warnings, row.infos) == (0, 1, 0)
        assert (row.year, row.agency, row.region_code, row.format) == (2022, "子局", "350128", "2021")


def test_published_at_is_queryable(store: Store) -> None:
    record = synthetic_record("卯局", 2023, published_at="2024年1月9日")
    store.add(raw_bytes(record), record, {"url": "https://l/1"})
    plain = synthetic_record("辰局", 2023)
    store.add(raw_bytes(plain), plain, {"url": "https://l/2", "list_date": "2024-02-01"})
    with Session(store.engine) as s:
        dates = {agency: published for agency, published in s.execute(select(Report.agency, Report.published_at))}
    assert dates == {"卯局": datetime(2024, 1, 9), "辰局": datetime(2024, 2, 1)}


def test_fsck_removes_orphans_and_temp_files_and_reports_missing_blobs(store: Store) -> None:
    record = synthetic_record("巳局", 2023)
    raw = raw_bytes(record)
    store.add(raw, record, {"url": "https://m/1"})
    orphan, _ = store.blobs.put(b"bytes whose documents row never committed")
    tmp = store.blobs.path(orphan).parent / ".tmp-interrupted"
    tmp.write_bytes(b"half")
    kept = store.fsck()  # both are fresh: a live writer might still be committing them
    assert kept.removed_orphans == [] and kept.removed_temp == [] and store.blobs.exists(orphan)
    swept = store.fsck(grace_seconds=0, verify=True)
    assert swept.removed_orphans == [orphan] and swept.removed_temp == [str(tmp)]
    assert swept.ok and not store.blobs.exists(orphan) and not tmp.exists()
    assert store.blob(sha(raw)) == raw
    store.blobs.path(sha(raw)).write_bytes(b"bit rot")
    assert store.fsck(grace_seconds=0, verify=True).corrupt_blobs == [sha(raw)]
    store.blobs.remove(sha(raw))
    missing = store.fsck(grace_seconds=0)
    assert missing.missing_blobs == [sha(raw)] and not missing.ok


def test_blob_store_layout_and_atomic_put(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "b")
    data = b"annual report bytes"
    h, written = blobs.put(data)
    assert written and h == sha(data)
    assert blobs.path(h) == tmp_path / "b" / h[:2] / h[2:4] / h
    assert blobs.put(data) == (h, False)
    assert blobs.get(h) == data and list(blobs) == [h] and blobs.temp_files() == []
    with pytest.raises(ValueError):
        blobs.path("../../etc/passwd")


def test_default_blob_root_sits_beside_the_sqlite_file(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}")
    try:
        assert s.blobs.root == tmp_path / "sub" / "blobs"
        s.migrate()
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    finally:
        s.close()


def test_adding_to_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'fresh.sqlite'}", blob_root=tmp_path / "blobs")
    try:
        with pytest.raises(NotMigrated, match="migrate"):
            s.add(b"x", None, {"url": "https://n/1"})
    finally:
        s.close()


def test_touch_moves_an_unchanged_urls_fetch_time_forward(store: Store) -> None:
    """A scheduled crawl that gets 304 for a URL records that the URL still serves the report."""
    record = synthetic_record("东城局", 2023, region_code="110101")
    first = datetime(2024, 3, 1, tzinfo=UTC)
    store.add(raw_bytes(record), record, {"url": "https://x.gov.cn/nb.html", "fetched_at": first, "status": 200})
    run = store.start_run(["x"])
    later = datetime(2025, 3, 1, tzinfo=UTC)
    assert store.memory.touch("https://x.gov.cn/nb.html", later, run) == 1
    assert store.memory.touch("https://x.gov.cn/never-fetched.html", later) == 0
    assert store.memory.touch("https://x.gov.cn/nb.html", first) == 1  # an older time never moves it back
    [detail] = next(store.reports())["source_details"]
    assert detail["fetched_at"].startswith("2025-03-01") and detail["http_status"] == 200
    with Session(store.engine) as s:
        from storage.models import Source

        assert s.scalar(select(Source.run_id)) == run
