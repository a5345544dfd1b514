"""A synced video in every public output: gone when unavailable, never via Google."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from comms.catalogue.models import Item
from comms.newsletter.compose import proposals
from comms.newsletter.mail import render_issue
from comms.newsletter.service import issue_groups
from comms.static_export import MANIFEST, export_site
from tests.newsletter.helpers import make_issue
from tests.videos.conftest import run_sync, videos
from tests.videos.fake_youtube import make_videos

FEEDS = [
    f"{scope}/feed.{fmt}"
    for scope in ("", "/videos", "/tags/clusters")
    for fmt in ("xml", "atom", "json")
]
# Whatever a page, feed or mail may name: none of it may load from Google.
GOOGLE = ("ytimg.com", "googleusercontent", "ggpht.com")


def _body(client: Any, url: str) -> tuple[int, str]:
    with client.get(url) as response:
        return response.status_code, response.data.decode("utf-8", "replace")


def _outputs(app: Any, slug: str) -> dict[str, tuple[int, str]]:
    """Every public URL where a video can show up, with its status and body."""
    client = app.test_client()
    urls = [
        "/",
        "/?kind=video",
        "/videos/",
        "/videos/?tag=clusters",
        f"/videos/{slug}/",
        f"/videos/{slug}/thumbnail.jpg",
        "/sitemap.xml",
        "/search?q=Cluster",
        "/api/v1/items",
        "/api/v1/items?kind=video",
        f"/api/v1/items/video/{slug}",
        *FEEDS,
    ]
    return {url: _body(client, url) for url in urls}


def _proposed(app: Any) -> list[str]:
    with app.extensions["comms"].sessionmaker() as session:
        return [
            item.slug
            for item in proposals(
                session, language="en", default_language="en", now=datetime.now(UTC)
            )
        ]


def _exported(app: Any, out: Path) -> dict[str, bytes]:
    export_site(app, out)
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in out.rglob("*")
        if path.is_file() and path.name != MANIFEST
    }


def _assert_everywhere(app: Any, title: str, slug: str, out: Path) -> None:
    for url, (status, body) in _outputs(app, slug).items():
        assert status == 200, url
        if not url.endswith("thumbnail.jpg"):
            assert f"/videos/{slug}/" in body, url
    assert slug in _proposed(app)
    files = _exported(app, out)
    assert f"videos/{slug}/index.html" in files
    assert f"videos/{slug}/thumbnail.jpg" in files
    assert any(title.encode() in data for data in files.values())


def _assert_nowhere(app: Any, title: str, slug: str, out: Path) -> None:
    for url, (status, body) in _outputs(app, slug).items():
        if url in (
            f"/videos/{slug}/",
            f"/videos/{slug}/thumbnail.jpg",
            f"/api/v1/items/video/{slug}",
        ):
            assert status in (404, 410), (url, status)
        else:
            assert status == 200, url
            assert title not in body, url
            assert f"/videos/{slug}/" not in body, url
    assert slug not in _proposed(app)
    files = _exported(app, out)
    assert not any(name.startswith(f"videos/{slug}/") for name in files)
    assert not any(title.encode() in data for data in files.values())


@pytest.mark.parametrize("gone", ["private", "deleted"])
def test_unavailable_video_leaves_every_public_output_and_returns(
    vapp, fake, tmp_path, gone
):
    fake.videos = make_videos(3)
    run_sync(vapp)
    target = fake.videos[1]
    item = videos(vapp)[target.id]
    title, slug = item.title, item.slug
    out = tmp_path / "export"
    _assert_everywhere(vapp, title, slug, out)

    target.privacy = gone
    assert run_sync(vapp).exit_code == 0
    marked = videos(vapp)[target.id]
    assert marked.availability in ("private", "deleted")  # kept, never deleted
    _assert_nowhere(vapp, title, slug, out)

    target.privacy = "public"
    assert run_sync(vapp, "--full").exit_code == 0
    assert videos(vapp)[target.id].availability == "available"
    _assert_everywhere(vapp, title, slug, out)


def test_no_public_output_of_a_synced_video_loads_from_google(vapp, fake, tmp_path):
    fake.videos = make_videos(2)
    run_sync(vapp)
    item = videos(vapp)[fake.videos[0].id]
    local = f"/videos/{item.slug}/thumbnail.jpg"
    # The fake serves the thumbnails YouTube would serve from i.ytimg.com.
    remote = (fake.url, *GOOGLE)
    fake.reset_counts()

    outputs = _outputs(vapp, item.slug)
    for url, (status, body) in outputs.items():
        assert status == 200, url
        for host in remote:
            assert host not in body, (url, host)
    page = outputs[f"/videos/{item.slug}/"][1]
    assert f'class="video-poster" src="{local}"' in page  # the player's poster
    assert f'<meta property="og:image" content="http://127.0.0.1:5000{local}">' in page
    assert f'"thumbnailUrl":"http://127.0.0.1:5000{local}"' in page
    assert f'class="card-image" src="{local}"' in outputs["/"][1]
    assert f'url="http://127.0.0.1:5000{local}"' in outputs["/feed.xml"][1]
    feed = json.loads(outputs["/feed.json"][1])
    assert f"http://127.0.0.1:5000{local}" in [i.get("image") for i in feed["items"]]
    api = json.loads(outputs[f"/api/v1/items/video/{item.slug}"][1])
    assert api["thumbnail_url"] == f"http://127.0.0.1:5000{local}"

    with vapp.app_context(), vapp.extensions["comms"].sessionmaker() as session:
        letter = make_issue(session, items=[("video", item.slug)])
        state = vapp.extensions["comms"]
        mail = render_issue(
            vapp.jinja_env,
            letter,
            issue_groups(session, letter, datetime.now(UTC)),
            site=state.site,
            site_url=state.settings.site_url,
        )
    assert f'src="http://127.0.0.1:5000{local}"' in mail.html
    for host in remote:
        assert host not in mail.html and host not in mail.text
    web_version = _body(vapp.test_client(), f"/newsletter/{letter.slug}/")
    assert web_version[0] == 200
    for host in remote:
        assert host not in web_version[1]

    files = _exported(vapp, tmp_path / "export")
    assert files[local.lstrip("/")] == _body_bytes(vapp, local)
    for name, data in files.items():
        for host in remote:
            assert host.encode() not in data, (name, host)
    assert fake.calls["thumbnail"] == 0  # no visitor request reached "Google"


def _body_bytes(app: Any, url: str) -> bytes:
    with app.test_client().get(url) as response:
        return response.data


def test_video_types_setting_governs_news_page_and_feeds_not_the_videos_listing(
    vapp, fake, yt_settings, make_app, tmp_path
):
    fake.videos = make_videos(3)
    fake.videos[0].live, fake.videos[0].duration = "upcoming", "P0D"
    fake.videos[1].title, fake.videos[1].duration = "Alps in 30 s #shorts", "PT30S"
    run_sync(vapp)
    synced = videos(vapp)
    upcoming, short = synced[fake.videos[0].id], synced[fake.videos[1].id]
    assert (upcoming.video_type, short.video_type) == ("upcoming", "short")
    client = vapp.test_client()
    for url in ["/", "/?kind=video", *FEEDS]:
        body = _body(client, url)[1]
        assert f"/videos/{upcoming.slug}/" not in body, url  # not a default type
        assert f"/videos/{short.slug}/" in body, url
    # /videos/ is the whole video catalogue: every type, each on its own page.
    listing = _body(client, "/videos/")[1]
    assert f"/videos/{upcoming.slug}/" in listing
    assert _body(client, f"/videos/{upcoming.slug}/")[0] == 200
    assert upcoming.slug in _body(client, "/sitemap.xml")[1]

    plain = synced[fake.videos[2].id]

    def app_showing(*types: str) -> Any:
        # Its own instance folder: the page cache must not answer for the others.
        folder = tmp_path / "-".join(types)
        return make_app(
            replace(yt_settings, video_public_types=types, instance_path=folder)
        )

    other = app_showing("video").test_client()
    for url in ["/", *FEEDS]:
        body = _body(other, url)[1]
        assert f"/videos/{short.slug}/" not in body, url
        assert f"/videos/{plain.slug}/" in body, url
    with_upcoming = app_showing("video", "upcoming").test_client()
    assert f"/videos/{upcoming.slug}/" in _body(with_upcoming, "/")[1]


def test_archived_video_page_keeps_its_poster(vapp, fake):
    fake.videos = make_videos(1)
    run_sync(vapp)
    with vapp.extensions["comms"].sessionmaker() as session:
        item = session.scalars(select(Item).where(Item.kind == "video")).one()
        item.status = "archived"
        session.commit()
        slug = item.slug
    client = vapp.test_client()
    page = _body(client, f"/videos/{slug}/")
    assert page[0] == 200 and f'src="/videos/{slug}/thumbnail.jpg"' in page[1]
    assert _body(client, f"/videos/{slug}/thumbnail.jpg")[0] == 200
    assert f"/videos/{slug}/" not in _body(client, "/videos/")[1]
