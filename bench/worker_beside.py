"""Does `comms worker` running beside the web server cost the site anything?

bench/serve.py's `/` and item page on SQLite under gunicorn (2 sync workers), loaded
with wrk in alternating rounds A B A B...: A without a worker, B with an idle
`comms worker` (default SQLite queue, its checks of each minute on) on the same
database and instance folder. The machine may be shared: every round is printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._common import (  # noqa: E402
    REPO,
    fill_catalogue,
    gunicorn_process,
    machine,
    wrk,
)
from bench.serve import URLS, WARMUP_SECONDS  # noqa: E402
from comms import create_app  # noqa: E402
from comms.config import Settings  # noqa: E402
from comms.db import init_db  # noqa: E402

NAMES = ("/", "item page")


@contextmanager
def worker(env: dict[str, str]) -> Iterator[None]:
    """An idle `comms worker` on the site's database, stopped (SIGINT) at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "comms", "worker"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)  # started, its first checks run
    try:
        assert proc.poll() is None, "the worker did not start"
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def main() -> None:
    """Alternate rounds without and with a worker; print every figure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of A B rounds")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'serve.sqlite3'}"
        instance = work / "instance"
        app = create_app(
            Settings(
                instance_path=instance, database_url=db_url, secret_key="bench",
                content_dir=REPO / "content", counting=False,
            )
        )  # fmt: skip
        engine = app.extensions["comms"].engine
        init_db(engine)
        fill_catalogue(engine, args.items)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(instance),
            "COMMS_COUNTING": "0",
        }
        figures: dict[tuple[str, str], list[float]] = {}
        for n in range(args.rounds * 2):
            label = "B with worker" if n % 2 else "A no worker"
            with gunicorn_process("comms:create_app()", env, 2) as (base, _pid):
                beside = worker(env) if n % 2 else _nothing()
                with beside:
                    for name in NAMES:
                        wrk(base + URLS[name], WARMUP_SECONDS)
                    for name in NAMES:
                        r = wrk(base + URLS[name], args.seconds)
                        figures.setdefault((label, name), []).append(r["rps"])
                        print(
                            f"round {n + 1} {label}: {name}: {r['rps']:,.0f} req/s, "
                            f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms",
                            flush=True,
                        )
    print(f"\nsummary (load average now {os.getloadavg()[0]:.1f}):")
    for name in NAMES:
        a = figures[("A no worker", name)]
        b = figures[("B with worker", name)]
        print(
            f"  {name}: without {', '.join(f'{x:,.0f}' for x in a)} req/s; "
            f"with {', '.join(f'{x:,.0f}' for x in b)} req/s; "
            f"ratio of means {sum(b) / len(b) / (sum(a) / len(a)):.2f}"
        )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    main()
