"""Search benchmark: `/search?q=` on a 100,000-item catalogue (target p99 < 100 ms).

Fills the catalogue with bench/_common.fill_catalogue (the search index is kept by
the database's triggers, so the bulk insert indexes too), then loads the search
page under gunicorn (2 sync workers, wrk with 32 connections) for a selective
query, a one-word query matching one item, and a word every item holds (the worst
case: every item is ranked), next to the baseline: a bare Flask view under the same
gunicorn returning the same bytes from memory. Search pages are cached like every
public page (until the catalogue changes), so under wrk a repeated query measures
the cache (the in-process figures show the first build and the cached answer);
bench/serve.py loads a new query on every request too.

    .venv/bin/python bench/search.py [--items 100000] [--seconds 10]
    COMMS_BENCH_DATABASE_URL=postgresql+psycopg://... to run on PostgreSQL
    (its public schema is dropped and recreated)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._common import (  # noqa: E402
    REPO,
    fill_catalogue,
    fresh_app,
    gunicorn,
    machine,
    wrk,
)

QUERIES = {
    "selective (number 4242)": "/search?q=number+4242",
    "one match (4242)": "/search?q=4242",
    "filtered (catalogue, reports in lombardia)": (
        "/search?q=catalogue&kind=report&region=lombardia"
    ),
    "every item matches (catalogue)": "/search?q=catalogue",
}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    pg_url = os.environ.get("COMMS_BENCH_DATABASE_URL")
    print(f"machine: {machine()}")
    print(f"database: {'PostgreSQL' if pg_url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db_url = pg_url or f"sqlite:///{work / 'search.sqlite3'}"
        app = fresh_app(work / "instance", db_url)
        started = time.perf_counter()
        fill_catalogue(app.extensions["comms"].engine, args.items)
        with app.extensions["comms"].engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # planner statistics, as autovacuum would
        print(
            f"built and indexed {args.items:,}-item catalogue in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = app.test_client()
        for name, url in QUERIES.items():
            started = time.perf_counter()
            response = client.get(url)
            first = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            found = response.get_data(as_text=True).count('class="search-hit"')
            started = time.perf_counter()
            for _ in range(5):
                client.get(url)
            one = (time.perf_counter() - started) / 5 * 1000
            print(
                f"{name}: {found} hits on page 1; in-process: first build "
                f"{first:.1f} ms, then {one:.1f} ms (cached)"
            )
        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(work / "instance"),
        }
        results = {}
        with gunicorn("comms:create_app()", env) as base:
            for name, url in QUERIES.items():
                results[name] = wrk(base + url, args.seconds)
                # one connection per worker: latency without queueing
                results[f"{name}, 2 connections"] = wrk(
                    base + url, args.seconds, connections=2
                )
        body = client.get(QUERIES["selective (number 4242)"]).data
        (work / "baseline.html").write_bytes(body)
        with gunicorn(
            "baseline_app:app", {"BASELINE_FILE": str(work / "baseline.html")}
        ) as base:
            baseline = wrk(base + "/", args.seconds)
        print(
            f"baseline (same {len(body):,} bytes from memory): "
            f"{baseline['rps']:,.0f} req/s, p50 {baseline['p50']:.1f} ms, "
            f"p99 {baseline['p99']:.1f} ms"
        )
        for name, r in results.items():
            timed_out = not r["p99"] > 0  # wrk prints no latency when all time out
            verdict = "met" if 0 < r["p99"] < 100 else "MISSED"
            if timed_out:
                verdict += ", requests timed out"
            print(
                f"{name}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms (target < 100 ms: {verdict}), "
                f"ratio {r['rps'] / baseline['rps']:.2f} of baseline, "
                f"non-2xx {r['errors']:.0f}"
            )


if __name__ == "__main__":
    main()
