"""Long-tail benchmark (issue 19, goals 1 and 2): random reads over many item pages.

A 10,000-item catalogue under gunicorn (2 and 4 sync workers), on SQLite and on
PostgreSQL. wrk (-t2 -c32) runs a Lua script asking, on every request, for one
item page picked at random from a list of 2,000. Printed, each as a ratio measured
in the same run:
- the time to ask every page once from a cold cache, then the steady state, against
  the baseline (a bare Flask view under the same gunicorn returning the bytes of
  one item page from memory): target >= 0.5, p99 < 50 ms;
- the same load while an officer publishes an item every 2 s into this catalogue,
  against the same publishing into an unrelated catalogue (a second database of
  the same size: the same CPU cost, nothing shown changes): target >= 0.8. The
  items published are press releases on a topic of their own (what a new
  announcement usually is); one on a topic the pages share would, rightly, renew
  the pages whose related items it joins.

    .venv/bin/python bench/long_tail.py
    .venv/bin/python bench/long_tail.py --seconds 5 --workers 2 --databases sqlite

PostgreSQL: COMMS_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@
127.0.0.1:5432/test), in schemas of its own that it drops afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench._common import (  # noqa: E402
    DEFAULT_PG_URL,
    KINDS,
    REPO,
    build_catalogue,
    gunicorn_process,
    machine,
    pg_schema,
    wrk,
)
from comms import create_app  # noqa: E402
from comms.catalogue.models import KIND_PLURALS, Item, ItemTag  # noqa: E402
from comms.config import Settings  # noqa: E402

RANDOM_LUA = """
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local paths = {}
function init(args)
  for line in io.lines("PATHS") do paths[#paths + 1] = line end
  math.randomseed(SEED + id * 7919)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""
# Random reads before the measured run. Each worker keeps the answers it has
# served itself, so it must meet each of the 2,000 pages once before reads are
# steady: about 2,000 x ln(2,000) = 15,000 requests per worker (the coupon
# collector's count), which at 4 workers takes about a minute here. With the
# earlier 5 s, the 4-worker "steady" figure was mostly that first meeting.
WARMUP_SECONDS = 60
PUBLISH_EVERY = 2.0
RATIO_TARGET = 0.5
PUBLISH_TARGET = 0.8
P99_TARGET_MS = 50.0


def item_paths(items: int, pages: int, seed: int = 19) -> list[str]:
    """``pages`` public item pages of the catalogue, picked at random."""
    public = [n for n in range(items) if n % 50]  # fill_catalogue: every 50th a draft
    chosen = random.Random(seed).sample(public, pages)
    return [f"/{KIND_PLURALS[KINDS[n % 4]]}/item-{n}/" for n in chosen]


def warm(base: str, paths: list[str]) -> float:
    """Ask for every page once, 8 at a time; the seconds it took."""

    def fetch(path: str) -> None:
        with urllib.request.urlopen(base + path, timeout=600) as answer:  # noqa: S310
            answer.read()

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fetch, paths))
    return time.perf_counter() - started


@contextlib.contextmanager
def publishing(db_url: str, instance: Path) -> Iterator[list[float]]:
    """Publish a press release every PUBLISH_EVERY seconds into ``db_url``, as an
    officer would (the ORM path, stamping the keys it changes); yield the seconds
    each publish took."""
    app = create_app(
        Settings(
            instance_path=instance,
            database_url=db_url,
            secret_key="bench",
            content_dir=REPO / "content",
            counting=False,
        )
    )
    stop = threading.Event()
    took: list[float] = []

    def run() -> None:
        for n in itertools.count():
            started = time.perf_counter()
            with app.extensions["comms"].sessionmaker() as session:
                slug = f"announcement-{os.getpid()}-{time.time_ns()}-{n}"
                item = Item(
                    kind="press_release", slug=slug, language="en", translation=slug,
                    title=f"Announcement {n}", summary="News.", body="News.",
                    body_html="<p>News.</p>", status="published",
                    published_at=datetime.now(UTC), details={},
                )  # fmt: skip
                item.tags = [ItemTag(name="announcements", position=0)]
                session.add(item)
                session.commit()
            took.append(time.perf_counter() - started)
            if stop.wait(PUBLISH_EVERY):
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield took
    finally:
        stop.set()
        thread.join()
        app.extensions["comms"].engine.dispose()


