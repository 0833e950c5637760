"""The store: documents by SHA-256, sources by (document, URL), reports by text SHA-256, crawl runs.

Every `add` writes the blob first (durably, see `blobs.py`) and then all rows in one transaction, so
a crash leaves at most an orphan blob (removed by `fsck`) and never half a report. Concurrent writers
are safe: rows are inserted with ON CONFLICT DO NOTHING on their unique keys, new reports are created
under a row lock on the `report_seq` counter (so `seq` is dense and versions are linked one writer at a
time), and a transaction that loses a race or a deadlock is retried.
"""

from __future__ import annotations

import random
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from extractors.normalize import text_sha256

from . import migrations
from .blobs import BlobStore, sha256_hex
from .engine import WRITE, make_engine
from .fsck import FsckResult, fsck
from .keys import iso, parse_datetime, utc_datetime, version_key
from .models import Counter, CrawlRun, Document, Report, ReportDocument, Source
from .reading import report_query, with_sources
from .records import record_text
from .runs import abandoned, this_owner
from .sources import SourceFields, url_sha256
from .sql import insert_ignore, missing_table, retryable

DEFAULT_URL = "sqlite:///data/nianbao.sqlite"
MAX_TRIES = 8
KIND_RANK = {"error": 0, "not_report": 1, "report": 2}
COMPUTED_KEYS = ("sources", "source_details", "raw_sha256", "documents", "seq", "report_id", "version", "is_latest")

T = TypeVar("T")


class NotMigrated(RuntimeError):
    """The database has no schema yet: call `Store.migrate()` first."""


@dataclass(frozen=True)
class AddResult:
    """What `Store.add` did.

    `document` and `source` are "new" or "known"; `report` is "new", "known", "new_version" (a new text
    for an agency and year already stored) or None (no record: not a report, or an error).
    """

    raw_sha256: str
    document_id: int
    document: str
    source: str
    report: str | None = None
    report_id: int | None = None
    seq: int | None = None
    version: int | None = None


