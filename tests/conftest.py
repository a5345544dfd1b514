"""Shared fixtures: settings on SQLite and PostgreSQL, app, client, runner, session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from comms import create_app
from comms.admin import auth
from comms.config import Settings
from comms.db import init_db
from comms.jobs.queue import stop_jobs
from tests.videos.fake_youtube import FakeYouTube

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
IN_CI = os.environ.get("CI") == "true"
# argon2id's cheapest parameters: a hash in microseconds instead of 64 MiB and ~50 ms.
CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords cheaply and slow failed logins down a tenth as much.

    Verification follows the parameters stored in each hash, so nothing a test
    checks depends on the cost; the login throttle keeps its shape, only shorter.
    """
    monkeypatch.setattr(auth, "HASHER", CHEAP_HASHER)
    monkeypatch.setattr(auth, "SLOWDOWN_STEP", auth.SLOWDOWN_STEP / 10)


def _postgres_url() -> str:
    url = os.environ.get("COMMS_TEST_DATABASE_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI=true but COMMS_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need COMMS_TEST_DATABASE_URL")
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that needs a database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'comms.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """An empty content folder with a small site.yml."""
    root = tmp_path / "content"
    root.mkdir()
    (root / "site.yml").write_text(
        "name: Test Project\n"
        "description: A test site\n"
        "default_language: en\n"
        "languages: [en, de, fr, it, sl]\n"
        "programme: {name: Interreg Alpine Space, url: https://example.org}\n"
        "funding: {text: Co-funded by the European Union}\n"
        "regions: {lombardia: Lombardia, bayern: Bayern, slovenija: Slovenija}\n"
    )
    return root


@pytest.fixture
def settings(tmp_path: Path, database_url: str, content_dir: Path) -> Settings:
    """Settings for one test: its own database, media and instance folders."""
    return Settings(
        instance_path=tmp_path / "instance",
        database_url=database_url,
        secret_key="test-secret",
        content_dir=content_dir,
        media_dir=tmp_path / "media",
        page_size=5,
        testing=True,
        count_flush_seconds=0.0,  # each count written by its request
        jobs_url="memory://",  # jobs run in threads of the test process
    )


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    """The app with its schema created."""
    app = create_app(settings)
    init_db(app.extensions["comms"].engine)
    yield app
    stop_jobs(app)
    app.extensions["comms"].engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def session(app) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A session on the app's database."""
    with app.extensions["comms"].sessionmaker() as session:
        yield session


@pytest.fixture
def store(app):  # type: ignore[no-untyped-def]
    """The app's media store."""
    return app.extensions["comms"].store


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    """A fake YouTube Data API on 127.0.0.1 (an empty channel until filled)."""
    server = FakeYouTube().start()
    yield server
    server.stop()
