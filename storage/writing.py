"""Writing fetched documents: the document row, its source (URL), and the report it holds, in one transaction.

Rows are inserted with ON CONFLICT DO NOTHING on their unique keys, so concurrent writers never duplicate
them; new reports are created under a row lock on the `report_seq` counter, so `seq` is dense and versions
are linked one writer at a time. `Store.add` runs `write_document` in a retried write transaction.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from extractors import TABLES, is_raw_key, text_sha256

from .engine import aware
from .keys import attributed, parse_datetime, version_key
from .models import Counter, Document, Report, ReportDocument, Source
from .records import record_text
from .sources import SourceFields
from .sql import insert_ignore

KIND_RANK = {"error": 0, "not_report": 1, "report": 2}
"""Document kinds from worst to best outcome: a later, better outcome replaces a worse one, never the reverse."""
COMPUTED_KEYS = ("sources", "source_details", "raw_sha256", "documents", "seq", "report_id", "version", "is_latest")
"""Record keys the store computes when reading (provenance); never stored from a record handed in."""


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


def write_document(s: Session, doc: Fetched, record: dict[str, Any] | None, src: SourceFields) -> AddResult:
    """Write the document row, the report of `record` (if any) and the source row; return what was new."""
    now = datetime.now(UTC)
    doc_id, doc_new = _document(s, doc, now)
    report = _report(s, record, src, doc_id, doc.sha256, now) if record is not None else None
    src_new = _source(s, doc_id, src, now)
    status, report_id, seq, version = report if report else (None, None, None, None)
    return AddResult(
        raw_sha256=doc.sha256,
        document_id=doc_id,
        document="new" if doc_new else "known",
        source="new" if src_new else "known",
        report=status,
        report_id=report_id,
        seq=seq,
        version=version,
    )


def _document(s: Session, doc: Fetched, now: datetime) -> tuple[int, bool]:
    """Return (id, created) of the document row, upgrading its kind where this outcome is better."""
    values = dict(sha256=doc.sha256, size=doc.size, media_type=doc.media_type, carrier=doc.carrier, kind=doc.kind,
                  error=doc.error, first_seen=now)  # fmt: skip
    new_id = insert_ignore(s, Document, values, ["sha256"])
    if new_id is not None:
        return new_id, True
    row = s.execute(select(Document).where(Document.sha256 == doc.sha256).with_for_update()).scalar_one()
    if KIND_RANK[doc.kind] >= KIND_RANK.get(row.kind, 0) and (row.kind, row.error) != (doc.kind, doc.error):
        row.kind, row.error = doc.kind, doc.error
    if row.media_type is None and doc.media_type:
        row.media_type = doc.media_type
    if row.carrier is None and doc.carrier:
        row.carrier = doc.carrier
    return row.id, False


def _source(s: Session, doc_id: int, src: SourceFields, now: datetime) -> bool:
    """Insert or refresh the (document, URL) source row; return True where it is new."""
    values = dict(vars(src))
    values.update(document_id=doc_id, first_seen=now)
    if insert_ignore(s, Source, values, ["document_id", "url_sha256"]) is not None:
        return True
    row = s.execute(
        select(Source).where(Source.document_id == doc_id, Source.url_sha256 == src.url_sha256).with_for_update()
    ).scalar_one()
    if aware(row.fetched_at) <= src.fetched_at:
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
    s: Session, record: dict[str, Any], src: SourceFields, doc_id: int, sha: str, now: datetime
) -> tuple[str, int, int, int]:
    """Find or create the report of `record` and link the document; return (status, id, seq, version)."""
    text_hash = record.get("text_sha256") or text_sha256(record_text(record))
    find = select(Report.id, Report.seq, Report.version).where(Report.text_sha256 == text_hash)
    found = s.execute(find).first()
    if found is None:
        # Report creation is serialised by the counter's row lock; look again once it is held.
        counter = s.execute(select(Counter).where(Counter.name == "report_seq").with_for_update()).scalar_one()
        found = s.execute(find).first()
    record = _attributed(record, src)
    region_code = record.get("region_code")
    year = _int(record.get("year"))
    vkey = version_key(record.get("body_key"), year)
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
        region_name=record.get("region_name"),
        body=record.get("body"),
        body_key=record.get("body_key"),
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
    if vkey is not None and _relink_versions(s, vkey) > 1:
        status = "new_version"
    return status, report.id, report.seq, report.version


def _attributed(record: dict[str, Any], src: SourceFields) -> dict[str, Any]:
    """Return the record attributed (body, body_key, region): as handed in where it carries a body key, else
    from its agency with the source's site region where the record has none (see `keys.attributed`)."""
    if not record.get("region_code") and src.region_code:
        record = {**record, "region_code": src.region_code, "region_name": src.region_name}
    elif not record.get("region_name") and src.region_name and src.region_code in (None, record.get("region_code")):
        record = {**record, "region_name": src.region_name}
    return attributed(record)


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


def _cells(table: Any) -> Any:
    """Return a table without the raw texts kept beside unclean values (they differ between carriers)."""
    if not isinstance(table, dict):
        return table
    return {row: {k: v for k, v in cols.items() if not is_raw_key(k)} if isinstance(cols, dict) else cols
            for row, cols in table.items()}  # fmt: skip


def same_tables(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True where two records carry the same three tables, cell for cell, and at least one table."""
    if not any(b.get(t) for t in TABLES):
        return False
    return all(_cells(a.get(t)) == _cells(b.get(t)) for t in TABLES)


def _int(value: Any) -> int | None:
    """Return `value` as an int, or None where it is empty or no integer."""
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
