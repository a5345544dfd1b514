"""add kpi tables: daily counts, video snapshots, page snapshots

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-27 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "daily_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", "key"),
    )
    op.create_index("ix_daily_count_metric_day", "daily_count", ["metric", "day"])
    op.create_table(
        "video_snapshot",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("comments", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "item_id"),
    )
    op.create_table(
        "page_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_page_snapshot_item", "page_snapshot", ["item_id", "taken_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("page_snapshot")
    op.drop_table("video_snapshot")
    op.drop_index("ix_daily_count_metric_day", table_name="daily_count")
    op.drop_table("daily_count")
