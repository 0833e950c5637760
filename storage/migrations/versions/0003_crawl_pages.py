"""The crawl memory moves into the store: `crawl_pages` holds each parsed page's validators and children.

Documents need no new table: a URL whose latest stored fetch is a report or a non-report is done, with
that fetch's validators (`sources`), so a database upgraded from 0002 already answers for its documents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_sha256", sa.String(64), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("document", sa.Boolean(), nullable=False),
        sa.Column("children", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name="fk_crawl_pages_run_id_crawl_runs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_pages"),
        sa.UniqueConstraint("url_sha256", name="uq_crawl_pages_url_sha256"),
    )


def downgrade() -> None:
    op.drop_table("crawl_pages")
