"""Writing fetched documents in batches: document rows, their sources (URLs) and the reports they hold.

`write_batch` writes any number of documents in the caller's one transaction with a handful of statements
(a SELECT of what exists, one multi-row INSERT … ON CONFLICT DO NOTHING per table, UPDATEs for what
changed), whatever the batch size. The outcome is exactly that of writing the documents one after the
other in their order: a document or URL met twice in one batch is new the first time and known after.
Rows are inserted with ON CONFLICT DO NOTHING on their unique keys, so concurrent writers never duplicate
them; what a concurrent writer inserted first is read back and treated as known. Reports are found or
created by `report_rows` under the `report_seq` counter's row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from .engine import aware
from .models import Document, Source
from .report_rows import COMPUTED_KEYS, Linked, Wanted, link_reports
from .sources import SourceFields
from .sql import insert_ignore_many

__all__ = ["COMPUTED_KEYS", "KIND_RANK", "AddResult", "Addition", "Fetched", "Pending", "write_batch"]

KIND_RANK = {"error": 0, "not_report": 1, "report": 2}
"""Document kinds from worst to best outcome: a later, better outcome replaces a worse one, never the reverse."""
_DOC = Document.__table__
_SRC = Source.__table__
_SOURCE_STATE = ("fetched_at", "http_status", "etag", "last_modified", *SourceFields.CONTEXT)
# The batch's statements are built once: building one costs more than running it from SQLAlchemy's cache.
_DOC_ROWS = (
    select(_DOC.c.id, _DOC.c.sha256, _DOC.c.kind, _DOC.c.error, _DOC.c.media_type, _DOC.c.carrier)
    .where(_DOC.c.sha256.in_(bindparam("shas", expanding=True)))
    .order_by(_DOC.c.sha256)
    .with_for_update()
)
_DOC_UPDATE = update(_DOC).where(_DOC.c.id == bindparam("b_id")).values(
    kind=bindparam("b_kind"), error=bindparam("b_error"), media_type=bindparam("b_media_type"),
    carrier=bindparam("b_carrier"),
)  # fmt: skip
_SRC_ROWS = (
    select(_SRC.c.id, _SRC.c.document_id, _SRC.c.url_sha256, *(_SRC.c[k] for k in _SOURCE_STATE))
    .where(_SRC.c.url_sha256.in_(bindparam("urls", expanding=True)))
    .order_by(_SRC.c.id)
    .with_for_update()
)
_SRC_UPDATE = update(_SRC).where(_SRC.c.id == bindparam("b_id")).values({k: bindparam(f"b_{k}") for k in _SOURCE_STATE})


@dataclass(frozen=True)
class AddResult:
    """What `Store.add` (or one addition of `Store.add_many`) did.

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
    """The report's version number once its batch is written (1 for the first of its body and year)."""


@dataclass(frozen=True)
class Fetched:
    """The document half of an add: the bytes' hash and size, what they were read as, and how that went."""

    sha256: str
    size: int
    media_type: str | None
    carrier: str | None
    kind: str
    """`report`, `not_report` or `error` (see `KIND_RANK`)."""
    error: str | None = None


@dataclass(frozen=True)
class Addition:
    """One document to store with `Store.add_many`: what `Store.add` (or `Store.add_error`) takes."""

    raw: bytes
    """The bytes as fetched."""
    record: dict[str, Any] | None
    """The report read from them, or None: not a report (or, with `error`, not readable)."""
    source: dict[str, Any]
    """Where they came from: `url` and the optional keys `Store.add` lists."""
    media_type: str | None = None
    """The media type, where the source's `content_type` does not say it."""
    error: str | None = None
    """Why the extractor could not read the bytes (then `record` must be None, as with `Store.add_error`)."""


@dataclass(frozen=True)
class Pending:
    """One document of a batch, its bytes already in the blob store: what `write_batch` writes."""

    doc: Fetched
    """The document row's values."""
    src: SourceFields
    """The URL it was fetched from, with its validators and list context."""
    record: dict[str, Any] | None
    """The report it holds, or None (not a report, or an error)."""


def write_batch(s: Session, batch: list[Pending]) -> list[AddResult]:
    """Write the documents, reports and sources of `batch`; return one `AddResult` per item, in order."""
    now = datetime.now(UTC)
    doc_ids, doc_new = _documents(s, [p.doc for p in batch], now)
    wanted = [Wanted(p.record, p.src, doc_ids[p.doc.sha256], p.doc.sha256) for p in batch if p.record is not None]
    linked = iter(link_reports(s, wanted, now))
    src_new = _sources(s, [(doc_ids[p.doc.sha256], p.src) for p in batch], now)
    results = []
    for p, new_doc, new_src in zip(batch, doc_new, src_new, strict=True):
        report: Linked | None = next(linked) if p.record is not None else None
        results.append(
            AddResult(
                raw_sha256=p.doc.sha256,
                document_id=doc_ids[p.doc.sha256],
                document="new" if new_doc else "known",
                source="new" if new_src else "known",
                report=report.status if report else None,
                report_id=report.id if report else None,
                seq=report.seq if report else None,
                version=report.version if report else None,
            )
        )
    return results


