"""Static export against Hugo, and the incremental export after one publish.

1. Full export of a generated catalogue (default 10,000 items, bench/_common's
   fill_catalogue) with `export_site`, timed, in files (pages) per second.
2. The equivalent Hugo site generated into a temporary folder: the same items as
   Markdown content files in one section per kind, the same front matter (title,
   date, summary, tags, regions), the same body; a base layout with the site's
   navigation and footer, a single-page template rendering the body from Markdown
   with its tag and region links and four related items (Hugo's related content
   on tags and regions, published no later than the page's item as Hugo does by
   default, as the item page's "Related" box), list pages showing the
   first 20 items (the export writes the first page of each listing: later pages
   are `?page=` URLs that need the live site), tag and region taxonomies with
   their term pages, RSS feeds of the home page, each section and each term, and
   the sitemap. `hugo --quiet` (Debian's package) builds it, timed.
   Both are printed as pages per second (files written, each side counting its
   own) and items per second, with the ratio export / Hugo (goal >= 1.0).
3. With ``--incremental N`` (default 100,000; 0 to skip): a catalogue of N items
   (built once into ``--keep DIR`` and reused by later runs), a full export, one
   publish (a new item on a topic and in a region the catalogue has), and the
   timed incremental export (goal < 2 s), with the files it rendered and wrote.
   ``--database postgresql``: the catalogue in PostgreSQL instead
   (COMMS_BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test,
   in a schema of its own, dropped after; built again on every run).

    .venv/bin/python bench/export_vs_hugo.py [--items 10000] [--workers 2]
    .venv/bin/python bench/export_vs_hugo.py --incremental 100000 --keep /tmp/x
    .venv/bin/python bench/export_vs_hugo.py --skip-hugo --database postgresql
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from bench._common import (  # noqa: E402
    DEFAULT_PG_URL,
    KINDS,
    REGIONS,
    REPO,
    TAGS,
    fill_catalogue,
    machine,
    pg_schema,
    settle,
)
from comms import create_app  # noqa: E402
from comms.config import Settings  # noqa: E402
from comms.db import init_db  # noqa: E402
from comms.static_export import export_site  # noqa: E402

# The Hugo site's configuration and templates (content is generated).
HUGO_SITE = Path(__file__).resolve().parent / "hugo_site"
SECTIONS = {
    "press_release": "press-releases",
    "report": "reports",
    "video": "videos",
    "event": "events",
}


def write_hugo_site(root: Path, items: int) -> None:
    """The Hugo site equivalent to ``fill_catalogue(items)`` under ``root``."""
    shutil.copytree(HUGO_SITE, root)
    (root / "static").mkdir()
    (root / "static/site.css").write_text("body{font-family:sans-serif}\n")
    start = datetime(2015, 1, 1, tzinfo=UTC)
    for section in SECTIONS.values():
        (root / "content" / section).mkdir(parents=True)
        title = section.replace("-", " ").capitalize()
        (root / "content" / section / "_index.md").write_text(
            f'---\ntitle: "{title}"\n---\n'
        )
    body = "Body text. " * 80
    summary = "A summary of one catalogue entry. " * 3
    for n in range(items):
        if n % 50 == 0:  # fill_catalogue's drafts
            continue
        kind = KINDS[n % 4]
        date = (start + timedelta(minutes=n * 30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (root / "content" / SECTIONS[kind] / f"item-{n}.md").write_text(
            f'---\ntitle: "Catalogue item number {n}"\ndate: {date}\n'
            f'summary: "{summary.strip()}"\nauthor: Project team\n'
            f"tags: [{TAGS[(n // 4) % 6]}]\nregions: [{REGIONS[(n // 24) % 6]}]\n"
            f"---\n{body}\n"
        )


def cpu_seconds() -> float:
    """CPU time of this process and of its ended children (export workers, hugo)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def count_files(root: Path, pattern: str = "*") -> int:
    """Files under ``root`` matching ``pattern`` (the export's manifest left out)."""
    return sum(
        1 for p in root.rglob(pattern) if p.is_file() and not p.name.startswith(".")
    )


def bench_app(work: Path, database_url: str) -> Flask:
    """An app on ``database_url`` (schema created)."""
    app = create_app(
        Settings(
            instance_path=work / "instance",
            database_url=database_url,
            secret_key="bench",
            content_dir=REPO / "content",
            counting=False,
        )
    )
    init_db(app.extensions["comms"].engine)
    return app


