"""/admin/videos/: the sync's status and errors, and adding a video by its address."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select

from comms import create_app
from comms.admin.models import AuditEntry
from comms.catalogue.models import Item
from comms.config import Settings
from comms.jobs.queue import stop_jobs
from comms.videos.models import SyncRun, VideoThumbnail
from tests.admin.helpers import post
from tests.videos.fake_oembed import FakeOEmbed
from tests.videos.fake_youtube import API_KEY, HANDLE, FakeVideo, FakeYouTube
from tests.videos.fake_youtube import THUMBNAIL as JPEG

ID = "Ab3_-xYz9Q0"


@pytest.fixture
def fake_oembed() -> Iterator[FakeOEmbed]:
    server = FakeOEmbed().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, fake_oembed: FakeOEmbed) -> Settings:
    """No API key: only the oEmbed endpoint (the fake)."""
    return replace(settings, youtube_oembed_url=fake_oembed.url, youtube_timeout=5.0)


@pytest.fixture
def make_app() -> Iterator[Any]:
    """Build more apps (other settings) on the test's database; disposed after."""
    made: list[Any] = []

    def build(settings: Settings) -> Any:
        app = create_app(settings)
        made.append(app)
        return app

    yield build
    for app in made:
        stop_jobs(app)
        app.extensions["comms"].engine.dispose()


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _count(session, model) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _form(html: str) -> dict[str, str]:
    """The confirmation form's fields as the page fills them."""
    fields = dict(re.findall(r'<input type="(?:hidden|text|url)"[^>]*?name="(\w+)"'
                             r'[^>]*?value="([^"]*)"', html))  # fmt: skip
    fields = {k: unescape(v) for k, v in fields.items() if k != "csrf_token"}
    selected = re.search(r'<option value="(\w+)" selected>', html)
    fields["language"] = selected.group(1) if selected else "en"
    return fields


def test_videos_page_without_a_key_says_so_and_offers_adding_by_address(
    editor_client,
):
    html = _text(editor_client.get("/admin/videos/"))
    assert "<h1>Videos</h1>" in html
    assert "The sync cannot run: COMMS_YOUTUBE_API_KEY and COMMS_YOUTUBE_CHANNEL" in (
        html
    )
    assert "No video sync has run yet." in html
    assert 'name="url"' in html and "Sync now" not in html


def test_add_by_address_confirms_title_and_thumbnail_then_publishes(
    app, editor_client, client, session, fake_oembed, editor
):
    fake_oembed.add(ID, "Clusters in the Alpine Space")
    url = f"https://youtu.be/{ID}?si=tracking&t=3"
    shown = post(editor_client, "/admin/videos/add", {"url": url})
    html = _text(shown)
    assert shown.status_code == 200
    assert 'value="Clusters in the Alpine Space"' in html
    assert f'value="{fake_oembed.base}/vi/{ID}/hqdefault.jpg"' in html
    assert 'src="data:image/jpeg;base64,' in html  # the thumbnail, own origin
    assert _count(session, Item) == 0  # nothing stored before the confirmation

    done = post(editor_client, "/admin/videos/add/confirm",
                {**_form(html), "action": "add"})  # fmt: skip
    assert done.status_code == 303
    listing = _text(editor_client.get(done.location))
    assert "Video added and published: Clusters in the Alpine Space." in listing
    assert "never (added by address)" in listing
    item = session.scalars(select(Item)).one()
    assert (item.kind, item.youtube_id, item.status) == ("video", ID, "published")
    assert (item.slug, item.title, item.override_title) == (
        "clusters-in-the-alpine-space",
        "Clusters in the Alpine Space",
        None,
    )
    # the image's own size (the fake serves a 4 x 3 JPEG), not oEmbed's 480 x 360
    assert item.details["thumbnails"]["high"] == {
        "url": f"{fake_oembed.base}/vi/{ID}/hqdefault.jpg",
        "width": 4,
        "height": 3,
    }
    thumb = session.get(VideoThumbnail, ID)
    assert thumb is not None and thumb.sha256
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_id) == ("create", editor.id)
    editor_page = editor_client.get(f"/admin/items/{item.id}/")
    assert editor_page.status_code == 200  # overrides and hiding, as a synced one

    page = client.get("/videos/clusters-in-the-alpine-space/")
    assert page.status_code == 200
    assert "Clusters in the Alpine Space" in _text(page)
    with client.get("/videos/clusters-in-the-alpine-space/thumbnail.jpg") as picture:
        assert picture.data == JPEG and "X-Thumbnail" not in picture.headers
    assert "clusters-in-the-alpine-space" in _text(client.get("/videos/"))


