"""The crawl's items: a fetched document on its way through the pipelines, and the events of the feed.

The spider yields `DocumentItem`s (and `FetchErrorItem`s, `UnchangedItem`s); the pipelines turn each
document into a `ReportItem`, `SourceItem`, `NotReportItem` or `UnreadableItem`, or a `NotStoredItem`
where the store refused it. A feed item's `feed()` is its line in the event feed (`kind` report, source,
unchanged or error; docs/record-schema.md, "The crawl feed"); a document or non-report item has none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

PAGE_MARKS = ("site_id_code", "site_name", "breadcrumb_unit", "index_no", "index_organ_code")
"""The page marks a `DocumentItem` carries (crawler/page_meta.py's `PageMarks`)."""


@dataclass(kw_only=True, slots=True)
class DocumentItem:
    """A document the spider fetched, with what the crawl knew where it found it."""

    site: str
    """The registry's site id."""
    url: str
    """The URL the bytes came from (after redirects)."""
    body: bytes = field(repr=False)
    """The bytes as downloaded."""
    status: int
    """The HTTP status of the response."""
    content_type: str | None = None
    """The Content-Type header as sent (a hint only: documents are recognised by their bytes)."""
    charset: str | None = None
    """The text encoding the crawler settled on for a page (see EncodingMiddleware), None for bytes."""
    filename: str | None = None
    """A safe file name, from Content-Disposition or the URL's last segment."""
    etag: str | None = None
    """The ETag header, kept for conditional requests."""
    last_modified: str | None = None
    """The Last-Modified header, kept for conditional requests."""
    region_code: str | None = None
    """The site's GB/T 2260 region code."""
    region_name: str | None = None
    """The site's region name."""
    list_title: str | None = None
    """The link text the document was found under (or the report page's title)."""
    list_date: str | None = None
    """The date beside the link in its list, YYYY-MM-DD."""
    published_at: str | None = None
    """The publication date the page states, else the list date."""
    column: str | None = None
    """The name of the column (栏目) the document was found in."""
    site_id_code: str | None = None
    """The `<meta name="SiteIDCode">` of the page (for an attachment: of the page that linked it)."""
    site_name: str | None = None
    """The `<meta name="SiteName">` of that page."""
    breadcrumb_unit: str | None = None
    """The unit (organ) that page's breadcrumb names, e.g. 淮安市洪泽区人民政府."""
    index_no: str | None = None
    """That page's 索引号, as written."""
    index_organ_code: str | None = None
    """The 索引号's organ-code part (before its first `/`)."""
    attachments: int = 0
    """For a report page: the documents it links (fetched as its attachments), which may hold what it does not show."""
    from_report_page: bool = False
    """For a document: True where a report page linked it (its attachment), which may hold what it does not show."""
    extracted: Any = field(default=None, repr=False, compare=False)
    """What an extraction worker read of a report page with its links (its record, or the ExtractionError that
    refused it); None where the extract pipeline reads the document."""
    sha256: str = field(init=False)
    """The SHA-256 of `body`, in lowercase hex."""

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.body).hexdigest()

    @property
    def media_type(self) -> str | None:
        """Return the Content-Type without parameters, or None where none was sent."""
        return (self.content_type or "").split(";")[0].strip() or None

    def context(self) -> dict[str, Any]:
        """Return what the crawl knew of the document, as `extractors.extract(context=…)` takes it."""
        return {"region_code": self.region_code, "region_name": self.region_name, "list_title": self.list_title,
                "column": self.column, "source_url": self.url, "site": self.site,
                "published_at": self.published_at, "attachments": self.attachments,
                "from_report_page": self.from_report_page}  # fmt: skip

    def page_marks(self) -> dict[str, Any]:
        """Return the page's marks the attribution weighs (`extractors.attribute_record(record, page=…)`)."""
        return {"site_id_code": self.site_id_code, "site_name": self.site_name, "breadcrumb_unit": self.breadcrumb_unit,
                "index_organ_code": self.index_organ_code}  # fmt: skip

    @staticmethod
    def marks_from(context: dict[str, Any]) -> dict[str, Any]:
        """Return the page-mark fields of a request context (`page_marks`, see crawler/page_meta.py) as keywords."""
        marks = context.get("page_marks") or {}
        return {k: marks.get(k) for k in PAGE_MARKS}

    @staticmethod
    def context_fields(context: dict[str, Any]) -> dict[str, Any]:
        """Return the fields a request context (with a report page's: crawler/page_facts.py) gives the item."""
        return {"list_title": context.get("list_title") or context.get("page_title"),
                "list_date": context.get("list_date"),
                "published_at": context.get("published_at") or context.get("list_date"),
                "column": context.get("column"), "from_report_page": bool(context.get("from_report_page")),
                **DocumentItem.marks_from(context)}  # fmt: skip

    def source(self, fetched_at: float, run_id: int | None) -> dict[str, Any]:
        """Return the source dict `Store.add` takes for this fetch (`run_id`: the crawl run storing it)."""
        return {"site": self.site, "region_code": self.region_code, "region_name": self.region_name,
                "list_title": self.list_title, "list_date": self.list_date, "column": self.column, "etag": self.etag,
                "last_modified": self.last_modified, "url": self.url, "fetched_at": fetched_at,
                "status": self.status, "run_id": run_id, "published_at": self.published_at,
                "content_type": self.content_type}  # fmt: skip

    def envelope(self) -> dict[str, Any]:
        """Return the keys every feed line about these bytes starts with: site, source_url, raw_sha256, validators."""
        return {"site": self.site, "source_url": self.url, "raw_sha256": self.sha256, "etag": self.etag,
                "last_modified": self.last_modified}  # fmt: skip


