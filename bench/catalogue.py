"""Catalogue benchmark: import 10,000 content files; serve a 100,000-item catalogue.

Prints the import time (target < 20 s), the SQL queries each public page needs,
and requests/s, p50 and p99 of `/` and of a filtered listing under gunicorn
(2 sync workers, wrk with 32 connections), next to the baseline: a bare Flask view
under the same gunicorn returning the same bytes from memory.

    .venv/bin/python bench/catalogue.py [--items 100000] [--files 10000]
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
    REGIONS,
    REPO,
    TAGS,
    fill_catalogue,
    fresh_app,
    gunicorn,
    machine,
    wrk,
)
from comms import cache  # noqa: E402
from comms.catalogue.content_files import import_tree  # noqa: E402

KIND_DIRS = ["press-releases", "reports", "videos", "events"]


def write_files(root: Path, count: int) -> None:
    """Generate ``count`` content files of every kind."""
    (root / "media").mkdir(parents=True)
    pdf = (REPO / "content" / "media" / "policy-report.pdf").read_bytes()
    (root / "media" / "shared.pdf").write_bytes(pdf)
    for d in KIND_DIRS:
        (root / d).mkdir()
    for n in range(count):
        kind_dir = KIND_DIRS[n % 4]
        extra = ""
        if kind_dir == "reports":
            extra = "report_type: Report\nfiles: [{path: ../media/shared.pdf}]\n"
        elif kind_dir == "videos":
            extra = f"youtube_id: v{n:010d}\nduration: PT3M12S\n"
        elif kind_dir == "events":
            extra = "starts_at: 2019-01-01T09:00:00Z\nends_at: 2019-01-01T17:00:00Z\n"
        (root / kind_dir / f"item-{n}.en.md").write_text(
            f"---\ntitle: Generated item {n}\nsummary: Summary {n}\n"
            f"published_at: 2018-01-01T09:00:00Z\ntags: [{TAGS[n % 6]}]\n"
            f"regions: [{REGIONS[n % 6]}]\n{extra}---\n"
            f"Body of item {n} with *Markdown* and a [link](https://example.org).\n"
        )


def bench_import(files: int, workdir: Path, database_url: str | None) -> float:
    """Time one import of ``files`` generated files into an empty database."""
    root = workdir / "content"
    write_files(root, files)
    app = fresh_app(workdir / "import-instance", database_url or "", content_dir=root)
    state = app.extensions["comms"]
    started = time.perf_counter()
    with state.sessionmaker() as session:
        report = import_tree(session, state.store, root)
        session.commit()
    elapsed = time.perf_counter() - started
    assert report.created == files, report
    return elapsed


def count_queries(app, urls: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """SQL statements each URL needs to render (warm process, page cache emptied)."""
    engine = app.extensions["comms"].engine
    page_cache = app.extensions[cache.EXTENSION_KEY]
    counts: dict[str, int] = {}
    seen: list[str] = []

    def on_execute(*_args: object) -> None:
        seen.append("q")

    event.listen(engine, "before_cursor_execute", on_execute)
    client = app.test_client()
    for url in urls:
        client.get(url)
        page_cache.prune(keep="-")  # no stamp is "-": forget every rendered page
        seen.clear()
        status = client.get(url).status_code
        assert status == 200, (url, status)
        counts[url] = len(seen)
    event.remove(engine, "before_cursor_execute", on_execute)
    return counts


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    pg_url = os.environ.get("COMMS_BENCH_DATABASE_URL")
    print(f"machine: {machine()}")
    print(f"database: {'PostgreSQL' if pg_url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds = bench_import(args.files, work, pg_url)
        print(
            f"import {args.files:,} files: {seconds:.2f} s "
            f"({args.files / seconds:,.0f} files/s; target < 20 s: "
            f"{'met' if seconds < 20 else 'MISSED'})"
        )
        db_url = pg_url or f"sqlite:///{work / 'serve.sqlite3'}"
        app = fresh_app(work / "serve-instance", db_url)
        started = time.perf_counter()
        fill_catalogue(app.extensions["comms"].engine, args.items)
        built = time.perf_counter() - started
        print(f"built {args.items:,}-item catalogue in {built:.1f} s")
        pages = {
            "/": "/",
            "filtered listing": "/reports/?tag=clusters&region=lombardia",
        }
        queries = count_queries(
            app, [*pages.values(), "/reports/item-1/", "/press-releases/"]
        )
        for url, n in queries.items():
            print(f"SQL queries for {url}: {n}")
        env = {
            "COMMS_DATABASE_URL": db_url,
            "COMMS_SECRET_KEY": "bench",
            "COMMS_CONTENT_DIR": str(REPO / "content"),
            "COMMS_INSTANCE_PATH": str(work / "serve-instance"),
        }
        results = {}
        with gunicorn("comms:create_app()", env) as base:
            for name, url in pages.items():
                results[name] = wrk(base + url, args.seconds)
        body = app.test_client().get("/").data
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
            print(
                f"{name}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms, ratio {r['rps'] / baseline['rps']:.2f} "
                f"of baseline, non-2xx {r['errors']:.0f}"
            )


if __name__ == "__main__":
    main()
