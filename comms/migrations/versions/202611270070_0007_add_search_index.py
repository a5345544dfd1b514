"""add the full-text search index and the PDF accessibility findings

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-27 00:07:00

SQLite gets an FTS5 table ``item_fts`` (rowid = item.id), PostgreSQL a table
``item_search`` holding a weighted tsvector per item in the item's language
configuration, with a GIN index. On both, triggers keep the index in step with
every write to ``item`` and ``report_file``, whoever makes it (imports, the admin,
the video sync, bulk inserts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_ROW = """
    INSERT INTO item_fts (rowid, title, summary, body, files)
    SELECT i.id, coalesce(i.override_title, i.title),
           coalesce(i.override_summary, i.summary, ''), coalesce(i.body, ''),
           coalesce((SELECT group_concat(f.text, ' ') FROM report_file f
                     WHERE f.item_id = i.id), '')
    FROM item i
"""

_SQLITE_FILES = """
    UPDATE item_fts SET files = coalesce(
        (SELECT group_concat(f.text, ' ') FROM report_file f WHERE f.item_id = REF),
        '')
    WHERE rowid = REF;
"""


def _trigger(head: str, *body: str) -> str:
    """A CREATE TRIGGER statement from constant SQL fragments."""
    return "\n".join(["CREATE TRIGGER", head, "BEGIN", *body, "END"])


def _files_of(ref: str) -> str:
    return _SQLITE_FILES.replace("REF", ref)


SQLITE_UP = [
    "CREATE VIRTUAL TABLE item_fts USING fts5("
    "title, summary, body, files, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    _trigger(
        "item_fts_insert AFTER INSERT ON item", _SQLITE_ROW, "WHERE i.id = new.id;"
    ),
    _trigger(
        "item_fts_update AFTER UPDATE OF title, override_title, summary, "
        "override_summary, body ON item",
        "DELETE FROM item_fts WHERE rowid = old.id;",
        _SQLITE_ROW,
        "WHERE i.id = new.id;",
    ),
    _trigger(
        "item_fts_delete AFTER DELETE ON item",
        "DELETE FROM item_fts WHERE rowid = old.id;",
    ),
    _trigger(
        "report_file_fts_insert AFTER INSERT ON report_file",
        _files_of("new.item_id"),
    ),
    _trigger(
        "report_file_fts_update AFTER UPDATE OF text, item_id ON report_file",
        _files_of("old.item_id"),
        _files_of("new.item_id"),
    ),
    _trigger(
        "report_file_fts_delete AFTER DELETE ON report_file",
        _files_of("old.item_id"),
    ),
    _SQLITE_ROW,
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS report_file_fts_delete",
    "DROP TRIGGER IF EXISTS report_file_fts_update",
    "DROP TRIGGER IF EXISTS report_file_fts_insert",
    "DROP TRIGGER IF EXISTS item_fts_delete",
    "DROP TRIGGER IF EXISTS item_fts_update",
    "DROP TRIGGER IF EXISTS item_fts_insert",
    "DROP TABLE IF EXISTS item_fts",
]

POSTGRES_UP = [
    """CREATE TABLE item_search (
        item_id integer PRIMARY KEY REFERENCES item (id) ON DELETE CASCADE,
        config regconfig NOT NULL,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX ix_item_search_document ON item_search USING gin (document)",
    """CREATE FUNCTION comms_search_config(lang text) RETURNS regconfig
    LANGUAGE sql STABLE AS $$
        SELECT (CASE split_part(lower(lang), '-', 1)
            WHEN 'en' THEN 'english' WHEN 'de' THEN 'german'
            WHEN 'fr' THEN 'french' WHEN 'it' THEN 'italian'
            ELSE 'simple' END)::regconfig
    $$""",
    """CREATE FUNCTION comms_item_search_refresh(target integer) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO item_search (item_id, config, document)
        SELECT i.id, c.cfg,
            setweight(to_tsvector(c.cfg, coalesce(i.override_title, i.title)), 'A')
            || setweight(to_tsvector(c.cfg,
                   coalesce(i.override_summary, i.summary, '')), 'B')
            || setweight(to_tsvector(c.cfg, coalesce(i.body, '')), 'C')
            || setweight(to_tsvector(c.cfg, coalesce(
                   (SELECT string_agg(f.text, ' ') FROM report_file f
                    WHERE f.item_id = i.id), '')), 'D')
        FROM item i CROSS JOIN LATERAL
            (SELECT comms_search_config(i.language) AS cfg) c
        WHERE i.id = target
        ON CONFLICT (item_id) DO UPDATE
            SET config = excluded.config, document = excluded.document;
    END
    $$""",
    """CREATE FUNCTION comms_item_search_on_item() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM comms_item_search_refresh(NEW.id);
        RETURN NULL;
    END
    $$""",
    """CREATE FUNCTION comms_item_search_on_file() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM comms_item_search_refresh(OLD.item_id);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM comms_item_search_refresh(NEW.item_id);
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER item_search_on_item
        AFTER INSERT OR UPDATE OF title, override_title, summary, override_summary,
            body, language
        ON item FOR EACH ROW EXECUTE FUNCTION comms_item_search_on_item()""",
    """CREATE TRIGGER item_search_on_file
        AFTER INSERT OR DELETE OR UPDATE OF text, item_id
        ON report_file FOR EACH ROW EXECUTE FUNCTION comms_item_search_on_file()""",
    "SELECT comms_item_search_refresh(id) FROM item",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS item_search_on_file ON report_file",
    "DROP TRIGGER IF EXISTS item_search_on_item ON item",
    "DROP FUNCTION IF EXISTS comms_item_search_on_file()",
    "DROP FUNCTION IF EXISTS comms_item_search_on_item()",
    "DROP FUNCTION IF EXISTS comms_item_search_refresh(integer)",
    "DROP FUNCTION IF EXISTS comms_search_config(text)",
    "DROP TABLE IF EXISTS item_search",
]


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("report_file", sa.Column("pdf_title", sa.String(500)))
    op.add_column("report_file", sa.Column("pdf_language", sa.String(35)))
    op.add_column("report_file", sa.Column("pdf_tagged", sa.Boolean()))
    dialect = op.get_context().dialect.name
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, [])
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    dialect = op.get_context().dialect.name
    statements = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, [])
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table("report_file") as batch:
        batch.drop_column("pdf_tagged")
        batch.drop_column("pdf_language")
        batch.drop_column("pdf_title")
