"""add report deposits (Zenodo / InvenioRDM records of reports)

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-06 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "report_deposit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("repository", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=True),
        sa.Column("published_record_id", sa.String(length=100), nullable=True),
        sa.Column("doi", sa.String(length=200), nullable=True),
        sa.Column("concept_doi", sa.String(length=200), nullable=True),
        sa.Column("draft_doi", sa.String(length=200), nullable=True),
        sa.Column("record_url", sa.String(length=1000), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("published_files", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    op.create_index("ix_report_deposit_published", "report_deposit", ["published_at"])


def downgrade() -> None:
    """Revert this revision."""

    op.drop_index("ix_report_deposit_published", table_name="report_deposit")
    op.drop_table("report_deposit")
