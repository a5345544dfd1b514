"""create catalogue

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:58:52.439217
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("translation", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("report_type", sa.String(length=100), nullable=True),
        sa.Column("deliverable", sa.String(length=50), nullable=True),
        sa.Column("work_package", sa.String(length=50), nullable=True),
        sa.Column("licence", sa.String(length=50), nullable=True),
        sa.Column("doi", sa.String(length=200), nullable=True),
        sa.Column("youtube_id", sa.String(length=20), nullable=True),
        sa.Column("channel_id", sa.String(length=40), nullable=True),
        sa.Column("duration", sa.String(length=40), nullable=True),
        sa.Column("view_count", sa.BigInteger(), nullable=True),
        sa.Column("like_count", sa.BigInteger(), nullable=True),
        sa.Column("comment_count", sa.BigInteger(), nullable=True),
        sa.Column("privacy_status", sa.String(length=30), nullable=True),
        sa.Column("availability", sa.String(length=20), nullable=True),
        sa.Column("live_broadcast", sa.String(length=20), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_title", sa.String(length=500), nullable=True),
        sa.Column("override_summary", sa.Text(), nullable=True),
        sa.Column("override_tags", sa.JSON(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "slug", "language", name="uq_item_kind_slug_lang"),
        sa.UniqueConstraint(
            "kind", "translation", "language", name="uq_item_translation_lang"
        ),
        sa.UniqueConstraint("uid"),
        sa.UniqueConstraint("youtube_id"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_kind_public", ["kind", "status", "published_at"], unique=False
        )
        batch_op.create_index(
            "ix_item_public", ["status", "published_at"], unique=False
        )

    op.create_table(
        "newsletter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("translation", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("intro_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", "language", name="uq_newsletter"),
    )
    op.create_table(
        "item_region",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "name"),
    )
    with op.batch_alter_table("item_region", schema=None) as batch_op:
        batch_op.create_index("ix_item_region_name", ["name", "item_id"], unique=False)

    op.create_table(
        "item_tag",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "name"),
    )
    with op.batch_alter_table("item_tag", schema=None) as batch_op:
        batch_op.create_index("ix_item_tag_name", ["name", "item_id"], unique=False)

    op.create_table(
        "newsletter_entry",
        sa.Column("newsletter_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["newsletter_id"], ["newsletter.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("newsletter_id", "position"),
    )
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("download_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "filename", name="uq_report_file_name"),
    )
    with op.batch_alter_table("report_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_file_sha256"), ["sha256"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("report_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_file_sha256"))

    op.drop_table("report_file")
    op.drop_table("newsletter_entry")
    with op.batch_alter_table("item_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_item_tag_name")

    op.drop_table("item_tag")
    with op.batch_alter_table("item_region", schema=None) as batch_op:
        batch_op.drop_index("ix_item_region_name")

    op.drop_table("item_region")
    op.drop_table("newsletter")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_public")
        batch_op.drop_index("ix_item_kind_public")

    op.drop_table("item")
