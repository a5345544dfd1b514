"""write search index entries straight into the GIN index (PostgreSQL)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00

With GIN's default ``fastupdate``, new entries wait in a pending list that every
search scans linearly until the next vacuum: after an import of thousands of
items, each search cost milliseconds more, however rare its words. A catalogue is
written rarely and searched often, so entries now go into the index at once, and
the list left by earlier writes is merged now. SQLite's FTS5 has no such list.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER INDEX ix_item_search_document SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('ix_item_search_document')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER INDEX ix_item_search_document RESET (fastupdate)")
