"""The crawl memory, in the store: what earlier crawls, by any worker on any machine, learnt of each URL.

It makes crawls incremental (conditional requests; a list answering 304 replays the requests it led to)
and resumable. A document URL is done once a fetch of it is stored as a report or a non-report: its
`sources` row is written in the same transaction as the document, so nothing counts as done before it is
stored, and its validators are those of the latest stored fetch. A document that could not be read
(`error`) is never done: the next crawl fetches and reads it again. A parsed page's validators and the
requests it led to are in `crawl_pages`. There is no file beside the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .engine import aware
from .keys import utc_datetime
from .models import CrawlPage, Document, Source
from .sources import url_sha256
from .sql import upsert

if TYPE_CHECKING:
    from .store import Store

RECALL_CHUNK = 500
"""URLs asked about in one query (far below the bound parameters SQLite and PostgreSQL take)."""


@dataclass(frozen=True)
class Remembered:
    """What the memory holds of a URL an earlier crawl handled fully."""

    etag: str | None
    """The ETag to send back as If-None-Match (None: the server gave none)."""
    last_modified: str | None
    """The Last-Modified to send back as If-Modified-Since (None: the server gave none)."""
    document: bool
    """True where the URL's latest stored fetch is a document (a report or not); False for a list page."""
    report: bool
    """True where that document held an annual report."""
    children: tuple[dict[str, Any], ...] = ()
    """The requests the page led to when last parsed (a list's entries, a report page's attachments)."""
    sha256: str | None = None
    """The SHA-256 of the bytes of the URL's latest stored fetch (a document only)."""


class CrawlMemory:
    """Reads and writes the crawl memory of `store`; safe to use from several threads and processes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def recall(self, url: str) -> Remembered | None:
        """Return what an earlier crawl left of `url` once done with it, or None (fetch it whole).

        A list page is done once parsed; a document, or a page that is itself a report, once a fetch of it is
        stored as a report or a non-report.
        """
        return self.recall_many([url])[0]

    def recall_many(self, urls: list[str]) -> list[Remembered | None]:
        """Return `recall(url)` for each of `urls`, in their order, asked in two queries for all of them."""
        hashes = [url_sha256(u) for u in urls]
        unique = list(dict.fromkeys(hashes))
        pages: dict[str, CrawlPage] = {}
        latest: dict[str, Any] = {}
        with Session(self.store.engine) as s:
            for i in range(0, len(unique), RECALL_CHUNK):
                wanted = unique[i : i + RECALL_CHUNK]
                found = s.scalars(select(CrawlPage).where(CrawlPage.url_sha256.in_(wanted)))
                pages.update((p.url_sha256, p) for p in found)
                fetches = s.execute(
                    select(Source.url_sha256, Source.etag, Source.last_modified, Document.kind, Document.sha256)
                    .join(Document, Document.id == Source.document_id)
                    .where(Source.url_sha256.in_(wanted))
                    .order_by(Source.fetched_at.desc(), Source.id.desc())
                )
                for row in fetches:
                    latest.setdefault(row.url_sha256, row)  # the first row of a URL is its latest fetch
        return [_remembered(pages.get(h), latest.get(h)) for h in hashes]

    def remember_pages(self, rows: list[dict[str, Any]]) -> None:
        """Record parsed pages (rows made by `page_row`): their validators and the requests they led to (the
        latest parse wins). A row with `document` True is a page that is itself a report: its requests are
        kept, but it is done only once its fetch is stored."""
        self.store.write(lambda s: remember_rows(s, rows))

    def stored_before(self, sha256: str) -> bool:
        """Return True where bytes of this SHA-256 were stored as a report or a non-report (not as an error,
        which is read again)."""
        return sha256 in self.stored_before_many([sha256])

    def stored_before_many(self, hashes: Iterable[str]) -> set[str]:
        """Return those of the SHA-256s `hashes` whose bytes were stored as a report or a non-report (as
        `stored_before` answers each), asked in one session, a query per RECALL_CHUNK of them."""
        wanted = list(dict.fromkeys(hashes))
        found: set[str] = set()
        with Session(self.store.engine) as s:
            for at in range(0, len(wanted), RECALL_CHUNK):
                chunk = wanted[at : at + RECALL_CHUNK]
                rows = s.execute(select(Document.sha256, Document.kind).where(Document.sha256.in_(chunk)))
                found.update(sha for sha, kind in rows if kind != "error")
        return found

    def touch(self, url: str, fetched_at: Any = None, run_id: int | None = None) -> int:
        """Record that `url` was fetched again and had not changed (HTTP 304); return the sources updated.

        The URL's latest fetch time (and crawl run) move forward, never back, so a scheduled crawl shows
        which reports are still published where; the bytes, validators and report are left as they are.
        """
        when = utc_datetime(fetched_at)
        h = url_sha256(url)

        def work(s: Session) -> int:
            rows = list(s.scalars(select(Source).where(Source.url_sha256 == h).with_for_update()))
            for row in rows:
                if aware(row.fetched_at) < when:
                    row.fetched_at = when
                    if run_id is not None:
                        row.run_id = run_id
            return len(rows)

        return self.store.write(work)


def _remembered(page: CrawlPage | None, latest: Any) -> Remembered | None:
    """Return what the memory holds of one URL from its crawl page row and its latest stored fetch, or None."""
    if page is not None and not page.document:
        return Remembered(page.etag, page.last_modified, False, False, tuple(page.children or ()))
    if latest is None or latest.kind == "error":
        return None
    children = tuple(page.children or ()) if page is not None else ()
    return Remembered(latest.etag, latest.last_modified, True, latest.kind == "report", children, latest.sha256)


def page_row(
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    children: list[dict[str, Any]],
    document: bool,
    run_id: int | None = None,
) -> dict[str, Any]:
    """Return the `crawl_pages` row of a parsed page (`CrawlMemory.remember_pages`, crawl batches), stamped now."""
    return dict(url=url, url_sha256=url_sha256(url), etag=etag, last_modified=last_modified, document=document,
                children=children, fetched_at=datetime.now(UTC), run_id=run_id)  # fmt: skip


def remember_rows(s: Session, rows: list[dict[str, Any]]) -> None:
    """Write `page_row`s in the session's transaction, the later row of a URL winning (one upsert each)."""
    latest = list({row["url_sha256"]: row for row in rows}.values())  # one row a URL: an upsert may not touch two
    dialect = s.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        for row in latest:
            upsert(s, CrawlPage, row, ["url_sha256"])
        return
    s.execute(_page_upsert(dialect, tuple(latest[0])), latest)  # many rows at once


@lru_cache(maxsize=8)
def _page_upsert(dialect: str, names: tuple[str, ...]) -> Any:
    """Return the upsert of `crawl_pages` rows with the keys `names` for PostgreSQL or SQLite, built once."""
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(CrawlPage.__table__)
    changed = {k: ins.excluded[k] for k in names if k != "url_sha256"}
    return ins.on_conflict_do_update(index_elements=["url_sha256"], set_=changed)
