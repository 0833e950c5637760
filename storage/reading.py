"""Reading reports back: the filter query and the provenance (documents, URLs) joined to each record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from extractors import Source as SourceDetail

from .keys import iso
from .models import Document, Report, ReportDocument, Source


def report_query(
    region: str | None, year: int | None, latest_only: bool, by_body: bool = False, collation: str | None = None
) -> Select[tuple[Report]]:
    """Return the SELECT of reports in `seq` order, filtered as `Store.reports` describes.

    `by_body` orders by body key first (those without one first), compared byte by byte (`collation` names the
    database's byte-order collation where its default is a language's), so keys of one region come together.
    """
    body_key = Report.body_key.collate(collation) if collation else Report.body_key
    query = (
        select(Report).order_by(body_key.nulls_first(), Report.seq) if by_body else select(Report).order_by(Report.seq)
    )
    if year is not None:
        query = query.where(Report.year == int(year))
    if latest_only:
        query = query.where(Report.is_latest)
    if region:
        if re.fullmatch(r"\d{2,12}", region):
            prefix = re.sub(r"(00)+$", "", region) or region
            query = query.where(Report.region_code.like(f"{prefix}%"))
        else:
            query = query.where(or_(Report.region_name == region, Report.site == region))
    return query


def with_sources(s: Session, reports: list[Report]) -> Iterator[dict[str, Any]]:
    """Yield each report's record with its provenance added (see `Store.reports` for the keys)."""
    ids = [r.id for r in reports]
    rows = s.execute(
        select(
            ReportDocument.report_id,
            Document.sha256,
            Source.url,
            Source.fetched_at,
            Source.http_status,
            Source.site,
            Source.list_title,
            Source.list_date,
            Source.column,
            Source.published_at,
        )
        .join(Document, Document.id == ReportDocument.document_id)
        .outerjoin(Source, Source.document_id == Document.id)
        .where(ReportDocument.report_id.in_(ids))
        .order_by(ReportDocument.report_id, ReportDocument.first_seen, Document.id, Source.first_seen, Source.id)
    ).all()
    by_report: dict[int, list[Any]] = {}
    for row in rows:
        by_report.setdefault(row.report_id, []).append(row)
    for r in reports:
        out = dict(r.record)
        raw: list[str] = []
        urls: list[str] = []
        details: list[dict[str, Any]] = []
        for row in by_report.get(r.id, []):
            if row.sha256 not in raw:
                raw.append(row.sha256)
            if row.url is None:
                continue
            if row.url not in urls:
                urls.append(row.url)
            details.append(
                SourceDetail(
                    url=row.url,
                    raw_sha256=row.sha256,
                    fetched_at=iso(row.fetched_at),
                    http_status=row.http_status,
                    site=row.site,
                    list_title=row.list_title,
                    list_date=row.list_date,
                    column=row.column,
                    published_at=row.published_at,
                ).to_dict()
            )
        own = r.record.get("raw_sha256")
        if own in raw:
            # Racing writers may date a twin's link before the creator's: the record's own document leads.
            raw.remove(own)
            raw.insert(0, own)
        out.update(
            report_id=r.id,
            seq=r.seq,
            text_sha256=r.text_sha256,
            raw_sha256=own or (raw[0] if raw else None),
            documents=raw,
            sources=urls,
            source_details=details,
            version=r.version,
            is_latest=r.is_latest,
            supersedes_id=r.supersedes_id,
            first_seen=iso(r.first_seen),
        )
        for key in ("region_code", "region_name", "site", "body", "body_key"):
            if out.get(key) is None and getattr(r, key) is not None:
                out[key] = getattr(r, key)
        if not out.get("source_url") and urls:
            out["source_url"] = urls[0]
        if not out.get("published_at") and r.published_at is not None:
            out["published_at"] = _date_text(r.published_at)
        yield out


def _date_text(value: datetime) -> str:
    """Return `YYYY-MM-DD`, with ` HH:MM` where the time is not midnight."""
    return value.strftime("%Y-%m-%d" if (value.hour, value.minute) == (0, 0) else "%Y-%m-%d %H:%M")
