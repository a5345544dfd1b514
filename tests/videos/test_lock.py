"""One sync at a time: a second one is refused; a dead holder's lock is taken over."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from comms.videos.models import SyncRun
from comms.videos.service import sync_videos
from tests.videos.conftest import run_sync, runs
from tests.videos.fake_youtube import make_videos


def _running_run(app, pid):
    with app.extensions["comms"].sessionmaker() as session:
        session.add(
            SyncRun(
                started_at=datetime.now(UTC),
                running=1,
                outcome="running",
                host=socket.gethostname(),
                pid=pid,
            )
        )
        session.commit()


def test_second_sync_is_refused_while_one_runs(vapp, fake):
    fake.videos = make_videos(60)
    fake.fail("pause", on="videos", after=1)
    state = vapp.extensions["comms"]
    outcome = {}

    def first():
        outcome["report"] = sync_videos(
            state.sessionmaker,
            state.settings,
            state.store,
            default_language="en",
        )

    thread = threading.Thread(target=first)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while fake.calls["videos"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        units = fake.units
        second = run_sync(vapp)
        assert second.exit_code == 12
        assert second.stderr.startswith("Error: another video sync is running (run ")
        assert fake.units == units  # refused before spending any quota
    finally:
        fake.release.set()
        thread.join(10)
    assert outcome["report"].new == 60
    assert [r.outcome for r in runs(vapp)] == ["ok"]


def test_sync_refused_when_a_live_process_holds_the_lock(vapp, fake):
    _running_run(vapp, os.getpid())
    result = run_sync(vapp)
    assert result.exit_code == 12
    assert f"by process {os.getpid()}" in result.stderr
    assert fake.units == 0


def test_lock_of_a_dead_process_is_taken_over(vapp, fake):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _running_run(vapp, dead.pid)
    fake.videos = make_videos(2)
    result = run_sync(vapp)
    assert result.exit_code == 0, result.output
    newest, abandoned = runs(vapp)
    assert (newest.outcome, newest.running) == ("ok", None)
    assert abandoned.outcome == "failed"
    assert abandoned.error.startswith("abandoned")


def test_status_prints_the_last_runs(vapp, fake):
    runner = vapp.test_cli_runner()
    assert runner.invoke(args=["videos", "status"]).stdout == (
        "no video sync has run yet\n"
    )
    fake.videos = make_videos(2)
    run_sync(vapp)
    fake.fail("quota", on="videos")
    run_sync(vapp, "--full")
    lines = runner.invoke(args=["videos", "status"]).stdout.splitlines()
    assert len(lines) == 2
    assert " full failed in " in lines[0]
    assert "quota units; the YouTube API daily quota is used up" in lines[0]
    assert re.fullmatch(
        r"#1 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC incremental ok in \d+\.\d s: "
        r"2 videos: 2 new, 0 updated, 0 unavailable; 3 quota units",
        lines[1],
    )