class Store:
    """Documents, sources, reports and crawl runs in one database plus a blob folder.

    `url` is any SQLAlchemy URL (`sqlite:///data/nianbao.sqlite`, `postgresql+psycopg://user@host/db`).
    `blob_root` defaults to `blobs/` beside a SQLite file, else `data/blobs`. Call `migrate()` once
    before the first `add` (it is cheap and idempotent).
    """

    def __init__(self, url: str = DEFAULT_URL, blob_root: str | Path | None = None) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._writer = self.engine.execution_options(**WRITE)
        if blob_root is None:
            database = make_url(url).database if make_url(url).get_backend_name() == "sqlite" else None
            in_file = database and database != ":memory:" and not database.startswith("file::memory:")
            blob_root = Path(database).parent / "blobs" if in_file else Path("data/blobs")
        self.blobs = BlobStore(blob_root)
        self.retries = 0
        """How many write transactions were retried (lost races, deadlocks, busy database) by this Store."""

    # -- lifecycle --------------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (creating it on an empty database)."""
        migrations.upgrade(self.engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r}, blob_root={str(self.blobs.root)!r})"

    # -- writing ----------------------------------------------------------------------------------
    def add(
        self, raw: bytes, record: dict[str, Any] | None, source: dict[str, Any], media_type: str | None = None
    ) -> AddResult:
        """Store fetched bytes, the URL they came from and, where `record` is given, the report they hold.

        `record` None means the bytes were fetched but are not a report: the document and its source
        are kept, no report. `source` has `url` (or `source_url`) and optionally `fetched_at`,
        `status`, `etag`, `last_modified`, `site`, `region_code`, `region_name`, `list_title`,
        `list_date`, `column`, `published_at`, `run_id`, `content_type`. Returns an `AddResult`.
        """
        kind = "report" if record is not None else "not_report"
        return self._add(raw, record, source, media_type, kind, None)

    def add_error(self, raw: bytes, source: dict[str, Any], reason: str, media_type: str | None = None) -> AddResult:
        """Store bytes the extractor could not read, with the reason; returns an `AddResult` without report."""
        return self._add(raw, None, source, media_type, "error", reason)

    def _add(
        self,
        raw: bytes,
        record: dict[str, Any] | None,
        source: dict[str, Any],
        media_type: str | None,
        kind: str,
        error: str | None,
    ) -> AddResult:
        src = SourceFields.read(source)
        media = media_type or (str(source.get("content_type") or "").split(";")[0].strip() or None)
        carrier = (record or {}).get("carrier") or source.get("carrier")
        sha = sha256_hex(raw)
        self.blobs.put(raw, sha)  # durable before any row names it

        def work(s: Session) -> AddResult:
            now = datetime.now(UTC)
            doc_id, doc_new = self._document(s, sha, len(raw), media, carrier, kind, error, now)
            report: tuple[str, int, int, int] | None = None
            if record is not None:
                report = self._report(s, record, src, doc_id, sha, now)
            src_new = self._source(s, doc_id, src, now)
            status, report_id, seq, version = report if report else (None, None, None, None)
            return AddResult(
                raw_sha256=sha,
                document_id=doc_id,
                document="new" if doc_new else "known",
                source="new" if src_new else "known",
                report=status,
                report_id=report_id,
                seq=seq,
                version=version,
            )

        return self._write(work)

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one write transaction; retry it where it lost a race, a deadlock or a lock wait."""
        for attempt in range(MAX_TRIES):
            try:
                with Session(self._writer, expire_on_commit=False) as s, s.begin():
                    return work(s)
            except (IntegrityError, OperationalError, ProgrammingError) as exc:
                if missing_table(exc):
                    raise NotMigrated(f"{self!r} has no tables: call Store.migrate() first") from exc
                if attempt == MAX_TRIES - 1 or not retryable(exc):
                    raise
                self.retries += 1
                time.sleep(min(0.02 * 2**attempt, 1.0) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def _document(
        self,
        s: Session,
        sha: str,
        size: int,
        media: str | None,
        carrier: str | None,
        kind: str,
        error: str | None,
        now: datetime,
    ) -> tuple[int, bool]:
        values = dict(sha256=sha, size=size, media_type=media, carrier=carrier, kind=kind, error=error, first_seen=now)
        new_id = insert_ignore(s, Document, values, ["sha256"])
        if new_id is not None:
            return new_id, True
        doc = s.execute(select(Document).where(Document.sha256 == sha).with_for_update()).scalar_one()
        if KIND_RANK[kind] >= KIND_RANK.get(doc.kind, 0) and (doc.kind, doc.error) != (kind, error):
            doc.kind, doc.error = kind, error
        if doc.media_type is None and media:
            doc.media_type = media
        if doc.carrier is None and carrier:
            doc.carrier = carrier
        return doc.id, False

    def _source(self, s: Session, doc_id: int, src: SourceFields, now: datetime) -> bool:
        values = {k: v for k, v in vars(src).items()}
        values.update(document_id=doc_id, first_seen=now)
        if insert_ignore(s, Source, values, ["document_id", "url_sha256"]) is not None:
            return True
        row = s.execute(
            select(Source).where(Source.document_id == doc_id, Source.url_sha256 == src.url_sha256).with_for_update()
        ).scalar_one()
        if _aware(row.fetched_at) <= src.fetched_at:
            row.fetched_at = src.fetched_at
            for key in ("http_status", "etag", "last_modified"):
                setattr(row, key, getattr(src, key))
            if src.run_id is not None:
                row.run_id = src.run_id
        for key in SourceFields.CONTEXT:
            if getattr(row, key) is None and getattr(src, key) is not None:
                setattr(row, key, getattr(src, key))
        return False

    def _report(
        self, s: Session, record: dict[str, Any], src: SourceFields, doc_id: int, sha: str, now: datetime
    ) -> tuple[str, int, int, int]:
        """Find or create the report of `record` and link the document; return (status, id, seq, version)."""
        text_hash = record.get("text_sha256") or text_sha256(record_text(record))
        find = select(Report.id, Report.seq, Report.version).where(Report.text_sha256 == text_hash)
        found = s.execute(find).first()
        if found is None:
            # Report creation is serialised by the counter's row lock; look again once it is held.
            counter = s.execute(select(Counter).where(Counter.name == "report_seq").with_for_update()).scalar_one()
            found = s.execute(find).first()
        region_code = record.get("region_code") or src.region_code
        year = _int(record.get("year"))
        vkey = version_key(record.get("agency"), year, region_code)
        if found is None and vkey is not None:
            # The same report in another form (an HTML page and a PDF of it): other text, the same tables.
            for twin in s.execute(select(Report).where(Report.version_key == vkey)).scalars():
                if same_tables(twin.record, record):
                    found = twin
                    break
        if found is not None:
            insert_ignore(s, ReportDocument, dict(report_id=found.id, document_id=doc_id, first_seen=now), None)
            return "known", found.id, found.seq, found.version
        counter.value += 1
        severities = Tally(str(c.get("severity") or "") for c in record.get("checks") or [] if isinstance(c, dict))
        stored = {k: v for k, v in record.items() if k not in COMPUTED_KEYS}
        stored["text_sha256"] = text_hash
        stored["raw_sha256"] = sha  # the document this record was read from
        report = Report(
            text_sha256=text_hash,
            seq=counter.value,
            record=stored,
            title=record.get("title"),
            year=year,
            agency=record.get("agency"),
            region_code=region_code,
            region_name=record.get("region_name") or src.region_name,
            site=record.get("site") or src.site,
            format=record.get("format"),
            published_at=parse_datetime(record.get("published_at") or src.published_at or src.list_date),
            errors=severities["E"],
            warnings=severities["W"],
            infos=severities["I"],
            first_seen=now,
            version_key=vkey,
            version=1,
            is_latest=vkey is None,
            supersedes_id=None,
        )
        s.add(report)
        s.flush()
        insert_ignore(s, ReportDocument, dict(report_id=report.id, document_id=doc_id, first_seen=now), None)
        status = "new"
        if vkey is not None and self._relink_versions(s, vkey) > 1:
            status = "new_version"
        return status, report.id, report.seq, report.version

    @staticmethod
    def _relink_versions(s: Session, vkey: str) -> int:
        """Number the reports of one version key, link each to the one before, mark the last latest.

        Versions follow publication dates where every version has one, else the order of discovery.
        Returns how many versions there are.
        """
        rows = list(s.scalars(select(Report).where(Report.version_key == vkey)))
        if all(r.published_at is not None for r in rows):
            rows.sort(key=lambda r: (r.published_at, r.seq))
        else:
            rows.sort(key=lambda r: r.seq)
        # Clear the flag first: the partial unique index allows one latest per key at every statement.
        s.execute(update(Report).where(Report.version_key == vkey, Report.is_latest).values(is_latest=False))
        previous: Report | None = None
        for number, r in enumerate(rows, 1):
            r.version = number
            r.supersedes_id = previous.id if previous else None
            previous = r
        rows[-1].is_latest = True
        s.flush()
        return len(rows)

    # -- crawl runs -------------------------------------------------------------------------------
    def start_run(self, sites: Iterable[str] | None = None, note: str | None = None) -> int:
        """Record the start of a crawl over `sites`; return the run id (pass it as `source["run_id"]`).

        Runs still marked `running` whose process is gone are marked `interrupted` first.
        """

        def work(s: Session) -> int:
            now = datetime.now(UTC)
            for old in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
                if abandoned(old.owner, _aware(old.heartbeat_at or old.started_at), now):
                    old.status = "interrupted"
            run = CrawlRun(started_at=now, status="running", sites=list(sites) if sites else None, note=note,
                           owner=this_owner(), heartbeat_at=now)  # fmt: skip
            s.add(run)
            s.flush()
            return run.id

        return self._write(work)

    def beat(self, run_id: int) -> None:
        """Record that run `run_id` is still alive."""
        self._write(lambda s: s.execute(
            update(CrawlRun).where(CrawlRun.id == run_id).values(heartbeat_at=datetime.now(UTC))))  # fmt: skip

    def finish_run(self, run_id: int, stats: dict[str, Any] | None = None, status: str = "finished") -> None:
        """Record the end of a crawl with its stats (any JSON-able dict) and status (`finished`, `interrupted` …)."""

        def work(s: Session) -> None:
            run = s.get(CrawlRun, run_id)
            if run is None:
                raise KeyError(f"no crawl run {run_id}")
            run.finished_at = datetime.now(UTC)
            run.heartbeat_at = run.finished_at
            run.status = status
            run.stats = stats

        self._write(work)

    def runs(self) -> list[dict[str, Any]]:
        """Return every crawl run as a dict (id, started_at, finished_at, status, sites, stats, note), oldest first."""
        with Session(self.engine) as s:
            return [
                {
                    "id": r.id,
                    "started_at": iso(r.started_at),
                    "finished_at": iso(r.finished_at),
                    "status": r.status,
                    "sites": r.sites,
                    "stats": r.stats,
                    "note": r.note,
                    "owner": r.owner,
                }
                for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))
            ]

    def touch(self, url: str, fetched_at: Any = None, run_id: int | None = None) -> int:
        """Record that `url` was fetched again and had not changed (HTTP 304); return the sources updated.

        The URL's latest fetch time (and crawl run) move forward, so a scheduled crawl shows which
        reports are still published where; the bytes, validators and report are left as they are.
        """
        when = utc_datetime(fetched_at)
        h = url_sha256(url)

        def work(s: Session) -> int:
            rows = list(s.scalars(select(Source).where(Source.url_sha256 == h).with_for_update()))
            for row in rows:
                if _aware(row.fetched_at) < when:
                    row.fetched_at = when
                    if run_id is not None:
                        row.run_id = run_id
            return len(rows)

        return self._write(work)

    # -- what a crawler asks ----------------------------------------------------------------------
    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Return (etag, last_modified) of the latest fetch of `url`, or None where it was never fetched."""
        h = url_sha256(url)
        with Session(self.engine) as s:
            row = s.execute(
                select(Source.etag, Source.last_modified)
                .where(Source.url_sha256 == h)
                .order_by(Source.fetched_at.desc(), Source.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (row.etag, row.last_modified)

    def known_urls(self) -> set[str]:
        """Return every URL any document was fetched from."""
        with Session(self.engine) as s:
            return set(s.scalars(select(Source.url).distinct()))

    def known_document(self, sha256: str) -> bool:
        """Return True where bytes of this SHA-256 were stored before (as report, non-report or error)."""
        with Session(self.engine) as s:
            return s.scalar(select(Document.id).where(Document.sha256 == sha256)) is not None

    # -- reading ----------------------------------------------------------------------------------
    def reports(
        self, region: str | None = None, year: int | None = None, latest_only: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Yield report records in `seq` order, each with provenance added.

        Added keys: `report_id`, `seq`, `text_sha256`, `raw_sha256` (the document the record was read
        from), `documents` (every document's SHA-256: the record's own, then the others first found
        first), `sources` (every URL, first fetched first), `source_details` (one dict per URL: url,
        raw_sha256, fetched_at, http_status, site, list_title, list_date, column, published_at),
        `version`, `is_latest`, `supersedes_id`, `first_seen`. `region` is a GB/T 2260 code (a prefix:
        `350100` matches `3501xx`), a region name or a site id; `latest_only` leaves out
        superseded versions.
        """
        query = report_query(region, year, latest_only)
        with Session(self.engine) as s:
            batch: list[Report] = []
            for report in s.scalars(query.execution_options(yield_per=500)):
                batch.append(report)
                if len(batch) == 500:
                    yield from with_sources(s, batch)
                    batch = []
            if batch:
                yield from with_sources(s, batch)

    def report(self, report_id: int) -> dict[str, Any] | None:
        """Return one report record with provenance (as `reports` gives it), or None."""
        with Session(self.engine) as s:
            r = s.get(Report, report_id)
            return next(iter(with_sources(s, [r])), None) if r else None

    def blob(self, sha256: str) -> bytes:
        """Return the raw bytes of a document."""
        return self.blobs.get(sha256)

    def counts(self) -> dict[str, int]:
        """Return row counts: documents, sources, reports, latest_reports, report_documents, crawl_runs."""
        with Session(self.engine) as s:

            def n(query: Any) -> int:
                return int(s.scalar(query) or 0)

            return {
                "documents": n(select(func.count()).select_from(Document)),
                "sources": n(select(func.count()).select_from(Source)),
                "reports": n(select(func.count()).select_from(Report)),
                "latest_reports": n(select(func.count()).select_from(Report).where(Report.is_latest)),
                "report_documents": n(select(func.count()).select_from(ReportDocument)),
                "crawl_runs": n(select(func.count()).select_from(CrawlRun)),
            }

    # -- repair -----------------------------------------------------------------------------------
    def fsck(self, grace_seconds: float = 3600, verify: bool = False) -> FsckResult:
        """Check blobs against documents and remove leftovers of interrupted writes; see `fsck.fsck`."""
        return fsck(self.engine, self.blobs, grace_seconds, verify)


TABLES = ("proactive", "requests", "review_litigation")


def _cells(table: Any) -> Any:
    """Return a table without the raw texts kept beside unclean values (they differ between carriers)."""
    if not isinstance(table, dict):
        return table
    return {row: {k: v for k, v in cols.items() if not k.endswith("_raw")} if isinstance(cols, dict) else cols
            for row, cols in table.items()}  # fmt: skip


def same_tables(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True where two records carry the same three tables, cell for cell, and at least one table."""
    if not any(b.get(t) for t in TABLES):
        return False
    return all(_cells(a.get(t)) == _cells(b.get(t)) for t in TABLES)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
