"""Soak: two gunicorn workers under load while an import and a publish run."""

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
def test_two_workers_serve_without_errors_during_import_and_publish(
    app, session, runner, tmp_path: Path, settings
):
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
        # An officer's import, as a separate process, while the workers serve.
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
        server.terminate()
        server.wait(timeout=30)
    served = len(counter)
    assert served > 50, served
    assert failures == []
    assert b"database is locked" not in log.read_bytes()
