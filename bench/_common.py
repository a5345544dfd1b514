"""Shared bench helpers: building large catalogues, gunicorn, wrk and the baseline."""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, insert, text

from comms.catalogue.models import Item, ItemRegion, ItemTag

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TAGS = ["clusters", "smart-specialisation", "innovation", "policy", "digital", "energy"]
REGIONS = ["lombardia", "bayern", "slovenija", "piemonte", "veneto", "trentino"]
KINDS = ["press_release", "report", "video", "event"]


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def fill_catalogue(engine: Engine, count: int, batch: int = 5000) -> None:
    """Insert ``count`` published items of every kind (fast, core inserts)."""
    start = datetime(2015, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    item_table = Item.__table__
    with engine.begin() as conn:
        for offset in range(0, count, batch):
            rows = []
            tags = []
            regions = []
            for n in range(offset, min(offset + batch, count)):
                kind = KINDS[n % 4]
                rows.append(
                    {
                        "id": n + 1,
                        "uid": f"00000000-0000-4000-8000-{n:012d}",
                        "kind": kind,
                        "slug": f"item-{n}",
                        "language": "en",
                        "translation": f"item-{n}",
                        "title": f"Catalogue item number {n}",
                        "summary": "A summary of one catalogue entry. " * 3,
                        "body": "Body text. " * 80,
                        "body_html": "<p>" + "Body text. " * 80 + "</p>",
                        "status": "published" if n % 50 else "draft",
                        "published_at": start + timedelta(minutes=n * 30),
                        "created_at": now,
                        "updated_at": now,
                        "author": "Project team",
                        "demo": True,
                        "version": 1,
                        "details": {},
                        "hidden": False,
                        "youtube_id": f"v{n:010d}" if kind == "video" else None,
                        "availability": "available" if kind == "video" else None,
                    }
                )
                tags.append(
                    {"item_id": n + 1, "name": TAGS[(n // 4) % 6], "position": 0}
                )
                regions.append(
                    {"item_id": n + 1, "name": REGIONS[(n // 24) % 6], "position": 0}
                )
            conn.execute(insert(item_table), rows)
            conn.execute(insert(ItemTag.__table__), tags)
            conn.execute(insert(ItemRegion.__table__), regions)


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def reset_public_schema(url: str) -> None:
    """Empty PostgreSQL's ``public`` schema at ``url`` (a database for benches)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_app(instance: Path, database_url: str, **settings: Any) -> Flask:
    """An app whose schema is created on an empty database.

    ``database_url`` "" is the SQLite file in ``instance``; a PostgreSQL URL has its
    ``public`` schema reset first. ``settings`` override the other Settings fields.
    """
    from comms import create_app
    from comms.config import Settings
    from comms.db import init_db

    if database_url.startswith("postgresql"):
        reset_public_schema(database_url)
    settings.setdefault("content_dir", REPO / "content")
    app = create_app(
        Settings(
            instance_path=instance,
            database_url=database_url,
            secret_key="bench",
            **settings,
        )
    )
    init_db(app.extensions["comms"].engine)
    return app


def build_catalogue(database_url: str, instance: Path, items: int) -> None:
    """A catalogue of ``items`` generated items in ``database_url``, analysed (on
    PostgreSQL the item ids' sequence is moved past the ids it was given)."""
    from comms import create_app
    from comms.config import Settings
    from comms.db import init_db

    app = create_app(
        Settings(
            instance_path=instance,
            database_url=database_url,
            secret_key="bench",
            content_dir=REPO / "content",
            counting=False,
        )
    )
    engine = app.extensions["comms"].engine
    init_db(engine)
    fill_catalogue(engine, items)
    settle(engine)
    engine.dispose()


def settle(engine: Engine) -> None:
    """After `fill_catalogue`: on PostgreSQL the item ids' sequence moved past
    the ids it gave; the tables analysed."""
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        with engine.begin() as conn:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('item', 'id'), max(id))"
                     " FROM item")
            )  # fmt: skip
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if postgres else "ANALYZE")
        )


@contextmanager
def pg_schema(base_url: str, name: str) -> Iterator[str]:
    """A fresh PostgreSQL schema ``name`` (dropped afterwards); yield a URL using it."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        admin.dispose()


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn_process(
    app_spec: str, env: dict[str, str], workers: int = 2, port: int = 0
) -> Iterator[tuple[str, int]]:
    """Run ``app_spec`` under gunicorn (on ``port``, else a free one); yield its
    base URL and the master's pid."""
    port = port or free_port()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
            f"127.0.0.1:{port}", "--log-level", "warning", app_spec,
        ],
        env={**os.environ, **env},
        cwd=BENCH,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], workers: int = 2, port: int = 0
) -> Iterator[str]:
    """Run ``app_spec`` under gunicorn (on ``port``, else a free one); yield its URL."""
    with gunicorn_process(app_spec, env, workers, port) as (base, _pid):
        yield base


def wrk(
    url: str,
    seconds: int = 10,
    connections: int = 32,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> dict[str, float]:
    """Load ``url`` with wrk (optional ``headers``, Lua ``script``): rps, p50, p99."""
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    header_args = [f"-H{name}: {value}" for name, value in (headers or {}).items()]
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(
        [*command, *header_args, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m is None:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else float("nan"),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }
