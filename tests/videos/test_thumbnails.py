"""Thumbnails: fetched once, served by the site, a placeholder when they fail."""

from __future__ import annotations

from sqlalchemy import select

from comms.catalogue.models import Item
from comms.videos.thumbnails import PLACEHOLDER
from tests.videos.conftest import run_sync, runs, videos
from tests.videos.fake_youtube import THUMBNAIL, make_videos


def test_thumbnails_are_fetched_once_and_served_by_the_site(vapp, fake, client):
    fake.videos = make_videos(3)
    run_sync(vapp)
    assert fake.calls["thumbnail"] == 3
    assert all(path.endswith("/high.jpg") for path in fake.requests if "/vi/" in path)
    fake.reset_counts()
    run_sync(vapp, "--full")
    assert fake.calls["thumbnail"] == 0

    slug = videos(vapp)[fake.videos[0].id].slug
    with client.get(f"/videos/{slug}/thumbnail.jpg") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert response.data == THUMBNAIL
    assert fake.calls["thumbnail"] == 0  # the visitor's request never reached "Google"


def test_unfetchable_thumbnail_falls_back_to_placeholder_without_failing(
    vapp, fake, client
):
    fake.videos = make_videos(2)
    fake.thumbnail_mode = "html"
    result = run_sync(vapp)
    assert result.exit_code == 0
    assert "2 thumbnails not fetched (placeholder)" in result.stdout
    assert runs(vapp)[0].thumbnails_failed == 2
    slug = videos(vapp)[fake.videos[0].id].slug
    response = client.get(f"/videos/{slug}/thumbnail.jpg")
    assert (response.status_code, response.data) == (200, PLACEHOLDER)
    assert response.headers["X-Thumbnail"] == "placeholder"

    fake.thumbnail_mode = None
    run_sync(vapp)
    with client.get(f"/videos/{slug}/thumbnail.jpg") as response:
        assert response.data == THUMBNAIL


def test_thumbnail_that_hangs_or_is_missing_never_fails_the_sync(
    yt_settings, make_app, fake
):
    from dataclasses import replace

    app = make_app(replace(yt_settings, youtube_timeout=0.3))
    fake.videos = make_videos(2)
    fake.thumbnail_mode = "hang"
    assert run_sync(app).exit_code == 0
    fake.thumbnail_mode = "404"
    assert run_sync(app).exit_code == 0
    assert len(videos(app)) == 2


def test_thumbnail_of_hidden_or_unknown_video_is_not_found(vapp, fake, client):
    fake.videos = make_videos(1)
    run_sync(vapp)
    with vapp.extensions["comms"].sessionmaker() as session:
        item = session.scalar(select(Item))
        item.hidden = True
        session.commit()
        slug = item.slug
    assert client.get(f"/videos/{slug}/thumbnail.jpg").status_code == 404
    assert client.get("/videos/nothing-here/thumbnail.jpg").status_code == 404


def test_video_without_thumbnails_gets_the_placeholder(vapp, fake, client):
    fake.videos = make_videos(1)
    fake.videos[0].sizes = ()
    run_sync(vapp)
    slug = videos(vapp)[fake.videos[0].id].slug
    assert client.get(f"/videos/{slug}/thumbnail.jpg").data == PLACEHOLDER
