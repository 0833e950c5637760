"""A view of the failed checks, one row per check of each report, for faceting by rule (Datasette, SQL users).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("r.id AS report_id, r.seq, r.title, r.body, r.body_key, r.region_code, r.region_name, r.year, r.format, "
           "r.is_latest")  # fmt: skip
"""The report's columns each check row repeats (so a facet by region, year or body needs no join)."""

SQLITE = f"""
CREATE VIEW report_checks AS
SELECT {COLUMNS},
       json_extract(c.value, '$.rule') AS rule,
       json_extract(c.value, '$.severity') AS severity,
       json_extract(c.value, '$.where') AS "where",
       json_extract(c.value, '$.expected') AS expected,
       json_extract(c.value, '$.found') AS found,
       json_extract(c.value, '$.cause') AS cause,
       json_extract(c.value, '$.message') AS message
FROM reports r, json_each(r.record, '$.checks') c
"""

POSTGRESQL = f"""
CREATE VIEW report_checks AS
SELECT {COLUMNS},
       c.value ->> 'rule' AS rule,
       c.value ->> 'severity' AS severity,
       c.value ->> 'where' AS "where",
       c.value ->> 'expected' AS expected,
       c.value ->> 'found' AS found,
       c.value ->> 'cause' AS cause,
       c.value ->> 'message' AS message
FROM reports r CROSS JOIN LATERAL json_array_elements(CAST(r.record AS json) -> 'checks') AS c(value)
"""


def upgrade() -> None:
    op.execute(POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS report_checks")
