"""Serving benchmark: a 100,000-item catalogue under gunicorn (2 and 4 workers).

For each database (SQLite, PostgreSQL) and worker count, loads `/`, a filtered
listing, an item page, `/feed.xml`, a 304 answer of `/` and `/search?q=` (the same
query again and again: cached; and a different query on every request: cold, at 32
and at 2 connections) with wrk (32 connections unless said), each after a warm-up
run, next to the baseline: a bare Flask view under the same
gunicorn returning the same bytes from memory (each page against its own bytes; the
304 against the bytes of `/`). Prints requests/s, p50, p99, the ratio to the
baseline, each target's verdict and the workers' memory (RSS).

    .venv/bin/python bench/serve.py                      # everything, ~12 minutes
    .venv/bin/python bench/serve.py --seconds 3 --workers 2 --databases sqlite
    .venv/bin/python bench/serve.py --only / "304 of /" --rounds 3

PostgreSQL: COMMS_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@
127.0.0.1:5432/test); the benchmark works in its own schema and drops it afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._common import (  # noqa: E402
    DEFAULT_PG_URL,
    REPO,
    fill_catalogue,
    gunicorn_process,
    machine,
    pg_schema,
    wrk,
)
from comms import create_app  # noqa: E402
from comms.config import Settings  # noqa: E402
from comms.db import init_db  # noqa: E402

URLS = {
    "/": "/",
    "filtered listing": "/reports/?tag=clusters&region=lombardia",
    "item page": "/reports/item-1/",
    "/feed.xml": "/feed.xml",
    "304 of /": "/",
    "search, same query (cached)": "/search?q=catalogue+number+4242",
    "search, new query each request": "/search?q=number+1",
    "search, new query each request, 2 connections": "/search?q=number+2",
}
# Connections of wrk when not 32: one per worker of the smaller setup, so the
# figure is the time a search takes, not the time it waits behind others.
CONNECTIONS = {"search, new query each request, 2 connections": 2}
WARMUP_SECONDS = 2
# Minimum ratio to the baseline's requests/s.
RATIO_TARGETS = {
    "/": 0.5,
    "filtered listing": 0.5,
    "item page": 0.5,
    "/feed.xml": 0.6,
    "304 of /": 0.8,
}
P99_TARGET_MS = 50.0
SEARCH_P99_TARGET_MS = 100.0
# Each wrk thread asks for `number <n>` with its own n, from a START of its own for
# each run: no query repeats, not even one of the warm-up.
COLD_SEARCH_LUA = """
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local q = (START + n * 2 + id) % ITEMS
  return wrk.format("GET", "/search?q=number+" .. q)
