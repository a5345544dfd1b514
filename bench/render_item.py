"""In-process render time of an uncached item page (issue 19, goal 3).

Builds a catalogue (100,000 items by default), then asks the app's test client
for item pages it never served before (each a cache miss: the page is built,
stored and sent, as for a visitor), one at a time, and prints the median and p99
time per page. The first pages warm the process (templates compiled, statement
caches filled) and are not counted. ``--profile`` runs the measured pages under
cProfile and prints where the time goes.

    .venv/bin/python bench/render_item.py
    .venv/bin/python bench/render_item.py --items 10000 --pages 300 --profile
    .venv/bin/python bench/render_item.py --database postgresql
    .venv/bin/python bench/render_item.py --keep /tmp/render-100k.sqlite3

``--keep`` builds the SQLite catalogue in that file on the first run and reuses it
on the next ones (the same ``--items``; delete the file after a schema change).

PostgreSQL: COMMS_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@
127.0.0.1:5432/test), in a schema of its own that it drops afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._common import DEFAULT_PG_URL, REPO, fill_catalogue, machine, pg_schema  # noqa: E402
from bench.long_tail import item_paths  # noqa: E402
from comms import create_app  # noqa: E402
from comms.config import Settings  # noqa: E402
from comms.db import init_db  # noqa: E402

TARGET_MS = 2.0
WARMUP_PAGES = 100


@contextmanager
def database(kind: str, keep: Path | None) -> Iterator[str]:
    """A URL of an empty database of ``kind``, removed afterwards (``keep``: not)."""
    if kind == "sqlite" and keep is not None:
        yield f"sqlite:///{keep}"
    elif kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'render.sqlite3'}"
    else:
        base = os.environ.get("COMMS_BENCH_DATABASE_URL", DEFAULT_PG_URL)
        with pg_schema(base, "bench_render") as url:
            yield url


def main() -> None:
    """Build the catalogue, time uncached item pages, print median and p99."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=1_000)
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default="sqlite"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--keep",
        type=Path,
        help="SQLite file to keep the catalogue in and reuse on the next run",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    reuse = args.keep is not None and args.keep.exists()
    with (
        database(args.database, args.keep) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        app = create_app(
            Settings(
                instance_path=Path(tmp) / "instance",
                database_url=url,
                secret_key="bench",
                content_dir=REPO / "content",
                counting=False,  # the time of a page, not of the visit counter
            )
        )
        engine = app.extensions["comms"].engine
        if not reuse:
            init_db(engine)
            started = time.perf_counter()
            fill_catalogue(engine, args.items)
            print(f"catalogue built in {time.perf_counter() - started:.0f} s")
        analyse = "VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE"
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(analyse))
        paths = item_paths(args.items, WARMUP_PAGES + args.pages)
        client = app.test_client()
        for path in paths[:WARMUP_PAGES]:
            assert client.get(path).status_code == 200, path
        profile = cProfile.Profile() if args.profile else None
        times = []
        cpu_times = []
        for path in paths[WARMUP_PAGES:]:
            if profile is not None:
                profile.enable()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
            if profile is not None:
                profile.disable()
            assert response.status_code == 200, path
        engine.dispose()
    times.sort()
    median = statistics.median(times)
    p99 = times[int(len(times) * 0.99) - 1]
    print(
        f"uncached item page, {args.database}, {args.items:,} items, "
        f"{len(times)} pages: median {median:.2f} ms, p99 {p99:.2f} ms "
        f"[median <= {TARGET_MS} ms: {'met' if median <= TARGET_MS else 'MISSED'}]"
        + (" (under cProfile: slower)" if profile else "")
    )
    # On a shared machine the wall time includes waiting for a core; the process's
    # CPU time does not.
    cpu = statistics.median(cpu_times)
    print(f"CPU time of the process per page: median {cpu:.2f} ms")
    if profile is not None:
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_callees("build")


if __name__ == "__main__":
    main()