def _documents(s: Session, docs: list[Fetched], now: datetime) -> tuple[dict[str, int], list[bool]]:
    """Return the id of every document hash, and per item whether it created its row; upgrade kinds that
    a better outcome replaces (see `KIND_RANK`)."""
    first: dict[str, Fetched] = {}
    for doc in docs:
        first.setdefault(doc.sha256, doc)
    rows = _document_rows(s, sorted(first))
    missing = [first[sha] for sha in sorted(first) if sha not in rows]
    values = [dict(sha256=d.sha256, size=d.size, media_type=d.media_type, carrier=d.carrier, kind=d.kind,
                   error=d.error, first_seen=now) for d in missing]  # fmt: skip
    inserted = insert_ignore_many(s, _DOC, values, ["sha256"], (_DOC.c.id, _DOC.c.sha256))
    created = {row.sha256: row.id for row in inserted}
    for d in missing:
        if d.sha256 in created:
            rows[d.sha256] = dict(id=created[d.sha256], kind=d.kind, error=d.error, media_type=d.media_type,
                                  carrier=d.carrier)  # fmt: skip
    lost = sorted(d.sha256 for d in missing if d.sha256 not in created)
    rows.update(_document_rows(s, lost))  # a concurrent writer inserted them first: they are known to us
    new_flags: list[bool] = []
    fresh = set(created)
    changed: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if doc.sha256 in fresh:
            fresh.discard(doc.sha256)
            new_flags.append(True)
            continue
        new_flags.append(False)
        row = rows[doc.sha256]
        before = dict(row)
        better = KIND_RANK[doc.kind] >= KIND_RANK.get(row["kind"], 0)
        if better and (row["kind"], row["error"]) != (doc.kind, doc.error):
            row["kind"], row["error"] = doc.kind, doc.error
        if row["media_type"] is None and doc.media_type:
            row["media_type"] = doc.media_type
        if row["carrier"] is None and doc.carrier:
            row["carrier"] = doc.carrier
        if row != before:
            changed[doc.sha256] = row
    if changed:
        s.execute(_DOC_UPDATE, [{f"b_{k}": v for k, v in row.items()} for row in changed.values()])
    return {sha: row["id"] for sha, row in rows.items()}, new_flags


def _document_rows(s: Session, shas: list[str]) -> dict[str, dict[str, Any]]:
    """Return the stored documents of these hashes (locked for update, in hash order) by hash."""
    if not shas:
        return {}
    return {r.sha256: dict(id=r.id, kind=r.kind, error=r.error, media_type=r.media_type, carrier=r.carrier)
            for r in s.execute(_DOC_ROWS, {"shas": shas})}  # fmt: skip


def _sources(s: Session, pairs: list[tuple[int, SourceFields]], now: datetime) -> list[bool]:
    """Insert or refresh the (document, URL) source rows; return per item whether it created its row."""
    first: dict[tuple[int, str], SourceFields] = {}
    for doc_id, src in pairs:
        first.setdefault((doc_id, src.url_sha256), src)
    rows = _source_rows(s, sorted(first))
    missing = sorted(key for key in first if key not in rows)
    values = [{**vars(first[key]), "document_id": key[0], "first_seen": now} for key in missing]
    inserted = insert_ignore_many(s, _SRC, values, ["document_id", "url_sha256"],
                                  (_SRC.c.id, _SRC.c.document_id, _SRC.c.url_sha256))  # fmt: skip
    created = {(r.document_id, r.url_sha256) for r in inserted}
    for r in inserted:
        src = first[(r.document_id, r.url_sha256)]
        rows[(r.document_id, r.url_sha256)] = {"id": r.id, **{k: getattr(src, k) for k in _SOURCE_STATE}}
    rows.update(_source_rows(s, [key for key in missing if key not in created]))
    new_flags: list[bool] = []
    changed: dict[tuple[int, str], dict[str, Any]] = {}
    for doc_id, src in pairs:
        key = (doc_id, src.url_sha256)
        if key in created:
            created.discard(key)
            new_flags.append(True)
            continue
        new_flags.append(False)
        row = rows[key]
        before = dict(row)
        _refresh(row, src)
        if row != before:
            changed[key] = row
    if changed:
        s.execute(_SRC_UPDATE, [{f"b_{k}": v for k, v in row.items()} for row in changed.values()])
    return new_flags


def _refresh(row: dict[str, Any], src: SourceFields) -> None:
    """Update a source row's state with a fetch of it: the validators of the latest fetch, context filled in."""
    if aware(row["fetched_at"]) <= src.fetched_at:
        row["fetched_at"] = src.fetched_at
        for key in ("http_status", "etag", "last_modified"):
            row[key] = getattr(src, key)
        if src.run_id is not None:
            row["run_id"] = src.run_id
    for key in SourceFields.CONTEXT:
        if row[key] is None and getattr(src, key) is not None:
            row[key] = getattr(src, key)


def _source_rows(s: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Return the stored sources of these (document id, URL hash) keys (locked for update), by key."""
    if not keys:
        return {}
    wanted = set(keys)
    out = {}
    for r in s.execute(_SRC_ROWS, {"urls": sorted({k[1] for k in keys})}):
        if (r.document_id, r.url_sha256) in wanted:
            out[(r.document_id, r.url_sha256)] = {"id": r.id, **{k: getattr(r, k) for k in _SOURCE_STATE}}
    return out