@dataclass(kw_only=True, slots=True)
class ReportItem:
    """A document read as an annual report; feed kind `report`."""

    kind: ClassVar[str] = "report"
    document: DocumentItem
    """The fetched document the record was read from."""
    record: dict[str, Any]
    """The record `extractors.extract` returned (docs/record-schema.md)."""
    stored: str | None = None
    """What the store made of it: `new`, `known` (the same text was stored before) or `new_version`; None
    where the crawl has no store."""
    report_id: int | None = None
    """The report's id in the store (None without a store)."""
    seq: int | None = None
    """The report's number in order of discovery (None without a store)."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: the document's envelope, every key of the record, list_date, filename, and the
        store's report_id, seq, stored where there is a store."""
        line = {"kind": self.kind, **self.document.envelope(), **self.record, "list_date": self.document.list_date,
                "filename": self.document.filename}  # fmt: skip
        if self.stored is not None:
            line.update(report_id=self.report_id, seq=self.seq, stored=self.stored)
        return line


@dataclass(kw_only=True, slots=True)
class SourceItem:
    """Bytes handled before (in this crawl, or stored by an earlier one) found at another URL; feed kind `source`."""

    kind: ClassVar[str] = "source"
    document: DocumentItem
    """The fetched document (its bytes are stored again only as a new source of the known document)."""
    same_as: str
    """The first URL of these bytes (this very URL where an earlier crawl stored them)."""
    known: bool
    """True where an earlier crawl stored these bytes, False where this crawl met them first elsewhere."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: the document's envelope, same_as, known."""
        return {"kind": self.kind, **self.document.envelope(), "same_as": self.same_as, "known": self.known}


@dataclass(kw_only=True, slots=True)
class NotReportItem:
    """A document that is not an annual report: stored as such, never written to the feed."""

    document: DocumentItem
    """The fetched document."""
    reason: str
    """Why the extractor judged it no report (one line)."""


@dataclass(kw_only=True, slots=True)
class UnchangedItem:
    """A document URL that answered 304 Not Modified; feed kind `unchanged`."""

    kind: ClassVar[str] = "unchanged"
    site: str
    """The registry's site id."""
    source_url: str
    """The URL that answered 304 (its fetch time moves forward in the store)."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: kind, site, source_url."""
        return {"kind": self.kind, "site": self.site, "source_url": self.source_url}


@dataclass(kw_only=True, slots=True)
class ErrorItem:
    """Something the crawl could not have; feed kind `error`. Its subclasses say what it was."""

    kind: ClassVar[str] = "error"
    site: str
    """The registry's site id."""
    source_url: str
    """The URL of the page or document."""
    error: str
    """Why, in one line."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: kind, site, source_url, error."""
        return {"kind": self.kind, "site": self.site, "source_url": self.source_url, "error": self.error}


@dataclass(kw_only=True, slots=True)
class FetchErrorItem(ErrorItem):
    """A report document or page that could not be fetched (or read as a page), or was too large."""

    list_title: str | None = None
    """The link text it was found under."""
    list_date: str | None = None
    """The date beside the link in its list."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: kind, site, source_url, error, list_title, list_date."""
        return {"kind": self.kind, "site": self.site, "source_url": self.source_url, "error": self.error,
                "list_title": self.list_title, "list_date": self.list_date}  # fmt: skip


@dataclass(kw_only=True, slots=True)
class UnreadableItem(ErrorItem):
    """A downloaded document the extractor could not read (stored with the reason, fetched again next time)."""

    document: DocumentItem
    """The fetched document."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: kind, the document's envelope, error."""
        return {"kind": self.kind, **self.document.envelope(), "error": self.error}


@dataclass(kw_only=True, slots=True)
class NotStoredItem(ErrorItem):
    """A document (or a 304's fetch time) the store could not write: `error` is "not stored: …", and the URL is
    not done, so the next crawl fetches it again."""

    document: DocumentItem | None = None
    """The fetched document, or None for a URL that answered 304."""

    def feed(self) -> dict[str, Any]:
        """Return the feed line: kind, the document's envelope (site and source_url alone for a 304), error."""
        where = self.document.envelope() if self.document else {"site": self.site, "source_url": self.source_url}
        return {"kind": self.kind, **where, "error": self.error}


FeedItem = ReportItem | SourceItem | UnchangedItem | ErrorItem
"""The items that are lines of the event feed."""