def test_a_corrected_title_survives_a_later_sync_that_updates_the_same_item(
    settings, editor_client, session, fake_oembed, fake: FakeYouTube, make_app
):
    fake_oembed.add(ID, "clusters_final_v2")
    shorts = f"https://www.youtube.com/shorts/{ID}?feature=share"
    html = _text(post(editor_client, "/admin/videos/add", {"url": shorts}))
    form = {**_form(html), "title": "Clusters: the final film", "action": "add"}
    assert form["short"] == "1"
    assert post(editor_client, "/admin/videos/add/confirm", form).status_code == 303
    item = session.scalars(select(Item)).one()
    assert (item.title, item.override_title, item.video_type) == (
        "clusters_final_v2",
        "Clusters: the final film",
        "short",
    )
    assert item.display_title == "Clusters: the final film"

    fake.videos = [
        FakeVideo(id=ID, title="Clusters (final)", published_at=item.created_at,
                  duration="PT45S")
    ]  # fmt: skip
    keyed = make_app(
        replace(
            settings,
            youtube_api_key=API_KEY,
            youtube_channel=HANDLE,
            youtube_api_endpoint=fake.url,
            youtube_retries=1,
            youtube_backoff=0.0,
        )
    )
    result = keyed.test_cli_runner().invoke(args=["videos", "sync"])
    assert result.exit_code == 0, result.output
    assert "0 new, 1 updated" in result.output
    session.expire_all()
    again = session.scalars(select(Item)).one()  # the same item, not a second one
    assert again.id == item.id and again.slug == item.slug
    assert again.title == "Clusters (final)"
    assert again.override_title == "Clusters: the final film"
    assert again.duration == "PT45S" and again.synced_at is not None


@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "private or may not be embedded (401)"), (404, "may have been removed")],
)
def test_private_or_removed_video_is_explained_and_can_still_be_added_by_title(
    editor_client, session, fake_oembed, status, says
):
    fake_oembed.add(ID, "Secret", status=status)
    shown = post(editor_client, "/admin/videos/add",
                 {"url": f"https://www.youtube.com/watch?v={ID}&t=1"})  # fmt: skip
    html = _text(shown)
    assert shown.status_code == 200 and says in html
    assert "You may still add it: type its title below" in html
    form = {**_form(html), "action": "add"}
    assert form["title"] == ""
    empty = post(editor_client, "/admin/videos/add/confirm", form)
    assert empty.status_code == 400
    assert "title: give the video's title" in _text(empty)
    form["title"] = "Our workshop film"
    assert post(editor_client, "/admin/videos/add/confirm", form).status_code == 303
    item = session.scalars(select(Item)).one()
    assert (item.title, item.override_title) == ("Our workshop film", None)
    assert session.get(VideoThumbnail, ID) is None  # the placeholder shows


