"""Static export benchmark: `comms static export` of a 100,000-item catalogue.

Builds the catalogue (bench/_common.fill_catalogue), exports the whole public site
into an empty folder and prints the time (target < 5 minutes for 100,000 items), the
files written and the peak memory; then exports again with nothing changed (target:
nothing rewritten) and prints that time too.

    .venv/bin/python bench/static_export.py [--items 100000] [--database sqlite]
    .venv/bin/python bench/static_export.py --items 5000      # a quick look

PostgreSQL (--database postgresql): COMMS_BENCH_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test), in its own schema, dropped after.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._common import (  # noqa: E402
    DEFAULT_PG_URL,
    REPO,
    fill_catalogue,
    machine,
    pg_schema,
)
from comms import create_app  # noqa: E402
from comms.config import Settings  # noqa: E402
from comms.db import init_db  # noqa: E402
from comms.static_export import export_site  # noqa: E402

TARGET_SECONDS = 300


def run(db_url: str, items: int, workers: int) -> None:
    """Build the catalogue in ``db_url``, export twice, print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = create_app(
            Settings(
                instance_path=work / "instance",
                database_url=db_url,
                secret_key="bench",
                content_dir=REPO / "content",
                counting=False,
            )
        )
        engine = app.extensions["comms"].engine
        init_db(engine)
        started = time.perf_counter()
        fill_catalogue(engine, items)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        built = time.perf_counter() - started
        print(f"built {items:,}-item catalogue in {built:.1f} s")
        out = work / "site"
        kinds: Counter[str] = Counter()
        last = [time.perf_counter()]

        def progress(path: str) -> None:
            parts = path.strip("/").split("/")
            kinds[parts[0] if len(parts) > 1 else "(top level)"] += 1
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                print(f"  ... {sum(kinds.values()):,} files so far", flush=True)

        started = time.perf_counter()
        first = export_site(app, out, progress, workers=workers)
        first_s = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        verdict = "met" if first_s < TARGET_SECONDS else "MISSED"
        print(
            f"first export: {first_s:.1f} s for {first.total:,} files "
            f"({first_s / max(first.total, 1) * 1000:.2f} ms a file; written "
            f"{first.written:,}, skipped {first.skipped:,}); "
            f"peak RSS of the exporting process {peak_mb:.0f} MB "
            f"[< {TARGET_SECONDS} s: {verdict}]"
        )
        print("  files by first path segment: " + ", ".join(
            f"{name} {count:,}" for name, count in kinds.most_common()
        ))  # fmt: skip
        started = time.perf_counter()
        second = export_site(app, out, workers=workers)
        second_s = time.perf_counter() - started
        verdict = "met" if second.written == 0 and second.removed == 0 else "MISSED"
        print(
            f"second export, nothing changed: {second_s:.1f} s; written "
            f"{second.written:,}, unchanged {second.unchanged:,}, removed "
            f"{second.removed:,} [nothing rewritten: {verdict}]"
        )
        engine.dispose()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default="sqlite"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"{args.database}, {args.items:,} items, {args.workers} export worker(s)")
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'export.sqlite3'}", args.items, args.workers)
    else:
        base = os.environ.get("COMMS_BENCH_DATABASE_URL", DEFAULT_PG_URL)
        with pg_schema(base, "bench_static_export") as url:
            run(url, args.items, args.workers)


if __name__ == "__main__":
    main()
