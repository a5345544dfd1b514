"""Shared helpers of the browser tests: Debian's Chromium, a live server, axe-core.

Without Chromium, Playwright or axe-core the browser tests skip with the reason;
with CI=true a missing piece fails them instead (as PostgreSQL does in conftest).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import CONTENT, IN_CI, REPO

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def _missing(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def sync_playwright() -> Any:
    """Playwright's sync API; skip (fail under CI) when it or Chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _missing("playwright is not installed (pip install -e .[dev])")
    if not shutil.which(CHROMIUM):
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return start


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, with no background traffic of its own."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


def axe_source() -> str:
    """axe-core's script (npm, package.json); skip (fail under CI) when missing."""
    if not AXE.is_file():
        _missing(f"axe-core is not installed at {AXE.relative_to(REPO)} (npm ci)")
    return AXE.read_text(encoding="utf-8")


def closing_body(app: Any) -> Any:
    """``app`` whose response bodies are closed even when Werkzeug's server skips it.

    When a browser drops a connection mid-body (an image it no longer needs),
    the server's clean-up reads the dead socket, raises, and never calls the
    body's ``close()``: a file served by ``send_file`` is then left to the
    garbage collector, which warns (an error in this suite). The generator's
    ``finally`` closes the body when the server is done with it either way.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a real HTTP server on 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, closing_body(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def chromium(*, axe: bool = False) -> Iterator[Any]:
    """One headless Chromium; with ``axe``, skip (fail in CI) first when axe-core
    is missing, before launching anything."""
    start = sync_playwright()
    if axe:
        axe_source()
    with start() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served_demo(
    tmp: Path, secret: str, database_url: str | None = None, **overrides: Any
) -> Iterator[tuple[Flask, str]]:
    """The demo content/ imported into SQLite under ``tmp`` (or into
    ``database_url``) and served on 127.0.0.1: yield the app (to add rows) and the
    site's base URL."""
    from comms import create_app
    from comms.catalogue.content_files import import_tree
    from comms.config import Settings
    from comms.db import init_db

    settings = Settings(
        instance_path=tmp / "instance",
        database_url=database_url or f"sqlite:///{tmp / 'site.sqlite3'}",
        secret_key=secret,
        content_dir=CONTENT,
        media_dir=tmp / "media",
        testing=True,
        **overrides,
    )
    app = create_app(settings)
    state = app.extensions["comms"]
    init_db(state.engine)
    with state.sessionmaker() as session:
        report = import_tree(session, state.store, CONTENT)
        assert not report.problems, report.problems
        session.commit()
    try:
        with serve(app) as base:
            yield app, base
    finally:
        state.engine.dispose()


def artifact(*parts: str) -> Path:
    """A path under test-artifacts/ whose folder exists."""
    path = ARTIFACTS.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
