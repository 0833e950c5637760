"""SQLAlchemy models: documents (raw bytes), sources (URLs), reports (records), crawl runs and pages, the site
registry and the obliged bodies.

The tables are created by the Alembic migrations in `storage/migrations/`, never by `create_all`;
`tests/test_storage.py` checks that the models and the migrations agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

HASH = String(64)
"""A SHA-256 in lowercase hex."""


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same everywhere."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Document(Base):
    """Raw bytes as downloaded, kept in the blob store under their SHA-256.

    `kind` is `report` (a record was extracted), `not_report` (fetched, but not an annual report) or
    `error` (the extractor failed; `error` says why). A later, better outcome replaces a worse one.
    """

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(HASH, unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(255))
    carrier: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime]


class CrawlRun(Base):
    """One crawl: when it ran, over which sites, how it ended, and the crawler's stats."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    sites: Mapped[list[Any] | None]
    stats: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(255))
    """`host:pid` of the crawl process (see `storage.runs`)."""
    heartbeat_at: Mapped[datetime | None]
    """When the run last showed life; a silent `running` run is marked `interrupted` by the next one."""


class Source(Base):
    """One URL a document was fetched from, with the HTTP validators and the list-page context.

    Unique per (document, URL). `url_sha256` carries the uniqueness so that long URLs stay indexable.
    `fetched_at`, `http_status`, `etag` and `last_modified` are those of the latest fetch.
    """

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("document_id", "url_sha256", name="uq_sources_document_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_sha256: Mapped[str] = mapped_column(HASH, index=True)
    first_seen: Mapped[datetime]
    fetched_at: Mapped[datetime]
    http_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(String(12))
    region_name: Mapped[str | None] = mapped_column(Text)
    list_title: Mapped[str | None] = mapped_column(Text)
    list_date: Mapped[str | None] = mapped_column(String(40))
    column: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(String(40))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))


class CrawlPage(Base):
    """A page a crawl parsed, by any worker: its validators and the requests it led to (the crawl memory).

    A list answering 304 Not Modified replays `children`; a report page (`document`) replays its
    attachments, but is itself done only once a fetch of it is stored (its `sources` row). Unique per URL.
    """

    __tablename__ = "crawl_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    url_sha256: Mapped[str] = mapped_column(HASH, unique=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    document: Mapped[bool] = mapped_column(Boolean)
    """The page is itself a report document (its validators are then those of its stored fetch)."""
    children: Mapped[list[Any]]
    """The requests the page led to: url, role, context, cb (callback name), method, form (a POST body)."""
    fetched_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))


class Report(Base):
    """One report per normalized text (`text_sha256`), with the record as JSON and queryable columns.

    `seq` numbers reports in order of first discovery (1, 2, 3 …) and never changes. Reports of one
    `version_key` (`body_key` and year) are versions of each other: `version` counts them
    from 1, `supersedes_id` points at the previous one, and exactly one has `is_latest` set. Reports
    without agency or year have no version key and are always latest.
    """

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_sha256: Mapped[str] = mapped_column(HASH, unique=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    record: Mapped[dict[str, Any]]
    title: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    agency: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    """The issuing body's GB/T 2260 code (the attribution's, see extractors/attribution.py), not the site's."""
    region_name: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    """The issuing body's canonical name."""
    body_key: Mapped[str | None] = mapped_column(Text, index=True)
    """`REGION|NAME`: one per body across years and namings; versions and the cross-year rules group by it."""
    site: Mapped[str | None] = mapped_column(String(100))
    format: Mapped[str | None] = mapped_column(String(8))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    infos: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime]
    version_key: Mapped[str | None] = mapped_column(Text, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))


# At most one latest report per version key, enforced by the database (a partial unique index).
Index(
    "uq_reports_latest_version",
    Report.version_key,
    unique=True,
    sqlite_where=Report.is_latest,
    postgresql_where=Report.is_latest,
)


class ReportDocument(Base):
    """Links a report to each document whose text it is (an HTML page and a re-saved DOCX, say)."""

    __tablename__ = "report_documents"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    first_seen: Mapped[datetime]


class Counter(Base):
    """Named counters; `report_seq` hands out `Report.seq` under a row lock (dense, in discovery order)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class SiteRow(Base):
    """A government website in the registry: from the official registry download (全国政府网站基本信息数据库),
    the bundled CSV or a user's CSV. Keyed by its 网站标识码 where known, else by its host."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_key: Mapped[str] = mapped_column(Text, unique=True)
    """The 网站标识码 (e.g. `3208000001`) where known, else the lower-case host (`www.example.gov.cn`)."""
    site_code: Mapped[str | None] = mapped_column(String(32), index=True)
    """The 网站标识码 as the registry prints it, or None."""
    name: Mapped[str] = mapped_column(Text)
    """The site's name (网站名称)."""
    organiser: Mapped[str | None] = mapped_column(Text)
    """The body that runs the site (主办单位)."""
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    """GB/T 2260 code: the 网站标识码's first six characters where digits, else from the organiser's name."""
    region_name: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(Text)
    """The registry's level or kind (政府门户网站 / 部门网站, 省/市/县 …), as a note for people."""
    start_urls: Mapped[list[Any]]
    """Where a crawl of the site starts."""
    allowed_hosts: Mapped[list[Any]]
    """The hosts a crawl of the site may request (`host`, `host:port`, `*.domain`)."""
    overrides: Mapped[dict[str, Any]]
    """Per-site crawl settings (`max_pages`, `max_depth`, `follow`, `skip`)."""
    origin: Mapped[str] = mapped_column(Text)
    """Where the row came from: `registry`, `bundled` or `user` (with the file name after a colon)."""
    updated_at: Mapped[datetime]


class Body(Base):
    """A body obliged to publish an annual report: a government (本级政府), a department (部门), a township or
    street (乡镇街道) or other, with where the knowledge of it came from. Keyed by the `body_key` reports carry."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_key: Mapped[str] = mapped_column(Text, unique=True)
    """`REGION|NAME` as `extractors.attribution` makes it (one key however the body's name is written)."""
    name: Mapped[str] = mapped_column(Text)
    """The body's canonical name, as last seen."""
    level: Mapped[str] = mapped_column(String(16))
    """`government` (本级政府), `department` (部门), `township` (乡镇街道) or `other`."""
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    parent_key: Mapped[str | None] = mapped_column(Text)
    """The body_key of the government it belongs to, where known."""
    site_key: Mapped[str | None] = mapped_column(Text)
    """The registry site it publishes on, where known."""
    column_url: Mapped[str | None] = mapped_column(Text)
    """Its 年报 column, where a platform lists one."""
    names: Mapped[list[Any]]
    """Every name it was seen under (former names included), for matching notices and renames."""
    evidence: Mapped[list[Any]]
    """Where it was learnt: `{"kind": registry|platform|notice|user|report, "url", "year", "date", "name"}`."""
    retired_year: Mapped[int | None] = mapped_column(Integer)
    """The first year it no longer has to publish (merged, abolished), as a user's CSV says; None while active."""
    updated_at: Mapped[datetime]
