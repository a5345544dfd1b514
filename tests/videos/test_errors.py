# ruff: noqa: E501  (the fault table reads best one case a line)
"""Every fault: one stderr line, its own exit status, the catalogue unchanged."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from comms.catalogue.models import Item
from tests.factories import make_item
from tests.videos.conftest import run_sync, runs, snapshot, videos
from tests.videos.fake_youtube import KEY_OLD, FakeVideo, make_videos


@dataclass
class Case:
    """One fault and what the user must see."""

    name: str
    exit_code: int
    phrase: str
    fail: tuple[str, str | None, int] | None = None  # mode, endpoint, after
    settings: dict[str, Any] | None = None
    key_error: dict[str, Any] | None = None


CASES = [
    Case("missing key", 3, "COMMS_YOUTUBE_API_KEY is not set", settings={"youtube_api_key": None}),
    Case("missing channel", 3, "COMMS_YOUTUBE_CHANNEL is not set", settings={"youtube_channel": None}),
    Case("bad channel value", 3, "must be an @handle", settings={"youtube_channel": "not a channel!"}),
    Case("invalid key (API_KEY_INVALID)", 4, "YouTube rejected the API key", settings={"youtube_api_key": "wrong"}),
    Case("invalid key (keyInvalid)", 4, "YouTube rejected the API key", settings={"youtube_api_key": "wrong"}, key_error=KEY_OLD),
    Case("channel not found (200, no items)", 5, "no YouTube channel @nobody", settings={"youtube_channel": "@nobody"}),
    Case("channel not found (404)", 5, "no YouTube channel found", fail=("channel_404", "channels", 0)),
    Case("quota exceeded", 6, "resets at midnight Pacific time", fail=("quota", "videos", 1)),
    Case("daily limit exceeded", 6, "resets at midnight Pacific time", fail=("daily", "playlistItems", 0)),
    Case("5xx after retries", 7, "after 4 attempts", fail=("server", "videos", 1)),
    Case("HTML 502 after retries", 7, "HTTP 502", fail=("html502", "channels", 0)),
    Case("connection reset after retries", 7, "unreachable", fail=("reset", "videos", 0)),
    Case("rate limit after retries", 7, "rateLimitExceeded", fail=("rate", "videos", 0)),
    Case("timeout", 8, "did not answer videos.list within 2 s", fail=("hang", "videos", 1), settings={"youtube_timeout": 2}),
    Case("broken JSON", 9, "malformed response to videos.list", fail=("broken_json", "videos", 1)),
    Case("malformed JSON", 9, "items are not videos", fail=("malformed", "videos", 0)),
    Case("uploads playlist gone", 11, "uploads playlist was not found", fail=("playlist_404", "playlistItems", 0)),
]  # fmt: skip


def test_every_fault_leaves_the_catalogue_unchanged_and_records_the_run(
    vapp, yt_settings, make_app, fake
):
    fake.videos = make_videos(60)
    assert run_sync(vapp).exit_code == 0
    # What a good sync would now change: a renamed, a new and a private video.
    fake.videos[-1].title = "Renamed on YouTube"
    fake.videos.insert(
        0,
        FakeVideo(
            id="brandNew001", title="New", published_at=fake.videos[0].published_at
        ),
    )
    fake.videos[5].privacy = "private"
    before = snapshot(vapp)

    for case in CASES:
        fake.failures.clear()
        fake.reset_counts()
        fake.key_error = case.key_error or fake.key_error
        if case.fail:
            mode, endpoint, after = case.fail
            fake.fail(mode, on=endpoint, after=after)
        app = make_app(replace(yt_settings, **case.settings)) if case.settings else vapp

        result = run_sync(app)

        assert result.exit_code == case.exit_code, (case.name, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and case.phrase in lines[0], (case.name, lines)
        assert snapshot(vapp) == before, case.name
        last = runs(vapp)[0]
        assert (last.outcome, last.running) == ("failed", None), case.name
        assert case.phrase in (last.error or ""), case.name
        assert last.finished_at is not None
        if case.exit_code == 3:
            assert last.quota_units == 0 and fake.units == 0, case.name
        elif case.fail is None or case.fail[0] not in ("reset", "hang"):
            assert last.quota_units == fake.units >= 1, case.name

    fake.failures.clear()
    result = run_sync(vapp)
    assert result.stdout.startswith("61 videos: 1 new, 59 updated, 1 unavailable")
    assert videos(vapp)[fake.videos[-1].id].title == "Renamed on YouTube"


def test_server_errors_are_retried_then_the_sync_succeeds(vapp, fake):
    fake.videos = make_videos(10)
    fake.fail("server", on="videos", times=2)
    result = run_sync(vapp)
    assert result.exit_code == 0, result.output
    assert fake.calls["videos"] == 3
    assert (
        result.stdout == "10 videos: 10 new, 0 updated, 0 unavailable; 5 quota units\n"
    )


def test_connection_reset_is_retried(vapp, fake):
    fake.videos = make_videos(10)
    fake.fail("reset", on="channels", times=2)
    result = run_sync(vapp)
    assert result.exit_code == 0, result.output
    assert len(videos(vapp)) == 10


def test_failure_while_writing_rolls_back_every_batch(vapp, fake, session):
    fake.videos = make_videos(120)
    clash = fake.videos[-1].id  # in the last batch: earlier batches are flushed first
    make_item(session, kind="press_release", youtube_id=clash, slug="clash")
    before = snapshot(vapp)

    result = run_sync(vapp)

    assert result.exit_code == 13, result.output
    assert "nothing was changed" in result.stderr
    assert snapshot(vapp) == before
    assert runs(vapp)[0].outcome == "failed"
    with vapp.extensions["comms"].sessionmaker() as check:
        assert check.get(Item, before_id(before, "clash")).kind == "press_release"


def before_id(snap: dict[str, Any], slug: str) -> int:
    """The id of the item with this slug in a snapshot."""
    return next(row["id"] for row in snap["items"].values() if row["slug"] == slug)