end
"""


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each child of the gunicorn master, in MB."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            status = (stat.parent / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def verdict(name: str, r: dict[str, float], ratio: float) -> str:
    """The targets of one figure, each met or MISSED."""
    notes = []
    if name in RATIO_TARGETS:
        target = RATIO_TARGETS[name]
        notes.append(f">= {target}: {'met' if ratio >= target else 'MISSED'}")
    limit = SEARCH_P99_TARGET_MS if name.startswith("search") else P99_TARGET_MS
    notes.append(f"p99 < {limit:.0f} ms: {'met' if 0 < r['p99'] < limit else 'MISSED'}")
    if r["errors"]:
        notes.append(f"{r['errors']:.0f} non-2xx/3xx: MISSED")
    return "; ".join(notes)


def run_database(label: str, db_url: str, args: argparse.Namespace) -> list[str]:
    """Build the catalogue in ``db_url``, load every URL; return the summary lines."""
    summary: list[str] = []
    names = [n for n in URLS if not args.only or n in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        instance = work / "instance"
        settings = Settings(
            instance_path=instance,
            database_url=db_url,
            secret_key="bench",
            content_dir=REPO / "content",
            counting=False,  # the warm-up requests here are not visits
        )
        app = create_app(settings)
        engine = app.extensions["comms"].engine
        init_db(engine)
        started = time.perf_counter()
        fill_catalogue(engine, args.items)
        # Planner statistics and (PostgreSQL) a vacuum, as autovacuum would do soon
        # after such a load: measuring while it runs would measure autovacuum.
        statement = "VACUUM ANALYZE" if db_url.startswith("postgresql") else "ANALYZE"
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text(statement)
            )
        print(
            f"\n== {label}: {args.items:,}-item catalogue built in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        client = app.test_client()
        bodies = work / "bodies"
        bodies.mkdir()
        etag = ""
        for n, (name, url) in enumerate(URLS.items()):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            (bodies / str(n)).write_bytes(response.data)
            if name == "/":
                etag = response.headers["ETag"]
                (work / "baseline.html").write_bytes(response.data)
        engine.dispose()
        starts = itertools.count(0, 20_011)  # far apart: runs never meet

        def cold_script() -> Path:
            script = work / "cold-search.lua"
            script.write_text(
                COLD_SEARCH_LUA.replace("ITEMS", str(args.items)).replace(
                    "START", str(next(starts))
                )
            )
            return script

        def forget_pages() -> None:
            # Cold searches must miss: earlier rounds stored pages in this folder.
            for entry in (instance / "cache").glob("*/*"):
                entry.unlink(missing_ok=True)

        def load(base: str, name: str, seconds: int) -> dict[str, float]:
            connections = CONNECTIONS.get(name, 32)
            if name == "304 of /":
                conditional = {"If-None-Match": etag}
                return wrk(base + "/", seconds, connections, headers=conditional)
            if name.startswith("search, new"):
                forget_pages()
                return wrk(base + "/search", seconds, connections, script=cold_script())
            return wrk(base + URLS[name], seconds, connections)

        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(instance),
        }
        baseline_env = {
            "BASELINE_FILE": str(work / "baseline.html"),
            "BASELINE_DIR": str(bodies),
        }
        for workers in args.workers:
            runs: dict[str, list[dict[str, float]]] = {}
            rss: list[float] = []
            # Alternate baseline and app rounds; keep each figure's best round.
            for _round in range(args.rounds):
                with gunicorn_process("baseline_app:app", baseline_env, workers) as (
                    base,
                    _pid,
                ):
                    for n, name in enumerate(URLS):
                        if name in names and name != "304 of /":
                            url = f"{base}/b/{n}"
                            connections = CONNECTIONS.get(name, 32)
                            wrk(url, WARMUP_SECONDS, connections)
                            figure = wrk(url, args.seconds, connections)
                            runs.setdefault(f"baseline {name}", []).append(figure)
                with gunicorn_process("comms:create_app()", env, workers) as (
                    base,
                    pid,
                ):
                    # Warm every worker first (templates compiled, statement caches
                    # filled, start-up objects frozen): figures of a steady state.
                    for name in names:
                        load(base, name, WARMUP_SECONDS)
                    for name in names:
                        runs.setdefault(name, []).append(load(base, name, args.seconds))
                    rss = worker_rss_mb(pid)
            best = {k: max(v, key=lambda x: x["rps"]) for k, v in runs.items()}
            print(f"\n{label}, {workers} workers ({args.rounds} round(s), best kept)")
            for name in names:
                r = best[name]
                base_name = "baseline /" if name == "304 of /" else f"baseline {name}"
                b = best[base_name]
                ratio = r["rps"] / b["rps"]
                line = (
                    f"  {name}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, "
                    f"p99 {r['p99']:.1f} ms | baseline {b['rps']:,.0f} req/s, "
                    f"p99 {b['p99']:.1f} ms | ratio {ratio:.2f} "
                    f"[{verdict(name, r, ratio)}]"
                )
                print(line, flush=True)
                summary.append(f"{label}, {workers} workers: {line.strip()}")
            memory = (
                "  worker memory: "
                + ", ".join(f"{mb:.0f} MB" for mb in rss)
                + f" [< 150 MB: {'met' if rss and max(rss) < 150 else 'MISSED'}]"
            )
            print(memory, flush=True)
            summary.append(f"{label}, {workers} workers: {memory.strip()}")
    return summary


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=["sqlite", "postgresql"],
    )
    parser.add_argument("--only", nargs="+", choices=list(URLS), default=None)
    args = parser.parse_args()
    # A TERM (timeout, Ctrl-C in a pipeline) still stops gunicorn and drops the schema.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.only and "304 of /" in args.only and "/" not in args.only:
        args.only.append("/")  # the 304's baseline is the bytes of `/`
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(
        f"wrk -t2 -c32 -d{args.seconds}s; gunicorn sync workers {args.workers}; "
        f"{args.rounds} round(s)"
    )
    summary: list[str] = []
    for database in args.databases:
        if database == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'serve.sqlite3'}"
                summary += run_database("SQLite", url, args)
        else:
            base = os.environ.get("COMMS_BENCH_DATABASE_URL", DEFAULT_PG_URL)
            with pg_schema(base, "bench_serve") as url:
                summary += run_database("PostgreSQL", url, args)
    print(f"\nsummary (load average now {os.getloadavg()[0]:.1f}):")
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
