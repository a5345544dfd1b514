"""Every publication path announces: WebSub pings for every changed feed, a snapshot.

Admin "Publish now" and a video sync are tested here with a hub stand-in; a
scheduled item coming due with a real worker is in tests/admin/test_jobs_worker.py,
an import in tests/feeds/test_websub.py.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from comms import create_app
from comms.db import init_db
from comms.jobs.queue import stop_jobs, wait_idle
from comms.kpi.models import PageSnapshot
from tests.admin.helpers import log_in_as, make_user, post
from tests.factories import make_item
from tests.feeds import test_websub
from tests.feeds.helpers import SITE
from tests.feeds.test_websub import Hub
from tests.videos.fake_youtube import API_KEY, HANDLE, FakeYouTube, make_videos

hub = test_websub.hub  # the WebSub hub stand-in (a fixture)


def _feeds(*paths: str, lang: str | None = None) -> set[str]:
    query = f"?lang={lang}" if lang else ""
    return {
        f"{SITE}{path}/feed.{fmt}{query}"
        for path in paths
        for fmt in ("xml", "atom", "json")
    }


def test_admin_publish_now_pings_every_feed_of_the_item_and_snapshots_it(
    settings, hub: Hub
):
    app = create_app(replace(settings, websub_hub=hub.url))
    init_db(app.extensions["comms"].engine)
    try:
        with app.extensions["comms"].sessionmaker() as session:
            item = make_item(
                session, status="draft", published_at=None, language="de",
                tags=["Clusters"], regions=["lombardia"],
            )  # fmt: skip
            item_id = item.id
            editor = make_user(session, "editor@example.org")
        client = app.test_client()
        log_in_as(client, editor)
        response = post(client, f"/admin/items/{item_id}/status", {"action": "publish"})
        assert response.status_code == 303
        assert wait_idle(app, 30)
        paths = ("", "/press-releases", "/tags/Clusters", "/regions/lombardia")
        assert set(hub.topics()) == _feeds(*paths) | _feeds(*paths, lang="de")
        with app.extensions["comms"].sessionmaker() as session:
            shots = session.scalars(select(PageSnapshot.item_id)).all()
        assert shots == [item_id]
    finally:
        stop_jobs(app)
        app.extensions["comms"].engine.dispose()


def test_a_video_sync_announces_the_videos_it_made_public(
    settings, hub: Hub, fake: FakeYouTube
):
    fake.videos = make_videos(2)
    app = create_app(
        replace(
            settings, websub_hub=hub.url, youtube_api_key=API_KEY,
            youtube_channel=HANDLE, youtube_api_endpoint=fake.url,
            youtube_backoff=0.0,
        )
    )  # fmt: skip
    init_db(app.extensions["comms"].engine)
    try:
        result = app.test_cli_runner().invoke(args=["videos", "sync"])
        assert result.exit_code == 0, result.output
        assert wait_idle(app, 30)
        tags = ("/tags/clusters", "/tags/smart-specialisation")
        assert set(hub.topics()) == _feeds("", "/videos", *tags)
        with app.extensions["comms"].sessionmaker() as session:
            assert len(session.scalars(select(PageSnapshot)).all()) == 2
        pinged = len(hub.pings)
        again = app.test_cli_runner().invoke(args=["videos", "sync"])
        assert again.exit_code == 0, again.output
        assert wait_idle(app, 30)
        assert len(hub.pings) == pinged  # nothing newly public: nothing announced
    finally:
        stop_jobs(app)
        app.extensions["comms"].engine.dispose()
