"""The dashboard's "Sync now" button, against the fake YouTube Data API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from comms import create_app
from comms.admin.models import AuditEntry
from comms.catalogue.models import Item
from comms.config import Settings
from comms.jobs.queue import wait_idle
from comms.videos.models import SyncRun
from tests.admin.helpers import log_in_as, post
from tests.videos.fake_youtube import API_KEY, HANDLE, FakeYouTube, make_videos

WAIT = 60.0


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    """A fake YouTube Data API on 127.0.0.1."""
    server = FakeYouTube().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, fake: FakeYouTube) -> Settings:
    """Settings pointing at the fake, with instant retries."""
    return replace(
        settings,
        youtube_api_key=API_KEY,
        youtube_channel=HANDLE,
        youtube_api_endpoint=fake.url,
        youtube_timeout=5.0,
        youtube_retries=3,
        youtube_backoff=0.0,
    )


@pytest.fixture(autouse=True)
def _no_job_outlives_the_test(app, fake: FakeYouTube) -> Iterator[None]:
    yield
    fake.release.set()
    assert wait_idle(app, WAIT), "a background sync did not finish"


def _count(session, model) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_sync_now_creates_the_videos_and_the_dashboard_shows_the_run(
    app, editor_client, session, fake, editor
):
    fake.videos = make_videos(3)
    response = post(editor_client, "/admin/videos/sync")
    assert response.status_code == 303
    assert "Video sync started" in editor_client.get(response.location).get_data(
        as_text=True
    )
    assert wait_idle(app, WAIT)
    assert _count(session, Item) == 3
    [run] = session.scalars(select(SyncRun))
    assert (run.outcome, run.new, run.running) == ("ok", 3, None)
    html = editor_client.get("/admin/").get_data(as_text=True)
    assert "<dt>Outcome</dt><dd>ok</dd>" in html
    assert "<dt>Videos</dt><dd>3</dd>" in html and "<dt>New</dt><dd>3</dd>" in html
    assert f"<dt>Quota units</dt><dd>{run.quota_units}</dd>" in html
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.target_type, entry.user_email) == (
        "sync",
        "videos",
        editor.email,
    )


def test_a_second_click_while_a_sync_runs_is_refused(app, editor_client, session, fake):
    fake.videos = make_videos(60)
    fake.fail("pause", on="videos", after=1)  # the first run waits for release
    assert post(editor_client, "/admin/videos/sync").status_code == 303
    deadline = time.monotonic() + 10
    while fake.calls["videos"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    second = post(editor_client, "/admin/videos/sync")
    assert second.status_code == 409
    assert "a video sync is already running" in second.get_data(as_text=True)
    fake.release.set()
    assert wait_idle(app, WAIT)
    assert [r.outcome for r in session.scalars(select(SyncRun))] == ["ok"]
    assert _count(session, Item) == 60


def test_sync_without_youtube_settings_says_what_is_missing(
    settings, session, editor, fake
):
    bare = create_app(replace(settings, youtube_api_key=None, youtube_channel=None))
    try:
        client = bare.test_client()
        log_in_as(client, editor)
        response = post(client, "/admin/videos/sync")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "COMMS_YOUTUBE_API_KEY and COMMS_YOUTUBE_CHANNEL are not set" in html
        assert _count(session, SyncRun) == 0
        assert fake.units == 0
    finally:
        bare.extensions["comms"].engine.dispose()


def test_sync_now_without_csrf_token_is_refused(editor_client, session, fake):
    response = editor_client.post("/admin/videos/sync")
    assert response.status_code == 400
    assert _count(session, SyncRun) == 0
