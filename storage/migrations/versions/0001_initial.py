"""Initial tables: documents, crawl_runs, sources, reports, report_documents, counters.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=True),
        sa.Column("carrier", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("first_seen", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("sha256", name="uq_documents_sha256"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_runs"),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_sha256", sa.String(64), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("site", sa.String(100), nullable=True),
        sa.Column("region_code", sa.String(12), nullable=True),
        sa.Column("region_name", sa.Text(), nullable=True),
        sa.Column("list_title", sa.Text(), nullable=True),
        sa.Column("list_date", sa.String(40), nullable=True),
        sa.Column("column", sa.Text(), nullable=True),
        sa.Column("published_at", sa.String(40), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_sources_document_id_documents", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name="fk_sources_run_id_crawl_runs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("document_id", "url_sha256", name="uq_sources_document_url"),
    )
    op.create_index("ix_sources_document_id", "sources", ["document_id"])
    op.create_index("ix_sources_url_sha256", "sources", ["url_sha256"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("agency", sa.Text(), nullable=True),
        sa.Column("region_code", sa.String(12), nullable=True),
        sa.Column("region_name", sa.Text(), nullable=True),
        sa.Column("site", sa.String(100), nullable=True),
        sa.Column("format", sa.String(8), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("infos", sa.Integer(), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("version_key", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["reports.id"], name="fk_reports_supersedes_id_reports", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("text_sha256", name="uq_reports_text_sha256"),
        sa.UniqueConstraint("seq", name="uq_reports_seq"),
    )
    op.create_index("ix_reports_year", "reports", ["year"])
    op.create_index("ix_reports_region_code", "reports", ["region_code"])
    op.create_index("ix_reports_version_key", "reports", ["version_key"])
    op.create_index(
        "uq_reports_latest_version",
        "reports",
        ["version_key"],
        unique=True,
        sqlite_where=sa.text("is_latest"),
        postgresql_where=sa.text("is_latest"),
    )
    op.create_table(
        "report_documents",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name="fk_report_documents_report_id_reports", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_report_documents_document_id_documents", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "document_id", name="pk_report_documents"),
    )
    op.create_index("ix_report_documents_document_id", "report_documents", ["document_id"])
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.bulk_insert(counters, [{"name": "report_seq", "value": 0}])


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_index("ix_report_documents_document_id", table_name="report_documents")
    op.drop_table("report_documents")
    op.drop_index("uq_reports_latest_version", table_name="reports")
    op.drop_index("ix_reports_version_key", table_name="reports")
    op.drop_index("ix_reports_region_code", table_name="reports")
    op.drop_index("ix_reports_year", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_sources_url_sha256", table_name="sources")
    op.drop_index("ix_sources_document_id", table_name="sources")
    op.drop_table("sources")
    op.drop_table("crawl_runs")
    op.drop_table("documents")
