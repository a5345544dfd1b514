"""add page dependency keys (the catalogue version that last changed each)

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-09 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "page_key",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_page_key_value", "page_key", ["value"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_page_key_value", table_name="page_key")
    op.drop_table("page_key")