def compare_with_hugo(items: int, workers: int) -> None:
    """Export ``items`` items and build the equivalent Hugo site; print both."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = bench_app(work, f"sqlite:///{work / 'bench.sqlite3'}")
        engine = app.extensions["comms"].engine
        fill_catalogue(engine, items)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        started, cpu = time.perf_counter(), cpu_seconds()
        report = export_site(app, work / "site", workers=workers)
        export_s = time.perf_counter() - started
        export_cpu = cpu_seconds() - cpu
        export_files = count_files(work / "site")
        export_html = count_files(work / "site", "*.html")
        engine.dispose()
        hugo_root = work / "hugo"
        write_hugo_site(hugo_root, items)
        started, cpu = time.perf_counter(), cpu_seconds()
        subprocess.run(["hugo", "--quiet", "-s", str(hugo_root)], check=True)  # noqa: S607
        hugo_s = time.perf_counter() - started
        hugo_cpu = cpu_seconds() - cpu
        hugo_files = count_files(hugo_root / "public")
        hugo_html = count_files(hugo_root / "public", "*.html")
        public = items - items // 50
        export_rate, hugo_rate = export_files / export_s, hugo_files / hugo_s
        print(
            f"comms export: {export_files:,} files in {export_s:.1f} s = "
            f"{export_rate:,.0f} pages/s ({public / export_s:,.0f} items/s; "
            f"{report.written:,} written, {workers} worker(s)); "
            f"{export_cpu:.1f} CPU s = {export_files / export_cpu:,.0f} pages/CPU s"
        )
        print(
            f"hugo --quiet: {hugo_files:,} files in {hugo_s:.1f} s = "
            f"{hugo_rate:,.0f} pages/s ({public / hugo_s:,.0f} items/s); "
            f"{hugo_cpu:.1f} CPU s = {hugo_files / hugo_cpu:,.0f} pages/CPU s"
        )
        print(
            f"ratio export / hugo: pages/s {export_rate / hugo_rate:.2f}, "
            f"items/s {hugo_s / export_s:.2f}, pages per CPU second "
            f"{export_files / export_cpu / (hugo_files / hugo_cpu):.2f} (goal >= 1.0)"
        )
        # HTML pages alone: the export's citation files, thumbnails and feeds,
        # and Hugo's feeds and sitemap, left out on both sides
        print(
            f"HTML pages: comms {export_html:,} ({export_html / export_s:,.0f}/s), "
            f"hugo {hugo_html:,} ({hugo_html / hugo_s:,.0f}/s): ratio "
            f"{export_html / export_s / (hugo_html / hugo_s):.2f} (goal >= 1.0)"
        )


def incremental(
    items: int, workers: int, keep: Path, database_url: str | None = None
) -> None:
    """Time the incremental export after one publish at ``items`` items (in
    SQLite under ``keep``, or at ``database_url``)."""
    keep.mkdir(parents=True, exist_ok=True)
    database = keep / f"catalogue-{items}.sqlite3"
    fresh = database_url is not None or not database.exists()
    app = bench_app(keep, database_url or f"sqlite:///{database}")
    engine = app.extensions["comms"].engine
    if fresh:
        started = time.perf_counter()
        fill_catalogue(engine, items)
        settle(engine)
        print(f"built {items:,} items in {time.perf_counter() - started:.0f} s")
    print(f"catalogue in {engine.dialect.name}")
    out = keep / f"site-{items}-{engine.dialect.name}"
    started = time.perf_counter()
    report = export_site(app, out, workers=workers)
    print(
        f"export to bring {out} up to date: {time.perf_counter() - started:.1f} s "
        f"({report.rendered:,} rendered, {report.written:,} written, "
        f"incremental: {report.incremental})"
    )
    for label, tags, region in (
        ("one publish on a new topic", "brand-new-topic", REGIONS[0]),
        ("one publish on the most shared topic and region", TAGS[0], REGIONS[0]),
    ):
        _publish(engine, tags, region)
        started, cpu = time.perf_counter(), cpu_seconds()
        report = export_site(app, out, workers=workers)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        verdict = "met" if seconds < 2 else "MISSED"
        print(
            f"incremental export at {items:,} items after {label}: {seconds:.2f} s "
            f"({cpu:.2f} CPU s), "
            f"{report.rendered:,} pages rendered, {report.written:,} written, "
            f"{report.removed:,} removed, {report.unchanged:,} untouched "
            f"[< 2 s: {verdict}]"
        )
    engine.dispose()


def _publish(engine: Engine, tag: str, region: str) -> None:
    """One new published item, as an officer's publish stores it."""
    from sqlalchemy.orm import Session

    from comms.catalogue.models import Item, ItemRegion, ItemTag

    with Session(engine) as session:
        stamp = datetime.now(UTC)
        slug = f"published-{stamp:%H%M%S%f}"
        item = Item(
            kind="press_release", slug=slug, language="en", translation=slug,
            title=f"Published at {stamp:%H:%M:%S}", summary="Just published.",
            body="News.", body_html="<p>News.</p>", status="published",
            published_at=stamp - timedelta(seconds=1), details={},
        )  # fmt: skip
        item.tags = [ItemTag(name=tag, position=0)]
        item.regions = [ItemRegion(name=region, position=0)]
        session.add(item)
        session.commit()


def main() -> None:
    """Run the comparison and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--incremental", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default="sqlite"
    )
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        sys.exit("hugo is not installed (Debian: apt-get install hugo)")
    version = subprocess.run(
        ["hugo", "version"],
        capture_output=True,
        text=True,
        check=True,  # noqa: S607
    ).stdout.split()[1]
    load = os.getloadavg()[0]
    print(f"machine: {machine()}; load average {load:.1f}; hugo {version}")
    if not args.skip_hugo:
        compare_with_hugo(args.items, args.workers)
    if args.incremental:
        with tempfile.TemporaryDirectory() as tmp:
            keep = args.keep or Path(tmp)
            if args.database == "sqlite":
                incremental(args.incremental, args.workers, keep)
            else:
                base = os.environ.get("COMMS_BENCH_DATABASE_URL", DEFAULT_PG_URL)
                with pg_schema(base, "bench_export_incremental") as url:
                    incremental(args.incremental, args.workers, keep, url)


if __name__ == "__main__":
    main()