def run_database(
    label: str, urls: tuple[str, str], args: argparse.Namespace
) -> list[str]:
    """Load random item pages of ``urls[0]``; ``urls[1]`` is the unrelated catalogue."""
    db_url, other_url = urls
    summary: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        build_catalogue(db_url, work / "instance", args.items)
        build_catalogue(other_url, work / "other", args.items)
        print(
            f"\n== {label}: two {args.items:,}-item catalogues built in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        paths = item_paths(args.items, args.pages)
        (work / "paths.txt").write_text("\n".join(paths) + "\n")
        seeds = itertools.count(1)

        def script() -> Path:
            path = work / "random.lua"
            path.write_text(
                RANDOM_LUA.replace("PATHS", str(work / "paths.txt")).replace(
                    "SEED", str(next(seeds))
                )
            )
            return path

        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(work / "instance"),
        }
        for workers in args.workers:
            for entry in (work / "instance" / "cache").rglob("*"):
                if entry.is_file():
                    entry.unlink()  # every round starts cold
            with gunicorn_process("comms:create_app()", env, workers) as (base, _p):
                with urllib.request.urlopen(base + paths[0]) as answer:  # noqa: S310
                    (work / "page.html").write_bytes(answer.read())
                # From cold: every page asked once (8 at a time), then random reads.
                warm_seconds = warm(base, paths)
                wrk(base + "/", args.warmup, 32, script=script())
                steady = wrk(base + "/", args.seconds, 32, script=script())
                with publishing(other_url, work / "other"):
                    wrk(base + "/", 2, 32, script=script())
                    unrelated = wrk(base + "/", args.seconds, 32, script=script())
                with publishing(db_url, work / "publisher") as took:
                    wrk(base + "/", 2, 32, script=script())
                    same = wrk(base + "/", args.seconds, 32, script=script())
            baseline_env = {"BASELINE_FILE": str(work / "page.html")}
            with gunicorn_process("baseline_app:app", baseline_env, workers) as (
                base,
                _pid,
            ):
                wrk(base + "/", 2, 32)
                baseline = wrk(base + "/", args.seconds, 32)
            if args.debug:
                print(steady, unrelated, same, baseline, flush=True)
            ratio = steady["rps"] / baseline["rps"]
            publish_ratio = same["rps"] / unrelated["rps"]
            lines = [
                f"baseline (one item page's bytes from memory): "
                f"{baseline['rps']:,.0f} req/s, p99 {baseline['p99']:.1f} ms",
                f"from cold, each of the {len(paths):,} pages asked once: "
                f"{warm_seconds:.1f} s ({len(paths) / warm_seconds:,.0f} pages/s)",
                f"steady: {steady['rps']:,.0f} req/s, p50 {steady['p50']:.1f} ms, "
                f"p99 {steady['p99']:.1f} ms | ratio {ratio:.2f} [>= {RATIO_TARGET}: "
                f"{'met' if ratio >= RATIO_TARGET else 'MISSED'}; p99 < "
                f"{P99_TARGET_MS:.0f} ms: "
                f"{'met' if steady['p99'] < P99_TARGET_MS else 'MISSED'}]",
                f"publishing every {PUBLISH_EVERY:.0f} s into an unrelated catalogue: "
                f"{unrelated['rps']:,.0f} req/s, p99 {unrelated['p99']:.1f} ms",
                f"publishing every {PUBLISH_EVERY:.0f} s into this catalogue: "
                f"{same['rps']:,.0f} req/s, p99 {same['p99']:.1f} ms | ratio "
                f"{publish_ratio:.2f} [>= {PUBLISH_TARGET}: "
                f"{'met' if publish_ratio >= PUBLISH_TARGET else 'MISSED'}] "
                f"({len(took)} publishes)",
            ]
            errors = sum(r["errors"] for r in (steady, unrelated, same))
            if errors:
                lines.append(f"{errors:.0f} non-2xx/3xx answers: MISSED")
            print(f"\n{label}, {workers} workers", flush=True)
            for line in lines:
                print(f"  {line}", flush=True)
                summary.append(f"{label}, {workers} workers: {line}")
    return summary


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=WARMUP_SECONDS)
    parser.add_argument("--debug", action="store_true", help="print wrk's figures")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=["sqlite", "postgresql"],
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(
        f"wrk -t2 -c32 -d{args.seconds}s, random item pages ({args.pages:,} of "
        f"{args.items:,}); gunicorn sync workers {args.workers}"
    )
    summary: list[str] = []
    for database in args.databases:
        if database == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                urls = (
                    f"sqlite:///{Path(tmp) / 'long-tail.sqlite3'}",
                    f"sqlite:///{Path(tmp) / 'unrelated.sqlite3'}",
                )
                summary += run_database("SQLite", urls, args)
        else:
            base = os.environ.get("COMMS_BENCH_DATABASE_URL", DEFAULT_PG_URL)
            with (
                pg_schema(base, "bench_long_tail") as url,
                pg_schema(base, "bench_unrelated") as other,
            ):
                summary += run_database("PostgreSQL", (url, other), args)
    print(f"\nsummary (load average now {os.getloadavg()[0]:.1f}):")
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
