"""The database as the command line meets it: a private SQLite file, one-line errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from comms.cli import main
from comms.db import MMAP_BYTES, make_engine


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMS_")}
    env.update(
        COMMS_INSTANCE_PATH=str(tmp_path / "instance"),
        COMMS_CONTENT_DIR=str(tmp_path / "content"),
        **extra,
    )
    return env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_db_creates_the_sqlite_file_and_its_wal_readable_by_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        result = CliRunner().invoke(main, ["init-db"], env=_env(tmp_path))
        assert result.exit_code == 0, result.output
        instance = tmp_path / "instance"
        database = instance / "comms.sqlite3"
        assert _mode(database) == 0o600
        assert _mode(instance / "secret_key") == 0o600
        import sqlite3

        connection = sqlite3.connect(database)  # WAL mode: -wal and -shm appear
        connection.execute("CREATE TABLE t (x)")
        for suffix in ("-wal", "-shm"):
            sidecar = instance / f"comms.sqlite3{suffix}"
            assert sidecar.exists()
            assert _mode(sidecar) == 0o600, suffix
        connection.close()
    finally:
        os.umask(old)


def test_app_start_creates_a_database_file_in_a_new_folder_0600(tmp_path):
    from comms import create_app
    from comms.config import Settings

    database = tmp_path / "new" / "folder" / "site.db"
    settings = Settings(
        instance_path=tmp_path / "instance",
        database_url=f"sqlite:///{database}",
        content_dir=tmp_path,
        testing=True,
    )
    app = create_app(settings)
    with app.extensions["comms"].engine.connect():
        pass
    assert _mode(database) == 0o600
    assert _mode(tmp_path / "instance" / "secret_key") == 0o600


@pytest.mark.parametrize("command", [["serve"], ["init-db"], ["kpi"], ["export", "x"]])
def test_unreachable_postgresql_is_one_line_naming_the_database(tmp_path, command):
    url = "postgresql+psycopg://comms:s3cret-pw@127.0.0.1:1/x"
    result = CliRunner().invoke(
        main, command, env=_env(tmp_path, COMMS_DATABASE_URL=url)
    )
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "Error: cannot open the database postgresql+psycopg://comms:***@127.0.0.1:1/x: "
    )
    assert "s3cret-pw" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("where", ["blocker/comms.sqlite3", "blocker/sub/db.sqlite3"])
def test_sqlite_in_a_folder_that_cannot_be_made_is_one_line(tmp_path, where):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    url = f"sqlite:///{tmp_path / where}"
    result = CliRunner().invoke(
        main, ["serve"], env=_env(tmp_path, COMMS_DATABASE_URL=url)
    )
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"Error: cannot create the database {tmp_path / where}: "
    )


@pytest.mark.parametrize("command", [["serve"], ["kpi"]])
def test_an_instance_folder_that_cannot_be_made_is_one_line(tmp_path, command):
    # The default SQLite file lives there, after the generated secret key: making
    # that key raised FileNotFoundError with a traceback.
    (tmp_path / "blocker").write_text("a file where a folder should be")
    instance = tmp_path / "blocker" / "instance"
    env = {**_env(tmp_path), "COMMS_INSTANCE_PATH": str(instance)}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    expected = f"Error: cannot create the instance folder {instance}: "
    assert lines[0].startswith(expected)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_console_script_against_an_unreachable_database_prints_no_traceback(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1:1/x"
    result = subprocess.run(
        [sys.executable, "-m", "comms", "serve"],
        env=_env(tmp_path, COMMS_DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if "cannot open" in line
    ]
    assert "127.0.0.1:1/x" in result.stderr


def test_every_sqlite_connection_reads_the_file_through_memory_mapping(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    try:
        # Two connections at once: each is set up, not only the first.
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                settings = [
                    conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("mmap_size", "journal_mode", "foreign_keys")
                ]
                assert settings == [MMAP_BYTES, "wal", 1]
    finally:
        engine.dispose()
