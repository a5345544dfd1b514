"""add an item's content revision date (front matter updated_at, admin edits)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("revised_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("item") as batch:
        batch.drop_column("revised_at")
