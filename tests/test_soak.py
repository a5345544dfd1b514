"""Soak: two gunicorn workers under load during a video sync, import and publish."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from comms.catalogue.models import Item
from tests.conftest import CONTENT
from tests.test_cli import _free_port
from tests.videos.fake_youtube import API_KEY, HANDLE, THUMBNAIL, make_videos

SOAK_SECONDS = float(os.environ.get("COMMS_SOAK_SECONDS", "12"))
URLS = [
    "/",
    "/reports/",
    "/reports/policy-report/",
    "/videos/?tag=clusters",
    "/healthz",
]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _load(base: str, stop: threading.Event, failures: list[str], counter: list[int]):
    n = 0
    while not stop.is_set():
        url = base + URLS[n % len(URLS)]
        n += 1
        try:
            status, _ = _get(url)
        except OSError as exc:
            failures.append(f"{url}: {exc}")
            continue
        if status != 200:
            failures.append(f"{url}: HTTP {status}")
        counter.append(1)


@pytest.mark.slow
def test_two_workers_serve_without_errors_during_sync_import_and_publish(
    app, session, runner, tmp_path: Path, settings, fake
):
    fake.videos = make_videos(60)  # two pages of the uploads playlist
    content = tmp_path / "soak-content"
    shutil.copytree(CONTENT, content)
    assert runner.invoke(args=["import", str(content)]).exit_code == 0
    port = _free_port()
    env = {
        **os.environ,
        "COMMS_DATABASE_URL": settings.resolved_database_url,
        "COMMS_SECRET_KEY": "soak",
        "COMMS_CONTENT_DIR": str(content),
        "COMMS_INSTANCE_PATH": str(settings.instance_path),
        "COMMS_MEDIA_DIR": str(settings.resolved_media_dir),
        "COMMS_YOUTUBE_API_KEY": API_KEY,
        "COMMS_YOUTUBE_CHANNEL": HANDLE,
        "COMMS_YOUTUBE_API_ENDPOINT": fake.url,
        "COMMS_YOUTUBE_TIMEOUT": "5",
        # The sync below is this test's own: the worker `comms serve` starts beside
        # itself would otherwise sync the channel first, on its own schedule.
        "COMMS_VIDEO_SYNC_MINUTES": "0",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "comms",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    failures: list[str] = []
    counter: list[int] = []
    threads: list[threading.Thread] = []
    sync: subprocess.Popen[str] | None = None
    try:
        for _ in range(100):
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        threads = [
            threading.Thread(target=_load, args=(base, stop, failures, counter))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        time.sleep(SOAK_SECONDS / 3)
        # A video sync and an officer's import, each its own process, at the same
        # time, while the workers serve.
        sync = subprocess.Popen(
            [sys.executable, "-m", "comms", "videos", "sync"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        page = content / "press-releases" / "first-results.en.md"
        page.write_text(page.read_text().replace("first results", "first findings", 1))
        imported = subprocess.run(
            [sys.executable, "-m", "comms", "import", str(content)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert imported.returncode == 0, imported.stderr
        synced_out, synced_err = sync.communicate(timeout=60)
        assert sync.returncode == 0, synced_err
        # The demo videos are not on the fake channel: they count as unavailable.
        assert "60 new" in synced_out, synced_out
        # Every worker shows a synced video, and its thumbnail from the site.
        newest = fake.videos[0].title
        for _ in range(10):
            status, body = _get(base + "/videos/")
            assert status == 200
            assert newest.encode() in body
            status, body = _get(base + "/videos/cluster-film-59/thumbnail.jpg")
            assert (status, body) == (200, THUMBNAIL)
        # A publish: a draft goes live.
        draft = session.scalars(select(Item).where(Item.status == "draft")).first()
        assert draft is not None
        draft.status = "published"
        draft.published_at = draft.created_at
        session.commit()
        # Every worker shows it on the very next requests.
        for _ in range(10):
            status, body = _get(base + "/press-releases/")
            assert status == 200
            assert draft.title.encode() in body.replace(b"&#39;", b"'")
        time.sleep(SOAK_SECONDS / 3)
    finally:
        # Let in-flight requests finish before the server goes away.
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        if sync is not None and sync.poll() is None:
            sync.kill()
            sync.wait()
        server.terminate()
        server.wait(timeout=30)
    served = len(counter)
    assert served > 50, served
    assert failures == []
    assert b"database is locked" not in log.read_bytes()
