"""add site state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:00:32.608661
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""

    site_state = op.create_table(
        "site_state",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(site_state, [{"name": "catalogue", "value": 0}])


def downgrade() -> None:
    """Revert this revision."""

    op.drop_table("site_state")
