"""The store: documents by SHA-256, sources by (document, URL), reports by text SHA-256, crawl runs and memory.

`Store` owns the database engine and the blob folder, and runs every write in one retried transaction:
documents and reports are written by `writing`, crawl runs by `runs`, the crawl memory by `memory`,
reports are read back by `reading`. Every `add` writes the blob first (durably, see `blobs.py`) and then
all rows in one transaction, so a crash leaves at most an orphan blob (removed by `fsck`) and never half
a report. A transaction that loses a race, a deadlock or a lock wait is retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from . import bodies as body_table
from . import migrations, runs
from .blobs import BlobStore, sha256_hex
from .engine import WRITE, make_engine
from .fsck import FsckResult, fsck
from .memory import CrawlMemory, remember_rows
from .models import Body, CrawlRun, Document, Report, ReportDocument, Source
from .reading import report_query, with_sources
from .sources import SourceFields
from .sql import missing_table, retryable
from .writing import COMPUTED_KEYS, Addition, AddResult, Fetched, Pending, write_batch

__all__ = ["COMPUTED_KEYS", "DEFAULT_URL", "AddResult", "Addition", "FsckResult", "NotMigrated", "Store"]

DEFAULT_URL = "sqlite:///data/nianbao.sqlite"
MAX_TRIES = 8
BATCH_SIZE = 500
"""Documents per transaction of `Store.add_stream`: large enough that statements are few, small enough that a
batch's bytes and rows stay a few MB and a writer holds the database's write lock for well under a second."""

T = TypeVar("T")


class NotMigrated(RuntimeError):
    """The database has no schema yet: call `Store.migrate()` first."""


class Store:
    """Documents, sources, reports, crawl runs and the crawl memory in one database, plus a blob folder.

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
        """Release the database connections and the blob store's flushing threads."""
        self.engine.dispose()
        self.blobs.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r}, blob_root={str(self.blobs.root)!r})"

    def write(self, work: Callable[[Session], T]) -> T:
        """Return what `work` returns, run in one write transaction; retried where it lost a race, a deadlock or
        a lock wait. Raises NotMigrated where the database has no tables."""
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

    # -- documents and reports --------------------------------------------------------------------
    def add(
        self, raw: bytes, record: dict[str, Any] | None, source: dict[str, Any], media_type: str | None = None
    ) -> AddResult:
        """Store fetched bytes, the URL they came from and, where `record` is given, the report they hold.

        `record` None means the bytes were fetched but are not a report: the document and its source
        are kept, no report. `source` has `url` (or `source_url`) and optionally `fetched_at`,
        `status`, `etag`, `last_modified`, `site`, `region_code`, `region_name`, `list_title`,
        `list_date`, `column`, `published_at`, `run_id`, `content_type`. Returns an `AddResult`.
        The URL is then done for the crawl memory (see `storage.memory`).
        """
        return self.add_many([Addition(raw, record, source, media_type)])[0]

    def add_error(self, raw: bytes, source: dict[str, Any], reason: str, media_type: str | None = None) -> AddResult:
        """Store bytes the extractor could not read, with the reason; return an `AddResult` without report.

        The URL is not done for the crawl memory: the next crawl fetches and reads it again.
        """
        return self.add_many([Addition(raw, None, source, media_type, reason)])[0]

    def add_many(self, additions: Iterable[Addition], pages: Iterable[dict[str, Any]] = ()) -> list[AddResult]:
        """Store many documents in one transaction; return one `AddResult` per addition, in their order.

        Each `Addition` is what `add` (or, with `error`, `add_error`) takes, and the outcome is exactly that of
        calling `add` for each in turn (a URL or text met twice is new the first time, known after), except
        that a report's `version` is its number once the whole batch is written. Blobs are written first,
        then every row in one retried transaction: a crash or an error leaves none of the batch's rows (at
        most orphan blobs, removed by `fsck`), and the caller may simply add the batch again. A source without
        a `url` raises ValueError before anything is written. Keep batches to a few hundred documents (see
        `add_stream`): the transaction holds SQLite's write lock until it commits. `pages` are crawl memory rows
        (`storage.memory.page_row`) written in the same transaction.
        """
        items, rows = list(additions), list(pages)
        pending = [self._pending(a) for a in items]
        if not pending and not rows:
            return []
        self.blobs.put_many((a.raw, p.doc.sha256) for p, a in zip(pending, items, strict=True))  # durable first

        def work(s: Session) -> list[AddResult]:
            results = write_batch(s, pending) if pending else []
            if rows:
                remember_rows(s, rows)
            return results

        return self.write(work)

    def add_stream(self, additions: Iterable[Addition], batch_size: int = BATCH_SIZE) -> Iterator[AddResult]:
        """Yield the `AddResult` of every addition, storing them `batch_size` at a time (one `add_many` each).

        What was yielded is committed; a failure raises from the batch it hit, the earlier batches kept.
        """
        batch: list[Addition] = []
        for addition in additions:
            batch.append(addition)
            if len(batch) >= batch_size:
                yield from self.add_many(batch)
                batch = []
        if batch:
            yield from self.add_many(batch)

    def _pending(self, a: Addition) -> Pending:
        """Return what `write_batch` writes of one addition (its source read, its bytes hashed)."""
        src = SourceFields.read(a.source)
        media = a.media_type or (str(a.source.get("content_type") or "").split(";")[0].strip() or None)
        carrier = (a.record or {}).get("carrier") or a.source.get("carrier")
        kind = "error" if a.error is not None else "report" if a.record is not None else "not_report"
        record = None if a.error is not None else a.record
        return Pending(Fetched(sha256_hex(a.raw), len(a.raw), media, carrier, kind, a.error), src, record)

    # -- crawl runs and memory --------------------------------------------------------------------
    def start_run(self, sites: Iterable[str] | None = None, note: str | None = None) -> int:
        """Record the start of a crawl over `sites`; return the run id (pass it as `source["run_id"]`).

        Runs still marked `running` whose process is gone are marked `interrupted` first.
        """
        return self.write(lambda s: runs.start(s, sites, note))

    def beat(self, run_id: int) -> None:
        """Record that run `run_id` is still alive."""
        self.write(lambda s: runs.beat(s, run_id))

    def finish_run(self, run_id: int, stats: dict[str, Any] | None = None, status: str = "finished") -> None:
        """Record the end of a crawl with its stats (any JSON-able dict) and status (`finished`, `interrupted` …)."""
        self.write(lambda s: runs.finish(s, run_id, stats, status))

    def runs(self) -> list[dict[str, Any]]:
        """Return every crawl run as a dict (id, started_at, finished_at, status, sites, stats, note, owner), oldest
        first."""
        with Session(self.engine) as s:
            return runs.listing(s)

    @cached_property
    def memory(self) -> CrawlMemory:
        """The crawl memory kept in this store (validators, pages' requests, what is done)."""
        return CrawlMemory(self)

    # -- obliged bodies ----------------------------------------------------------------------------
    def learn_bodies(self, sightings: Iterable[body_table.BodySighting]) -> int:
        """Merge sightings of obliged bodies into the `bodies` table in one transaction (see `storage.bodies`);
        return how many bodies were added or changed."""
        items = list(sightings)
        if not items:
            return 0
        return self.write(lambda s: body_table.learn(s, items, datetime.now(UTC)))

    def bodies(self, region: str | None = None) -> list[Body]:
        """Return the obliged bodies whose region code starts with `region` (all without one), detached rows."""
        with Session(self.engine, expire_on_commit=False) as s:
            return body_table.listing(s, region)

    # -- reading ----------------------------------------------------------------------------------
    def reports(
        self, region: str | None = None, year: int | None = None, latest_only: bool = True, by_body: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Yield report records in `seq` order (`by_body`: grouped by body key, those without one first), each with
        provenance added. They are read a few hundred at a time (a server-side cursor on PostgreSQL): memory
        stays flat whatever the number of reports.

        Added keys: `report_id`, `seq`, `text_sha256`, `raw_sha256` (the document the record was read
        from), `documents` (every document's SHA-256: the record's own, then the others first found
        first), `sources` (every URL, first fetched first), `source_details` (one dict per URL: url,
        raw_sha256, fetched_at, http_status, site, list_title, list_date, column, published_at),
        `version`, `is_latest`, `supersedes_id`, `first_seen`. `region` is a GB/T 2260 code (a prefix:
        `350100` matches `3501xx`), a region name or a site id; `latest_only` leaves out
        superseded versions.
        """
        collation = "C" if self.engine.dialect.name == "postgresql" else None
        query = report_query(region, year, latest_only, by_body, collation)
        with Session(self.engine) as s:
            batch: list[Report] = []
            for report in s.scalars(query.execution_options(yield_per=500)):
                batch.append(report)
                if len(batch) == 500:
                    yield from with_sources(s, batch)
                    batch = []
            if batch:
                yield from with_sources(s, batch)

    def seqs(self, report_ids: Iterable[int]) -> dict[int, int]:
        """Return the `seq` of each of these report ids that is in the store, by report id."""
        ids = list(set(report_ids))
        out: dict[int, int] = {}
        with Session(self.engine) as s:
            for start in range(0, len(ids), 1000):  # bounded IN lists
                query = select(Report.id, Report.seq).where(Report.id.in_(ids[start : start + 1000]))
                out.update({rid: seq for rid, seq in s.execute(query)})
        return out

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
