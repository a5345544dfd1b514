"""Merge the feature branches (videos, newsletter, admin, kpi, search).

Revision ID: 0008
Revises: 0003, 0004, 0005, 0006, 0007
"""

from __future__ import annotations

revision = "0008"
down_revision = ("0003", "0004", "0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
