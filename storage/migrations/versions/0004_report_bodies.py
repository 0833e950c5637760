"""Reports name their issuing body: `body`, `body_key` (indexed); region and version keys follow the body.

Existing reports are attributed from what they hold (agency, title, the stored region code taken as the
site's; see `extractors.attribution`): the record JSON gains `body`, `body_key` and `attribution`, the
columns `body`, `body_key`, `region_code`/`region_name` (the body's region, more specific where the agency
names a district or township inside the site's region) and `version_key` (`body_key|year`) are set, and
the versions of each key are numbered again (by publication date where all have one, else by `seq`).

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-15
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from extractors import attribute_record

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_REPORTS = sa.table(
    "reports",
    sa.column("id", sa.Integer()),
    sa.column("seq", sa.Integer()),
    sa.column("record", sa.JSON()),
    sa.column("year", sa.Integer()),
    sa.column("region_code", sa.String(12)),
    sa.column("region_name", sa.Text()),
    sa.column("published_at", sa.DateTime()),
    sa.column("body", sa.Text()),
    sa.column("body_key", sa.Text()),
    sa.column("version_key", sa.Text()),
    sa.column("version", sa.Integer()),
    sa.column("is_latest", sa.Boolean()),
    sa.column("supersedes_id", sa.Integer()),
)


def upgrade() -> None:
    op.add_column("reports", sa.Column("body", sa.Text(), nullable=True))
    op.add_column("reports", sa.Column("body_key", sa.Text(), nullable=True))
    op.create_index("ix_reports_body_key", "reports", ["body_key"])
    _backfill(op.get_bind())


def _backfill(conn: Any) -> None:
    """Attribute every stored report, then number the versions of each version key again."""
    r = _REPORTS.c
    rows = conn.execute(sa.select(r.id, r.seq, r.record, r.year, r.region_code, r.region_name, r.published_at)).all()
    groups: dict[str, list[Any]] = defaultdict(list)
    updates = []
    for row in rows:
        record = dict(row.record or {})
        if row.region_code and not record.get("region_code"):
            record.update(region_code=row.region_code, region_name=record.get("region_name") or row.region_name)
        if record.get("agency") or record.get("title"):
            record = attribute_record(record)
        vkey = f"{record['body_key']}|{int(row.year)}" if record.get("body_key") and row.year is not None else None
        updates.append((row.id, record, vkey))
        if vkey is not None:
            groups[vkey].append(row)
    # The partial unique index allows one latest per key at every statement: clear the flags first.
    conn.execute(sa.update(_REPORTS).where(r.version_key.is_not(None)).values(is_latest=False))
    for rid, record, vkey in updates:
        values = {key: record.get(key) for key in ("body", "body_key", "region_code", "region_name")}
        values.update(record=record, version_key=vkey, version=1, supersedes_id=None, is_latest=vkey is None)
        conn.execute(sa.update(_REPORTS).where(r.id == rid).values(**values))
    for members in groups.values():
        dated = all(m.published_at is not None for m in members)
        members.sort(key=(lambda m: (m.published_at, m.seq)) if dated else (lambda m: m.seq))
        previous = None
        for number, m in enumerate(members, 1):
            last = number == len(members)
            conn.execute(
                sa.update(_REPORTS).where(r.id == m.id).values(version=number, supersedes_id=previous, is_latest=last)
            )
            previous = m.id


def downgrade() -> None:
    op.drop_index("ix_reports_body_key", table_name="reports")
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy would drop `reports` and cascade to report_documents.
    op.execute("ALTER TABLE reports DROP COLUMN body_key")
    op.execute("ALTER TABLE reports DROP COLUMN body")
