"""Newsletter benchmark: send one issue to 10,000 subscribers through a local sink.

Prints messages/s and the sender's peak memory (max RSS) for 2,000 and for 10,000
subscribers (target: >= 200 messages/s, memory flat in the number of subscribers),
next to the baseline: bare smtplib sending one pre-built message over one
connection to the same sink (no database, no rendering, no records).

Each size runs in a fresh process (`comms newsletter send` in-process, so the max
RSS is the sender's alone); the SMTP sink (aiosmtpd) runs in its own process.

    .venv/bin/python bench/newsletter.py [--sizes 2000,10000]
    COMMS_BENCH_DATABASE_URL=postgresql+psycopg://... to run on PostgreSQL
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, free_port, machine  # noqa: E402

ISSUE = "newsletter-1"


def sink(port: int) -> None:
    """An SMTP server that accepts and counts every message (runs until killed)."""
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Count.n += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _database_url(folder: Path, size: int) -> str:
    base = os.environ.get("COMMS_BENCH_DATABASE_URL")
    if not base:
        return f"sqlite:///{folder / f'bench-{size}.sqlite3'}"
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(base).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def prepare(env: dict[str, str], size: int) -> None:
    """Create the schema, import the demo content, add ``size`` subscribers."""
    from sqlalchemy import insert

    from comms import create_app
    from comms.cli import run_import
    from comms.config import Settings
    from comms.db import init_db
    from comms.newsletter.models import Subscriber

    app = create_app(Settings.from_env(env))
    engine = app.extensions["comms"].engine
    init_db(engine)
    run_import(app, REPO / "content", keep_going=False)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, size, 5000):
            conn.execute(
                insert(Subscriber),
                [
                    {
                        "key": f"k{n:010d}",
                        "email": f"reader{n}@example.net",
                        "language": "de" if n % 3 == 0 else "en",
                        "topics": [],
                        "regions": [],
                        "status": "confirmed",
                        "source": "bench",
                        "nonce": f"n{n}",
                        "created_at": now,
                        "confirmed_at": now,
                        "bounce_count": 0,
                    }
                    for n in range(start, min(start + 5000, size))
                ],
            )
    engine.dispose()


def child() -> None:
    """Run `comms newsletter send` in this process; print time and max RSS."""
    from comms.cli import main

    started = time.perf_counter()
    main(["newsletter", "send", ISSUE], standalone_mode=False)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "max_rss_mib": peak_kib / 1024}))


def baseline(port: int, count: int) -> float:
    """Messages/s of bare smtplib over one connection (one pre-built message)."""
    body = b"A line of newsletter text, as long as a usual line of mail.\r\n" * 150
    data = b"Subject: baseline\r\nFrom: a@example.org\r\n\r\n" + body
    with smtplib.SMTP("127.0.0.1", port) as conn:
        started = time.perf_counter()
        for n in range(count):
            conn.sendmail("news@example.org", [f"base{n}@example.net"], data)
        return count / (time.perf_counter() - started)


def main() -> None:
    """Run every size and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    if args.sink:
        sink(args.sink)
        return
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    server.stdout.readline()
    print(machine())
    try:
        base_rate = baseline(port, 2000)
        print(f"baseline (bare smtplib, one connection): {base_rate:,.0f} messages/s")
        with tempfile.TemporaryDirectory() as tmp:
            for size in [int(s) for s in args.sizes.split(",")]:
                env = {
                    **os.environ,
                    "COMMS_DATABASE_URL": _database_url(Path(tmp), size),
                    "COMMS_INSTANCE_PATH": str(Path(tmp) / "instance"),
                    "COMMS_SECRET_KEY": "bench",
                    "COMMS_CONTENT_DIR": str(REPO / "content"),
                    "COMMS_SMTP_URL": f"smtp://127.0.0.1:{port}",
                    "COMMS_MAIL_FROM": "Bench <news@example.org>",
                    "COMMS_MAIL_RATE": "100000",
                    "COMMS_SITE_URL": "https://news.example.org",
                }
                prepare(env, size)
                run = subprocess.run(
                    [sys.executable, __file__, "--child"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                lines = run.stdout.strip().splitlines()
                figures = json.loads(lines[-1])
                rate = size / figures["seconds"]
                print(
                    f"{size:>6} subscribers: {rate:,.0f} messages/s "
                    f"({figures['seconds']:.1f} s; target >= 200; "
                    f"{rate / base_rate:.2f}x baseline), "
                    f"peak memory {figures['max_rss_mib']:.0f} MiB  [{lines[0]}]"
                )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
