"""Serving benchmark: a 100,000-item catalogue under gunicorn (2 and 4 workers).

For each worker count, loads `/`, a filtered listing, an item page, `/feed.xml`, a
304 answer and `/search?q=` with wrk (32 connections), next to the baseline: a bare
Flask view under the same gunicorn returning the same bytes from memory. Prints
requests/s, p50, p99, the ratio to the baseline and the workers' memory (RSS).

    .venv/bin/python bench/serve.py [--items 100000] [--seconds 10] [--workers 2 4]
    COMMS_BENCH_DATABASE_URL=postgresql+psycopg://... to run on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BENCH, REPO, fill_catalogue, free_port, machine, wrk  # noqa: E402
from comms import create_app  # noqa: E402
from comms.config import Settings  # noqa: E402
from comms.db import init_db  # noqa: E402

TARGETS = {
    "/": 0.5,
    "filtered listing": 0.5,
    "item page": 0.5,
    "/feed.xml": 0.6,
    "304 of /": 0.8,
}


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each child of the gunicorn master, in MB."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            status = (stat.parent / "status").read_text()
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
    return sizes


@contextmanager
def serve(spec: str, env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    """gunicorn with ``workers`` sync workers; yield (base URL, master pid)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
         f"127.0.0.1:{port}", "--log-level", "warning", spec],
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


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args()
    pg_url = os.environ.get("COMMS_BENCH_DATABASE_URL")
    print(f"machine: {machine()}")
    print(f"database: {'PostgreSQL' if pg_url else 'SQLite'}; {args.items:,} items")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if pg_url:
            from bench.catalogue import _reset_pg

            _reset_pg(pg_url)
        db_url = pg_url or f"sqlite:///{work / 'serve.sqlite3'}"
        settings = Settings(
            instance_path=work / "instance",
            database_url=db_url,
            secret_key="bench",
            content_dir=REPO / "content",
        )
        app = create_app(settings)
        init_db(app.extensions["comms"].engine)
        fill_catalogue(app.extensions["comms"].engine, args.items)
        client = app.test_client()
        urls = {
            "/": "/",
            "filtered listing": "/reports/?tag=clusters&region=lombardia",
            "item page": "/reports/item-1/",
            "/feed.xml": "/feed.xml",
            "search": "/search?q=catalogue+number+4242",
        }
        etag = client.get("/").headers.get("ETag", "")
        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(work / "instance"),
        }
        body = client.get("/").data
        (work / "baseline.html").write_bytes(body)
        for workers in args.workers:
            with serve(
                "baseline_app:app",
                {"BASELINE_FILE": str(work / "baseline.html")},
                workers,
            ) as (base, _pid):
                baseline = wrk(base + "/", args.seconds)
            print(
                f"\n{workers} workers; baseline ({len(body):,} bytes from memory): "
                f"{baseline['rps']:,.0f} req/s, p50 {baseline['p50']:.1f} ms, "
                f"p99 {baseline['p99']:.1f} ms"
            )
            with serve("comms:create_app()", env, workers) as (base, pid):
                results = {}
                for name, url in urls.items():
                    results[name] = wrk(base + url, args.seconds)
                results["304 of /"] = wrk(
                    base + "/", args.seconds, headers={"If-None-Match": etag}
                )
                rss = worker_rss_mb(pid)
            for name, r in results.items():
                ratio = r["rps"] / baseline["rps"]
                target = TARGETS.get(name)
                verdict = ""
                if target is not None:
                    met = "met" if ratio >= target else "MISSED"
                    verdict = f" (target >= {target}: {met})"
                if name == "search":
                    met = "met" if r["p99"] < 100 else "MISSED"
                    verdict = f" (target p99 < 100 ms: {met})"
                print(
                    f"  {name}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, "
                    f"p99 {r['p99']:.1f} ms, ratio {ratio:.2f}{verdict}, "
                    f"non-2xx/3xx {r['errors']:.0f}"
                )
            print(
                "  worker memory: "
                + ", ".join(f"{mb:.0f} MB" for mb in rss)
                + f" (target < 150 MB: {'met' if rss and max(rss) < 150 else 'MISSED'})"
            )


if __name__ == "__main__":
    main()
