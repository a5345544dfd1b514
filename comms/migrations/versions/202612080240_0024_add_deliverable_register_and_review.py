"""add the register of work packages and deliverables, item links, review requests

Existing report deliverable codes (``item.deliverable``) that are valid codes become
register rows (title: the first report's title, due: its publication day, work
package: the report's, when valid) and links of their reports.

Revision ID: 0024
Revises: 0020
Create Date: 2026-12-08 02:40:00
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0020"
branch_labels = None
depends_on = None

# The same patterns as comms.catalogue.register (a migration stays as written).
DELIVERABLE_CODE = re.compile(r"^D(?:\.?[A-Z]{0,3}[0-9]+)(?:\.[0-9]+){0,3}$")
WORK_PACKAGE_CODE = re.compile(r"^[A-Z]{1,4}[0-9]{0,3}$")


def upgrade() -> None:
    """Apply this revision."""
    work_package = op.create_table(
        "work_package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    deliverable = op.create_table(
        "deliverable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("work_package_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["work_package_id"], ["work_package.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        "ix_deliverable_work_package_id", "deliverable", ["work_package_id"]
    )
    link = op.create_table(
        "item_deliverable",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deliverable_id"], ["deliverable.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "deliverable_id"),
    )
    op.create_index(
        "ix_item_deliverable_deliverable", "item_deliverable", ["deliverable_id"]
    )
    op.create_table(
        "review_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["admin_user.id"], ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    _move_report_codes(work_package, deliverable, link)


def _move_report_codes(
    work_package: sa.Table, deliverable: sa.Table, link: sa.Table
) -> None:
    """Register the valid codes reports name today and link those reports."""
    conn = op.get_bind()
    item = sa.table(
        "item",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("deliverable", sa.String()),
        sa.column("work_package", sa.String()),
        sa.column("published_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = conn.execute(
        sa.select(item)
        .where(item.c.deliverable.is_not(None))
        .order_by(item.c.published_at, item.c.id)
    ).all()
    packages: dict[str, int] = {}
    codes: dict[str, int] = {}
    for row in rows:
        code = (row.deliverable or "").strip()
        package = (row.work_package or "").strip()
        if not DELIVERABLE_CODE.match(code):
            continue
        if code not in codes:
            if not WORK_PACKAGE_CODE.match(package):
                continue
            if package not in packages:
                packages[package] = conn.execute(
                    work_package.insert()
                    .values(code=package, title=f"Work package {package}")
                    .returning(work_package.c.id)
                ).scalar_one()
            when = row.published_at or row.created_at or datetime.now(UTC)
            codes[code] = conn.execute(
                deliverable.insert()
                .values(
                    code=code,
                    title=(row.title or code)[:300],
                    work_package_id=packages[package],
                    due=when.date(),
                    description="",
                )
                .returning(deliverable.c.id)
            ).scalar_one()
        conn.execute(link.insert().values(item_id=row.id, deliverable_id=codes[code]))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("review_request")
    op.drop_index("ix_item_deliverable_deliverable", table_name="item_deliverable")
    op.drop_table("item_deliverable")
    op.drop_index("ix_deliverable_work_package_id", table_name="deliverable")
    op.drop_table("deliverable")
    op.drop_table("work_package")
