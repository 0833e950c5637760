"""The site registry (`sites`) and the obliged bodies (`bodies`) move into the store.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_key", sa.Text(), nullable=False),
        sa.Column("site_code", sa.String(32), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organiser", sa.Text(), nullable=True),
        sa.Column("region_code", sa.String(12), nullable=True),
        sa.Column("region_name", sa.Text(), nullable=True),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("start_urls", sa.JSON(), nullable=False),
        sa.Column("allowed_hosts", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
        sa.UniqueConstraint("site_key", name="uq_sites_site_key"),
    )
    op.create_index("ix_sites_site_code", "sites", ["site_code"])
    op.create_index("ix_sites_region_code", "sites", ["region_code"])
    op.create_table(
        "bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(12), nullable=True),
        sa.Column("parent_key", sa.Text(), nullable=True),
        sa.Column("site_key", sa.Text(), nullable=True),
        sa.Column("column_url", sa.Text(), nullable=True),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("retired_year", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bodies"),
        sa.UniqueConstraint("body_key", name="uq_bodies_body_key"),
    )
    op.create_index("ix_bodies_region_code", "bodies", ["region_code"])


def downgrade() -> None:
    op.drop_index("ix_bodies_region_code", table_name="bodies")
    op.drop_table("bodies")
    op.drop_index("ix_sites_region_code", table_name="sites")
    op.drop_index("ix_sites_site_code", table_name="sites")
    op.drop_table("sites")
