"""Video sync benchmark: a 5,000-video channel served by the local fake YouTube.

Prints the time, the peak Python memory (tracemalloc) and the quota units of a
full and of a no-change sync, next to the minimum quota (1 + 2 x ceil(N/50) full,
1 + 1 + ceil(N/50) with nothing new) and the 30 s target of a full sync. The fake
runs in its own process, so its memory is not counted. Memory is also measured
on a smaller channel, to show how it grows with the number of stored rows.

    .venv/bin/python bench/videos.py [--videos 5000] [--small 1000]
    COMMS_BENCH_DATABASE_URL=postgresql+psycopg://... to run on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, fresh_app, machine  # noqa: E402
from comms.videos.service import SyncReport, sync_videos  # noqa: E402
from comms.videos.sync import minimum_quota  # noqa: E402
from tests.videos.fake_youtube import API_KEY, HANDLE  # noqa: E402

TARGET_FULL_SECONDS = 30.0


@contextmanager
def fake_channel(videos: int) -> Iterator[str]:
    """The fake YouTube in a child process; yields its root URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.videos.fake_youtube", "--videos", str(videos)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


def app_on_fake(workdir: Path, endpoint: str) -> Any:
    """An app on an empty database pointed at the fake."""
    url = os.environ.get("COMMS_BENCH_DATABASE_URL", "")
    workdir.mkdir(parents=True)
    return fresh_app(
        workdir / "instance",
        url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        media_dir=workdir / "media",
        youtube_api_key=API_KEY,
        youtube_channel=HANDLE,
        youtube_api_endpoint=endpoint,
    )


def timed_sync(app: Any, *, full: bool, trace: bool) -> tuple[SyncReport, float, int]:
    """One sync: its report, seconds, and peak traced bytes (0 when not traced)."""
    state = app.extensions["comms"]
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    report = sync_videos(
        state.sessionmaker,
        state.settings,
        state.store,
        default_language="en",
        full=full,
    )
    seconds = time.perf_counter() - started
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return report, seconds, peak


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=5000)
    parser.add_argument("--small", type=int, default=1000)
    args = parser.parse_args()
    n = args.videos
    db = "PostgreSQL" if os.environ.get("COMMS_BENCH_DATABASE_URL") else "SQLite"
    print(f"machine: {machine()}")
    print(f"database: {db}; channel of {n:,} videos from the local fake")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with fake_channel(n) as endpoint:
            app = app_on_fake(root / "timed", endpoint)
            full, full_s, _ = timed_sync(app, full=True, trace=False)
            quiet, quiet_s, _ = timed_sync(app, full=False, trace=False)
            _, _, quiet_peak = timed_sync(app, full=False, trace=True)
            app.extensions["comms"].engine.dispose()
            traced = app_on_fake(root / "traced", endpoint)
            _, _, full_peak = timed_sync(traced, full=True, trace=True)
            traced.extensions["comms"].engine.dispose()
        with fake_channel(args.small) as endpoint:
            small = app_on_fake(root / "small", endpoint)
            _, _, small_peak = timed_sync(small, full=True, trace=True)
            small.extensions["comms"].engine.dispose()

    full_min = minimum_quota(n, full=True)
    quiet_min = minimum_quota(n, full=False)
    mb = 1024 * 1024
    print(
        f"full sync:      {full_s:6.1f} s ({full_s / TARGET_FULL_SECONDS:.2f} x the "
        f"30 s target), peak {full_peak / mb:5.1f} MB, {full.quota_units} quota "
        f"units (minimum {full_min}, ratio {full.quota_units / full_min:.2f})"
    )
    print(
        f"no-change sync: {quiet_s:6.1f} s, peak {quiet_peak / mb:5.1f} MB, "
        f"{quiet.quota_units} quota units (minimum {quiet_min}, "
        f"ratio {quiet.quota_units / quiet_min:.2f})"
    )
    per_video = (full_peak - small_peak) / max(1, n - args.small)
    print(
        f"memory: full sync of {args.small:,} videos peaks at {small_peak / mb:.1f} "
        f"MB, of {n:,} at {full_peak / mb:.1f} MB: {per_video / 1024:.2f} KB a "
        "further video"
    )
    print(f"summary lines: {full.line()} | {quiet.line()}")
    ok = (
        full.quota_units == full_min
        and quiet.quota_units == quiet_min
        and full_s < TARGET_FULL_SECONDS
    )
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
