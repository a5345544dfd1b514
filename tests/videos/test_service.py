"""The video sync against a fake YouTube: sizes, lookups, increments, changes."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from comms.catalogue.content_files import export_tree, import_tree
from comms.catalogue.models import Item
from comms.catalogue.service import visible
from comms.videos.sync import minimum_quota
from tests.factories import make_item
from tests.videos.conftest import run_sync, runs, snapshot, videos
from tests.videos.fake_youtube import CHANNEL_ID, FakeVideo, make_videos


@pytest.mark.parametrize("count", [0, 1, 50, 51, 120])
def test_full_then_nothing_new_spend_exactly_the_minimum_quota(vapp, fake, count):
    fake.videos = make_videos(count)
    result = run_sync(vapp, "--full")
    assert result.exit_code == 0, result.output
    full_units = 1 + 2 * math.ceil(count / 50)
    assert result.stdout == (
        f"{count} videos: {count} new, 0 updated, 0 unavailable; "
        f"{full_units} quota units\n"
    )
    assert fake.units == full_units == minimum_quota(count, full=True)
    assert len(videos(vapp)) == count

    fake.reset_counts()
    again = run_sync(vapp)
    quiet_units = 1 + 1 + math.ceil(count / 50) if count else 1
    assert again.stdout == (
        f"{count} videos: 0 new, {count} updated, 0 unavailable; "
        f"{quiet_units} quota units\n"
    )
    assert fake.units == quiet_units == minimum_quota(count, full=False)
    assert [r.quota_units for r in runs(vapp)] == [quiet_units, full_units]


@pytest.mark.parametrize("channel", ["@alpclusters", "alpclusters", CHANNEL_ID])
def test_channel_found_by_handle_or_id(yt_settings, make_app, fake, channel):
    fake.videos = make_videos(3)
    app = make_app(replace(yt_settings, youtube_channel=channel))
    result = run_sync(app)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 videos: 3 new")
    asked = fake.requests[0]
    assert ("forHandle=%40alpclusters" in asked) == (channel != CHANNEL_ID)
    assert (f"id={CHANNEL_ID}" in asked) == (channel == CHANNEL_ID)


def test_incremental_sync_stops_at_the_first_known_page_and_adds_new_videos(vapp, fake):
    fake.videos = make_videos(120)
    assert run_sync(vapp).exit_code == 0
    new = FakeVideo(
        id="-newFilm_01",
        title="Entrepreneurial Discovery Workshop: Lombardia",
        description="First paragraph about the workshop.\n\nSecond <b>paragraph</b>.",
        tags=["EDP Workshop", "Clusters"],
        default_language="de-AT",
        published_at=datetime(2030, 1, 1, 9, 30, tzinfo=UTC),
    )
    fake.videos.insert(0, new)
    fake.reset_counts()

    result = run_sync(vapp)

    assert result.stdout == (
        "121 videos: 1 new, 120 updated, 0 unavailable; 5 quota units\n"
    )
    assert fake.calls["playlistItems"] == 1
    assert fake.calls["videos"] == 3
    item = videos(vapp)["-newFilm_01"]
    assert item.slug == "entrepreneurial-discovery-workshop-lombardia"
    assert item.translation == item.slug
    assert item.title == new.title
    assert item.summary == "First paragraph about the workshop."
    assert "Second &lt;b&gt;paragraph&lt;/b&gt;." in item.body_html
    assert [t.name for t in item.tags] == ["edp-workshop", "clusters"]
    assert item.language == "de"
    assert item.status == "published"
    assert item.published_at == datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
    assert item.channel_id == CHANNEL_ID
    assert item.duration == "PT4M13S"
    assert (item.view_count, item.like_count, item.comment_count) == (100, 10, 2)
    assert item.details["thumbnails"]["high"]["width"] == 480
    assert item.details["short"] is False
    assert item.video_type == "video"
    assert item.synced_at is not None


def test_refresh_brings_edited_titles_and_counts_of_old_videos(vapp, fake):
    fake.videos = make_videos(60)
    run_sync(vapp)
    oldest = fake.videos[-1]
    oldest.title, oldest.views, oldest.likes = "Renamed film", 99999, None
    run_sync(vapp)
    item = videos(vapp)[oldest.id]
    assert (item.title, item.view_count, item.like_count) == (
        "Renamed film",
        99999,
        None,
    )
    assert item.slug == "cluster-film-0"  # the URL stays stable


def test_video_turned_private_leaves_the_site_then_returns(vapp, fake, client):
    fake.videos = make_videos(3)
    run_sync(vapp)
    film = fake.videos[1]
    item_id = videos(vapp)[film.id].id
    film.privacy = "private"

    result = run_sync(vapp)

    assert result.stdout.startswith("3 videos: 0 new, 2 updated, 1 unavailable")
    item = videos(vapp)[film.id]
    assert (item.id, item.availability) == (item_id, "private")
    assert client.get(f"/videos/{item.slug}/").status_code == 404
    assert f"/videos/{item.slug}/" not in client.get("/videos/").get_data(as_text=True)

    film.privacy = "public"
    result = run_sync(vapp)
    assert result.stdout.startswith("3 videos: 0 new, 3 updated, 0 unavailable")
    item = videos(vapp)[film.id]
    assert (item.id, item.availability, item.privacy_status) == (
        item_id,
        "available",
        "public",
    )
    assert client.get(f"/videos/{item.slug}/").status_code == 200


@pytest.mark.parametrize(
    ("placeholders", "expected"), [(False, "private"), (True, "deleted")]
)
def test_deleted_video_is_marked_unavailable_never_removed(
    vapp, fake, placeholders, expected
):
    fake.videos = make_videos(3)
    run_sync(vapp)
    fake.videos[2].privacy = "deleted"
    fake.placeholders = placeholders
    result = run_sync(vapp, "--full")
    assert result.exit_code == 0
    assert "1 unavailable" in result.stdout
    item = videos(vapp)[fake.videos[2].id]
    assert item.availability == expected
    with vapp.extensions["comms"].sessionmaker() as session:
        shown = session.scalars(
            select(Item.youtube_id).where(visible(Item, datetime.now(UTC)))
        ).all()
    assert sorted(shown) == sorted(v.id for v in fake.videos[:2])
    fake.placeholders = False  # no new evidence: what was known is kept
    assert "1 unavailable" in run_sync(vapp).stdout
    assert videos(vapp)[fake.videos[2].id].availability == expected


def test_unlisted_video_is_kept_but_not_public(vapp, fake):
    fake.videos = make_videos(2)
    run_sync(vapp)
    fake.videos[0].privacy = "unlisted"
    run_sync(vapp)
    item = videos(vapp)[fake.videos[0].id]
    assert (item.privacy_status, item.availability) == ("unlisted", "private")


def test_sync_keeps_local_overrides_and_hidden(vapp, fake):
    fake.videos = make_videos(2)
    run_sync(vapp)
    film = fake.videos[0]
    with vapp.extensions["comms"].sessionmaker() as session:
        item = session.scalar(select(Item).where(Item.youtube_id == film.id))
        item.override_title = "Our title"
        item.override_summary = "Our summary"
        item.override_tags = ["our-tag"]
        item.hidden = True
        session.commit()
    film.title, film.description, film.tags = "Their title", "Their text", ["Theirs"]

    run_sync(vapp)

    item = videos(vapp)[film.id]
    assert (item.title, item.summary) == ("Their title", "Their text")
    assert (item.override_title, item.override_summary) == ("Our title", "Our summary")
    assert item.override_tags == ["our-tag"]
    assert item.hidden is True
    assert item.display_title == "Our title"
    assert item.tag_names == ["our-tag"]


def test_counts_alone_do_not_touch_updated_at(vapp, fake):
    fake.videos = make_videos(1)
    run_sync(vapp)
    before = videos(vapp)[fake.videos[0].id]
    fake.videos[0].views += 5
    run_sync(vapp)
    after = videos(vapp)[fake.videos[0].id]
    assert after.view_count == before.view_count + 5
    assert after.updated_at == before.updated_at
    assert after.synced_at >= before.synced_at


def test_titles_that_collide_get_unique_slugs(vapp, fake):
    fake.videos = make_videos(3)
    for v in fake.videos:
        v.title = "Cluster Film!"
    run_sync(vapp)
    slugs = sorted(i.slug for i in videos(vapp).values())
    assert slugs == ["cluster-film", "cluster-film-2", "cluster-film-3"]


def test_slug_avoids_an_existing_video_slug(vapp, fake, session):
    make_item(session, kind="video", slug="cluster-film-0", youtube_id="zzzzzzzzzzz")
    fake.videos = make_videos(1)
    run_sync(vapp)
    assert videos(vapp)[fake.videos[0].id].slug == "cluster-film-0-2"


def test_export_of_synced_videos_imports_unchanged(vapp, fake, tmp_path):
    fake.videos = make_videos(3)
    fake.videos[0].description = "# Not a heading\n1. not a list\n<i>x</i> & *y*"
    run_sync(vapp)
    state = vapp.extensions["comms"]
    with state.sessionmaker() as session:
        export_tree(session, state.store, tmp_path / "out")
    first = {p.name: p.read_bytes() for p in (tmp_path / "out" / "videos").iterdir()}
    with state.sessionmaker() as session:
        report = import_tree(session, state.store, tmp_path / "out")
        session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    with state.sessionmaker() as session:
        export_tree(session, state.store, tmp_path / "again")
    again = {p.name: p.read_bytes() for p in (tmp_path / "again" / "videos").iterdir()}
    assert again == first


def test_sync_changes_the_catalogue_stamp(vapp, fake):
    fake.videos = make_videos(2)
    before = snapshot(vapp)["stamp"]
    run_sync(vapp)
    assert snapshot(vapp)["stamp"] > before


def test_video_types_setting_filters_listings_in_sql(vapp, fake):
    from comms.kinds.video import listed

    fake.videos = make_videos(2)
    fake.videos[0].live, fake.videos[0].duration = "upcoming", "P0D"
    run_sync(vapp)
    types = vapp.extensions["comms"].settings.video_public_types
    with vapp.extensions["comms"].sessionmaker() as session:
        shown = session.scalars(
            select(Item.youtube_id).where(Item.kind == "video", listed(Item, types))
        ).all()
    assert shown == [fake.videos[1].id]
    assert videos(vapp)[fake.videos[0].id].video_type == "upcoming"
