"""Fixtures of the deposit tests: a fake InvenioRDM and an app pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from comms import create_app
from comms.config import Settings
from comms.db import init_db
from tests.deposits.fake_invenio import TOKEN, FakeInvenio

SITE_FUNDING = (
    "funding: {text: Co-funded by the European Union, "
    "funder: European Regional Development Fund, grant: ASP 123}\n"
)


@pytest.fixture
def repo() -> Iterator[FakeInvenio]:
    """A fake InvenioRDM repository on 127.0.0.1."""
    server = FakeInvenio().start()
    yield server
    server.stop()


@pytest.fixture
def zsettings(settings: Settings, repo: FakeInvenio, content_dir: Path) -> Settings:
    """Settings pointing at the fake, with instant retries and a short timeout."""
    site = content_dir / "site.yml"
    text = site.read_text().replace(
        "funding: {text: Co-funded by the European Union}\n", SITE_FUNDING
    )
    site.write_text(text)
    return replace(
        settings,
        zenodo_url=repo.url,
        zenodo_token=TOKEN,
        zenodo_timeout=5.0,
        zenodo_retries=3,
        zenodo_backoff=0.0,
    )


@pytest.fixture
def zapp(zsettings: Settings) -> Iterator[Any]:
    """The app configured for the fake repository."""
    app = create_app(zsettings)
    init_db(app.extensions["comms"].engine)
    yield app
    app.extensions["comms"].engine.dispose()


def deposit(app: Any, slug: str, *args: str, answer: str | None = None) -> Any:
    """`comms zenodo deposit SLUG ARGS` through the CLI runner."""
    return app.test_cli_runner().invoke(
        args=["zenodo", "deposit", slug, *args], input=answer
    )
