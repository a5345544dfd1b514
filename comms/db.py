"""Database engine, sessions and schema management (Alembic)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from comms.errors import ConfigMissing

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# NULL until the transaction writes anything (a row, a lock, a function's insert).
_NOTHING_WRITTEN = text("SELECT txid_current_if_assigned() IS NULL")
log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base of every comms model."""


# SQLite reads the database file through memory mapping, up to this many bytes:
# a page is read where the operating system already keeps it, instead of copied
# into each connection's own small page cache (2 MB) by a system call. Pages of a
# large catalogue asked in no particular order (the long tail) then cost no read.
# Address space, not memory: the file's pages are shared by every connection.
MMAP_BYTES = 1 << 30


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    cursor.close()


def describe(url: str) -> str:
    """The database URL as it may be printed: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL too broken to parse: print no part
        return "(unparsable COMMS_DATABASE_URL)"


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only, before SQLite does.

    SQLite would create it with the umask's mode (usually world-readable) and
    gives its -wal and -shm files the database file's mode, so all three are 0600.
    """
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # created meanwhile by another process: keep it
            return
    except OSError as exc:
        raise ConfigMissing(
            f"cannot create the database {path}: {exc.strerror or exc}"
        ) from None
    os.close(descriptor)


def make_engine(url: str) -> Engine:
    """Create an engine: SQLite in WAL mode with foreign keys, or a pooled server DB."""
    if url.startswith("sqlite"):
        try:
            database = make_url(url).database
        except ArgumentError as exc:
            raise ConfigMissing(f"COMMS_DATABASE_URL: {exc}") from None
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    except ArgumentError as exc:  # a malformed URL or an unknown driver
        raise ConfigMissing(f"COMMS_DATABASE_URL {describe(url)}: {exc}") from None


def check_reachable(engine: Engine) -> None:
    """Open one connection; ConfigMissing naming the database (no password) if not."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        lines = str(exc.orig or exc).strip().splitlines()
        reason = lines[0] if lines else type(exc.orig).__name__
        raise ConfigMissing(
            f"cannot open the database {describe(str(engine.url))}: {reason}"
        ) from None


def end_session(session: Session, error: BaseException | None) -> None:
    """Close a request's session: commit a transaction that only read, else roll back.

    Both end a read-only transaction alike, but a ROLLBACK makes psycopg drop the
    statements it prepared on that connection, so PostgreSQL would parse and plan
    every query of every request again (a search's main query: 1.6 ms instead of
    0.3). PostgreSQL itself says whether the transaction wrote anything; anything
    written and not committed (a failed request, a view that forgot to commit) is
    rolled back. Never raises: the answer has been built by now.
    """
    try:
        if (
            error is None
            and session.in_transaction()
            and not (session.new or session.dirty or session.deleted)
            and session.get_bind().dialect.name == "postgresql"
            and session.connection().scalar(_NOTHING_WRITTEN)
        ):
            session.commit()
    except Exception:  # noqa: BLE001 - a lost connection, say: roll back, go on
        log.warning("ending a read-only transaction failed", exc_info=True)
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


@contextmanager
def leaving_no_trace(session: Session) -> Iterator[None]:
    """Rows deleted (and committed) inside leave no copy in an SQLite file or its WAL.

    SQLite keeps a deleted row's bytes in the page's free space, and the page as it
    was in the ``-wal`` file until a checkpoint: secure_delete zeroes the former
    and a TRUNCATE checkpoint writes the pages back and empties the WAL. Nothing to
    do on PostgreSQL, whose files only the server reads.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        yield
        return
    # Set on the connection the session's deletes will run on.
    session.execute(text("PRAGMA secure_delete = ON"))
    yield
    with engine.connect() as conn:
        busy, _pages, _done = conn.exec_driver_sql(
            "PRAGMA wal_checkpoint(TRUNCATE)"
        ).one()
    if busy:
        log.warning(
            "another connection was reading: deleted rows may stay in the -wal "
            "file until its next full checkpoint"
        )