def test_unreachable_oembed_is_explained(settings, make_app, editor):
    from tests.admin.helpers import log_in_as

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(replace(settings, youtube_oembed_url=f"http://127.0.0.1:{port}/x"))
    client = app.test_client()
    log_in_as(client, editor)
    html = _text(post(client, "/admin/videos/add", {"url": ID}))
    assert "YouTube's oEmbed endpoint cannot be reached" in html


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://vimeo.com/1234", "not a YouTube video address"),
        ("https://www.youtube.com/watch?v=tooshort", "is not a YouTube video id"),
        ("", "paste the video's YouTube address"),
    ],
)
def test_a_bad_address_is_refused_with_a_reason(editor_client, session, url, says):
    response = post(editor_client, "/admin/videos/add", {"url": url})
    assert response.status_code == 400 and says in _text(response)
    assert _count(session, Item) == 0


def test_a_video_already_in_the_catalogue_is_not_added_twice(
    editor_client, session, fake_oembed
):
    fake_oembed.add(ID, "Once")
    html = _text(post(editor_client, "/admin/videos/add", {"url": ID}))
    form = {**_form(html), "action": "add"}
    assert post(editor_client, "/admin/videos/add/confirm", form).status_code == 303
    again = post(editor_client, "/admin/videos/add", {"url": f"youtu.be/{ID}"})
    assert again.status_code == 409 and "in the catalogue already" in _text(again)
    twice = post(editor_client, "/admin/videos/add/confirm", form)
    assert twice.status_code == 400 and "in the catalogue already" in _text(twice)
    assert _count(session, Item) == 1


def test_confirmation_checks_fields_as_content_files_do(editor_client, session):
    base = {"youtube_id": ID, "title": "A film", "language": "en", "action": "add"}
    cases = [
        ({"youtube_id": "bad id"}, "youtube_id: must be 11 characters"),
        ({"language": "xx"}, "language: choose one of"),
        ({"thumbnail_url": "javascript:alert(1)"}, "thumbnail: high: "),
        ({"thumbnail_url": "https://intranet.example/secret.jpg"},
         "image address on YouTube's image servers"),
        ({"title": "x" * 501}, "title: at most 500 characters"),
    ]  # fmt: skip
    elsewhere = {"thumbnail_url": "http://127.0.0.2:9/inside.jpg", "action": "preview"}
    shown = post(editor_client, "/admin/videos/add/confirm", {**base, **elsewhere})
    assert shown.status_code == 400  # refused before the server fetches anything
    assert "image address on YouTube's image servers" in _text(shown)
    assert "data:image" not in _text(shown)
    for change, says in cases:
        response = post(editor_client, "/admin/videos/add/confirm", {**base, **change})
        assert response.status_code == 400, change
        assert says in _text(response), (change, _text(response)[:300])
    assert _count(session, Item) == 0


def test_videos_page_shows_the_sync_runs_with_their_errors(
    settings, make_app, editor, fake: FakeYouTube
):
    from tests.admin.helpers import log_in_as
    from tests.videos.fake_youtube import make_videos

    keyed = make_app(
        replace(
            settings,
            youtube_api_key=API_KEY,
            youtube_channel=HANDLE,
            youtube_api_endpoint=fake.url,
            youtube_retries=1,
            youtube_backoff=0.0,
        )
    )
    runner = keyed.test_cli_runner()
    fake.videos = make_videos(2)
    assert runner.invoke(args=["videos", "sync"]).exit_code == 0
    fake.fail("key_new", on="channels", times=1)
    assert runner.invoke(args=["videos", "sync"]).exit_code != 0
    client = keyed.test_client()
    log_in_as(client, editor)
    html = _text(client.get("/admin/videos/"))
    assert "The API key and channel are set" in html and "Sync now" in html
    runs = re.findall(r'<td class="outcome-(\w+)">', html)
    assert runs == ["failed", "ok"]  # newest first
    with keyed.extensions["comms"].sessionmaker() as session:
        failed = session.scalars(select(SyncRun).where(SyncRun.outcome == "failed"))
        error = failed.one().error
    assert error and error in html
    assert "In the catalogue (2)" in html and "Cluster film 1" in html
    assert "Not set up" in html  # no push subscription
