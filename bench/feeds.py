"""Feeds benchmark: `/feed.xml` of a 100,000-item catalogue, and its 304 path.

Serves the feed under gunicorn (2 sync workers, wrk with 32 connections) next to the
baseline: a bare Flask view under the same gunicorn returning the same bytes from
memory. Prints requests/s, p50 and p99 of both, for a full GET and for a conditional
GET (If-None-Match with the feed's ETag: a 304 from comms; the baseline ignores the
header and sends its bytes), and the ratios. Targets: feed >= 0.6 of the baseline's
requests/s, the 304 path >= 0.8, p99 < 50 ms. Each server runs ``--rounds`` times,
alternating, and its best round is reported.

    .venv/bin/python bench/feeds.py [--items 100000] [--seconds 10]
    COMMS_BENCH_DATABASE_URL=postgresql+psycopg://... to run on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    REPO,
    fill_catalogue,
    fresh_app,
    gunicorn,
    machine,
    wrk,
)

URL = "/feed.xml"


def line(name: str, r: dict[str, float], baseline: dict[str, float] | None) -> str:
    """One printed result line, with the ratio to ``baseline`` when given."""
    text_ = (
        f"{name}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms"
    )
    if baseline is not None:
        text_ += f", ratio {r['rps'] / baseline['rps']:.2f} of baseline"
    return text_ + f", non-2xx/3xx {r['errors']:.0f}"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    pg_url = os.environ.get("COMMS_BENCH_DATABASE_URL")
    print(f"machine: {machine()}")
    print(f"database: {'PostgreSQL' if pg_url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db_url = pg_url or f"sqlite:///{work / 'feeds.sqlite3'}"
        instance = work / "instance"
        # counting off: this in-process app only times the first build
        app = fresh_app(instance, db_url, counting=False)
        engine = app.extensions["comms"].engine
        started = time.perf_counter()
        fill_catalogue(engine, args.items)
        built = time.perf_counter() - started
        print(f"built {args.items:,}-item catalogue in {built:.1f} s")

        client = app.test_client()
        started = time.perf_counter()
        first = client.get(URL)
        cold_ms = (time.perf_counter() - started) * 1000
        assert first.status_code == 200, first.status_code
        body, etag = first.data, first.headers["ETag"]
        statements: list[str] = []

        def count(*_args: object) -> None:
            statements.append("q")

        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        hit = client.get(URL)
        hit_ms = (time.perf_counter() - started) * 1000
        event.remove(engine, "before_cursor_execute", count)
        assert hit.data == body
        print(
            f"{URL}: {len(body):,} bytes; first build {cold_ms:.0f} ms; "
            f"cache hit {hit_ms:.1f} ms with {len(statements)} SQL queries"
        )
        conditional = {"If-None-Match": etag}
        assert client.get(URL, headers=conditional).status_code == 304

        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(instance),
        }
        (work / "baseline.xml").write_bytes(body)
        baseline_env = {"BASELINE_FILE": str(work / "baseline.xml")}
        runs: dict[str, list[dict[str, float]]] = {}
        # Alternate the servers and keep each one's best round: on a shared
        # machine this keeps a burst of outside load from deciding the ratio.
        for _round in range(args.rounds):
            with gunicorn("baseline_app:app", baseline_env) as base:
                runs.setdefault("baseline", []).append(wrk(base + "/", args.seconds))
                runs.setdefault("baseline_conditional", []).append(
                    wrk(base + "/", args.seconds, headers=conditional)
                )
            with gunicorn("comms:create_app()", env) as base:
                runs.setdefault("feed", []).append(wrk(base + URL, args.seconds))
                runs.setdefault("not_modified", []).append(
                    wrk(base + URL, args.seconds, headers=conditional)
                )
        best = {name: max(r, key=lambda x: x["rps"]) for name, r in runs.items()}
        baseline, baseline_conditional = best["baseline"], best["baseline_conditional"]
        feed, not_modified = best["feed"], best["not_modified"]
        print(line(f"baseline (same {len(body):,} bytes from memory)", baseline, None))
        print(
            line("baseline with If-None-Match (sends 200)", baseline_conditional, None)
        )
        print(line(f"{URL} (cached)", feed, baseline))
        print(line(f"{URL} with If-None-Match (304)", not_modified, baseline))
        feed_ratio = feed["rps"] / baseline["rps"]
        nm_ratio = not_modified["rps"] / baseline["rps"]
        worst_p99 = max(feed["p99"], not_modified["p99"])
        print(
            f"targets: feed >= 0.6 ({feed_ratio:.2f}: "
            f"{'met' if feed_ratio >= 0.6 else 'MISSED'}), "
            f"304 >= 0.8 ({nm_ratio:.2f}: {'met' if nm_ratio >= 0.8 else 'MISSED'}), "
            f"p99 < 50 ms ({worst_p99:.1f} ms: "
            f"{'met' if worst_p99 < 50 else 'MISSED'})"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
