"""Database engine, sessions and schema management (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Set in a pooled connection's info when its transaction ran anything but a SELECT.
WROTE = "comms.wrote"


class Base(DeclarativeBase):
    """Declarative base of every comms model."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine: SQLite in WAL mode with foreign keys, or a pooled server DB."""
    if url.startswith("sqlite"):
        if ":memory:" not in url and url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    _track_writes(engine)
    return engine


def _track_writes(engine: Engine) -> None:
    """Note in each connection whether its transaction ran anything but a SELECT."""

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.info.pop(WROTE, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info[WROTE] = True


def end_session(session: Session, error: BaseException | None) -> None:
    """Close a request's session: commit a transaction that only read, else roll back.

    Both end a read-only transaction alike, but a ROLLBACK makes psycopg drop the
    statements it prepared on that connection, so PostgreSQL would parse and plan
    every query of every request again (a search's main query: 1.6 ms instead of
    0.3). Anything written and not committed (a failed request, a view that forgot
    to commit) is still rolled back.
    """
    try:
        if (
            error is None
            and session.in_transaction()
            and not (session.new or session.dirty or session.deleted)
            and session.get_bind().dialect.name == "postgresql"
            and not session.connection().info.get(WROTE)
        ):
            session.commit()
    finally:
        session.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory bound to ``engine``."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    command.upgrade(alembic_config(engine), "heads")


def schema_exists(engine: Engine) -> bool:
    """True when the catalogue tables exist."""
    return inspect(engine).has_table("item")
