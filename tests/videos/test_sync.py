# ruff: noqa: E501  (tables of examples read best one a line)
"""The pure core: parsing, text, slugs, types and the merge plan."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from comms.config import Settings
from comms.errors import ConfigMissing
from comms.kinds.video import is_listed
from comms.rendering import render_markdown
from comms.videos import sync
from comms.videos.errors import MalformedResponse, YouTubeConfigMissing
from comms.videos.youtube import channel_lookup


def resource(**snippet_extra):
    snippet = {
        "publishedAt": "2024-05-01T09:30:00.000Z",
        "channelId": "UCtestchannel000000000A1",
        "title": "A film",
        "description": "Text",
        "thumbnails": {
            "default": {
                "url": "https://i.ytimg.com/vi/x/default.jpg",
                "width": 120,
                "height": 90,
            }
        },
        "liveBroadcastContent": "none",
    }
    snippet.update(snippet_extra)
    return {
        "id": "-abcdefghij",
        "snippet": snippet,
        "contentDetails": {"duration": "PT35S"},
        "statistics": {"viewCount": "12", "favoriteCount": "0"},
        "status": {"privacyStatus": "public", "uploadStatus": "processed"},
    }


def test_parse_video_accepts_missing_tags_likes_and_fractional_times():
    video = sync.parse_video(resource())
    assert video.tags == ()
    assert (video.view_count, video.like_count, video.comment_count) == (12, None, None)
    assert video.published_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert video.seconds == 35


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "short"},
        {"snippet": None},
        {"snippet": {"title": "x"}},
        {"statistics": {"viewCount": "many"}},
        {"snippet": {"title": "x", "publishedAt": "yesterday"}},
    ],
)
def test_parse_video_rejects_malformed_items(broken):
    data = resource()
    data.update(broken)
    with pytest.raises(MalformedResponse):
        sync.parse_video(data)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT4M13S", 253),
        ("PT5M", 300),
        ("PT1H", 3600),
        ("P1DT2H3M4S", 93784),
        ("P0D", 0),
        ("nonsense", None),
    ],
)
def test_duration_seconds(value, seconds):
    assert sync.duration_seconds(value) == seconds


def test_description_is_escaped_markdown_rendering_to_the_same_text():
    text = "# Not a heading\n1. not a list\n- nor this\n<b>raw</b> & *stars* _under_ [x](y)\n\nSee https://example.org/a_b?c=1&d=2."
    html = render_markdown(sync.markdown_escape(text))
    assert "<h1" not in html and "<ol" not in html and "<ul" not in html
    assert "<b>" not in html and "<em>" not in html
    assert '<a href="https://example.org/a_b?c=1&amp;d=2"' in html
    visible = unescape(re.sub(r"<[^>]+>", "", html))
    assert visible.split() == text.split()


def test_summary_is_the_first_paragraph_cut_near_300_characters():
    assert (
        sync.summary_of("First  line\nsame paragraph.\n\nSecond.")
        == "First line same paragraph."
    )
    long = sync.summary_of("word " * 200)
    assert len(long) <= 300 and long.endswith("…")


def test_slugs_come_from_titles_and_stay_unique():
    taken = {"cluster-film"}
    assert sync.unique_slug("Cluster Film", taken) == "cluster-film-2"
    assert (
        sync.unique_slug("Čezmejni grozdi: Ljubljana", taken)
        == "cezmejni-grozdi-ljubljana"
    )
    assert sync.unique_slug("日本語", taken) == "video"
    assert sync.tag_slugs(["Smart Specialisation", "smart specialisation", "!!"]) == (
        "smart-specialisation",
    )


@pytest.mark.parametrize(
    ("changes", "previous", "expected"),
    [
        ({}, None, "video"),
        ({"description": "Quick look #shorts"}, None, "short"),
        ({"thumbnails": {"shortsAspectRatio": {"url": "u"}}}, None, "short"),
        ({"liveBroadcastContent": "live"}, None, "live"),
        ({"liveBroadcastContent": "upcoming", "duration": "P0D"}, None, "upcoming"),
        ({"liveBroadcastContent": "upcoming"}, None, "premiere"),
        ({"live": True}, None, "stream"),
        ({"live": True}, "premiere", "video"),
    ],
)
def test_video_types(changes, previous, expected):
    data = resource()
    if changes.pop("live", False):
        data["liveStreamingDetails"] = {"actualStartTime": "2024-05-01T09:30:00Z"}
    if "duration" in changes:
        data["contentDetails"]["duration"] = changes.pop("duration")
    data["snippet"].update(changes)
    assert sync.video_type(sync.parse_video(data), previous) == expected


def test_language_is_the_primary_subtag_else_the_site_default():
    assert (
        sync.language_of(sync.parse_video(resource(defaultLanguage="de-AT")), "en")
        == "de"
    )
    assert sync.language_of(sync.parse_video(resource()), "it") == "it"


def test_plan_marks_vanished_known_ids_and_skips_vanished_new_ones():
    present = sync.parse_video(resource())
    plan = sync.plan_batch(
        ["-abcdefghij", "known000001", "known000002", "unknown0001"],
        {"-abcdefghij": present},
        {"known000001", "known000002"},
        {"known000002": "deleted"},
    )
    assert plan.create == (present,)
    assert plan.update == ()
    assert plan.gone == (("known000001", "private"), ("known000002", "deleted"))


@pytest.mark.parametrize(
    ("count", "full", "units"),
    [
        (0, True, 1),
        (1, True, 3),
        (50, True, 3),
        (51, True, 5),
        (120, True, 7),
        (120, False, 5),
        (0, False, 1),
    ],
)
def test_minimum_quota(count, full, units):
    assert sync.minimum_quota(count, full=full) == units


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("@alpclusters", ("forHandle", "@alpclusters")),
        ("alpclusters", ("forHandle", "@alpclusters")),
        ("UCtestchannel000000000A1", ("id", "UCtestchannel000000000A1")),
        ("https://www.youtube.com/@alpclusters", ("forHandle", "@alpclusters")),
        (
            "https://www.youtube.com/channel/UCtestchannel000000000A1",
            ("id", "UCtestchannel000000000A1"),
        ),
    ],
)
def test_channel_lookup(value, expected):
    assert channel_lookup(value) == expected


def test_channel_lookup_rejects_garbage():
    with pytest.raises(YouTubeConfigMissing):
        channel_lookup("two words")


def test_public_video_types_setting():
    assert Settings.from_env({}).video_public_types == (
        "video",
        "short",
        "live",
        "stream",
    )
    chosen = Settings.from_env({"COMMS_VIDEO_PUBLIC_TYPES": "video, premiere"})
    assert chosen.video_public_types == ("video", "premiere")
    with pytest.raises(ConfigMissing, match="COMMS_VIDEO_PUBLIC_TYPES"):
        Settings.from_env({"COMMS_VIDEO_PUBLIC_TYPES": "video,reels"})


def test_listed_types():
    class Row:
        kind, video_type = "video", "upcoming"

    assert not is_listed(Row(), ("video",))
    assert is_listed(Row(), ("video", "upcoming"))
