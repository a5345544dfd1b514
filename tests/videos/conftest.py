"""Fixtures of the video tests: an app pointed at the fake YouTube Data API.

The fake itself (`fake`) is a fixture of tests/conftest.py: the soak test uses it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from comms import create_app
from comms.catalogue.models import Item, ItemTag
from comms.catalogue.stamp import SiteState
from comms.config import Settings
from comms.db import init_db
from comms.jobs.queue import stop_jobs
from comms.videos.models import SyncRun
from tests.videos.fake_youtube import API_KEY, HANDLE, FakeYouTube


@pytest.fixture
def yt_settings(settings: Settings, fake: FakeYouTube) -> Settings:
    """Settings pointing at the fake, with instant retries and a short timeout."""
    return replace(
        settings,
        youtube_api_key=API_KEY,
        youtube_channel=HANDLE,
        youtube_api_endpoint=fake.url,
        youtube_timeout=5.0,
        youtube_retries=3,
        youtube_backoff=0.0,
    )


@pytest.fixture
def make_app() -> Iterator[Any]:
    """Build more apps (other settings) on the test's database; disposed after."""
    made: list[Any] = []

    def build(settings: Settings) -> Any:
        app = create_app(settings)
        init_db(app.extensions["comms"].engine)
        made.append(app)
        return app

    yield build
    for app in made:
        stop_jobs(app)  # no job thread outlives the test's database
        app.extensions["comms"].engine.dispose()


@pytest.fixture
def vapp(yt_settings: Settings, make_app: Any) -> Any:
    """The app configured for the fake channel."""
    return make_app(yt_settings)


def run_sync(app: Any, *args: str) -> Any:
    """`comms videos sync ARGS` through the CLI runner."""
    return app.test_cli_runner().invoke(args=["videos", "sync", *args])


def snapshot(app: Any) -> dict[str, Any]:
    """Every catalogue row and the version stamp, to compare before and after."""
    with app.extensions["comms"].sessionmaker() as session:
        items = {
            i.uid: {
                c.key: getattr(i, c.key)
                for c in Item.__table__.columns  # type: ignore[attr-defined]
            }
            for i in session.scalars(select(Item))
        }
        tags = sorted(session.execute(select(ItemTag.item_id, ItemTag.name)).all())
        stamp = session.scalar(
            select(SiteState.value).where(SiteState.name == "catalogue")
        )
    return {"items": items, "tags": tags, "stamp": stamp}


def videos(app: Any) -> dict[str, Item]:
    """Video items by YouTube id."""
    with app.extensions["comms"].sessionmaker() as session:
        return {
            i.youtube_id: i
            for i in session.scalars(select(Item).where(Item.kind == "video"))
        }


def runs(app: Any) -> list[SyncRun]:
    """Sync runs, newest first."""
    with app.extensions["comms"].sessionmaker() as session:
        return list(session.scalars(select(SyncRun).order_by(SyncRun.id.desc())))
