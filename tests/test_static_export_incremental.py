"""`comms static export` after a change: only what changed, the same as a full one."""

from __future__ import annotations

import importlib
import re
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from freezegun import freeze_time
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from comms.catalogue.content_files import import_tree
from comms.catalogue.export_source import CatalogueSource
from comms.catalogue.models import Item, ItemRegion, ItemTag
from comms.static_export import MANIFEST, export_site
from comms.static_export import manifest as mf
from comms.static_export.manifest import FORMAT
from tests.conftest import CONTENT
from tests.factories import make_item, past
from tests.plans import sqlite_plans


def _tree(root: Path) -> dict[str, bytes]:
    """The files under ``root``, and its manifest's content (not its file's bytes,
    which depend on the order rows were written in)."""
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }
    if (root / MANIFEST).exists():
        files[MANIFEST] = orjson.dumps(mf.dump(root), option=orjson.OPT_SORT_KEYS)
    return files


def _assert_link_sets_kept(out: Path) -> None:
    """Every link set a page names is in the manifest, and no other."""
    with closing(sqlite3.connect(out / MANIFEST)) as db:
        named = {
            n for (n,) in db.execute("SELECT linkset FROM page WHERE linkset >= 0")
        }
        kept = {n for (n,) in db.execute("SELECT id FROM linkset")}
    assert named == kept


def _mtimes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): path.stat().st_mtime_ns
        for path in root.rglob("*")
        if path.is_file() and path.name != MANIFEST
    }


def _item(session: Session, slug: str) -> Item:
    return session.scalars(select(Item).where(Item.slug == slug)).one()


def _publish(session: Session) -> None:
    make_item(session, slug="fresh-news", tags=["clusters"], regions=["lombardia"])


def _edit(session: Session) -> None:
    _item(session, "policy-report").title = "Policy report, second edition"
    session.commit()


def _archive(session: Session) -> None:
    _item(session, "launch").status = "archived"
    session.commit()


def _unpublish(session: Session) -> None:
    _item(session, "policy-report").status = "draft"
    session.commit()


def _rename(session: Session) -> None:
    _item(session, "launch").slug = "launch-renamed"
    session.commit()


def _translate(session: Session) -> None:
    make_item(
        session, slug="start-des-projekts", translation="launch", language="de",
        tags=["clusters"], regions=["bayern"],
    )  # fmt: skip


def _retag(session: Session) -> None:
    item = _item(session, "launch")
    item.tags = [ItemTag(name="energy", position=0)]
    item.regions = [ItemRegion(name="veneto", position=0)]
    session.commit()


def _schedule_comes_due(session: Session) -> None:
    # Due now: it was scheduled when the first export ran.
    _item(session, "later").published_at = past(0.01)
    session.commit()


CHANGES: dict[str, Callable[[Session], None]] = {
    "publish": _publish,
    "edit": _edit,
    "archive": _archive,
    "unpublish": _unpublish,
    "slug change": _rename,
    "translation added": _translate,
    "tags and regions changed": _retag,
    "schedule comes due": _schedule_comes_due,
}


@pytest.fixture
def exported(app, session, store, tmp_path) -> Path:
    """The demo content and a few items, exported once."""
    return _export_demo(app, session, store, tmp_path)


@pytest.fixture
def exported_in_parts(app, session, store, tmp_path, monkeypatch) -> Path:
    """The same, with a sitemap split in files of 12 URLs."""
    import comms.web.views

    monkeypatch.setattr(comms.web.views, "SITEMAP_LIMIT", 12)
    out = _export_demo(app, session, store, tmp_path)
    assert (out / "sitemap-8.xml").is_file()
    return out


def _export_demo(app, session, store, tmp_path) -> Path:
    import_tree(session, store, CONTENT)
    make_item(session, slug="launch", tags=["clusters"], regions=["lombardia"])
    make_item(
        session, slug="later", tags=["innovation"], published_at=past(-0.005)
    )  # a few minutes ahead
    out = tmp_path / "site"
    first = export_site(app, out)
    assert first.written > 30 and not first.incremental
    return out


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_incremental_export_equals_a_full_one_and_leaves_the_rest_alone(
    app, session, exported, tmp_path, change
) -> None:
    _check_incremental(app, session, exported, tmp_path, change)


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_incremental_export_with_the_sitemap_in_parts_equals_a_full_one(
    app, session, exported_in_parts, tmp_path, change
) -> None:
    """The sitemap's files are written again only where a change shows; the
    result is the same as a full export whatever moved between the files."""
    _check_incremental(app, session, exported_in_parts, tmp_path, change)


def _check_incremental(app, session, exported, tmp_path, change) -> None:
    before_files, before_times = _tree(exported), _mtimes(exported)
    CHANGES[change](session)
    report = export_site(app, exported)
    assert report.incremental and report.rendered < len(before_files) / 2, report
    _assert_link_sets_kept(exported)
    full = tmp_path / "full"
    export_site(app, full, full=True)
    after, expected = _tree(exported), _tree(full)
    assert sorted(after) == sorted(expected)
    for name, data in expected.items():
        assert after[name] == data, name
    assert after != before_files
    times = _mtimes(exported)
    for name, stamp in before_times.items():
        if name in after and after[name] == before_files[name]:
            assert times[name] == stamp, f"{name} rewritten with the same bytes"


def test_an_export_with_nothing_changed_renders_nothing(app, exported) -> None:
    times = _mtimes(exported)
    report = export_site(app, exported)
    assert report.incremental
    assert (report.rendered, report.written, report.removed) == (0, 0, 0)
    assert _mtimes(exported) == times


def test_a_published_item_appears_on_its_listings_and_an_archived_one_leaves(
    app, session, exported
) -> None:
    _publish(session)
    export_site(app, exported)
    page = exported / "press-releases/fresh-news/index.html"
    assert page.is_file()
    assert b"/press-releases/fresh-news/" in (exported / "index.html").read_bytes()
    assert b"fresh-news" in (exported / "topics/clusters/index.html").read_bytes()
    assert b"fresh-news" in (exported / "feed.xml").read_bytes()
    _item(session, "fresh-news").status = "archived"
    session.commit()
    report = export_site(app, exported)
    assert report.removed >= 1
    assert not page.exists()
    assert b"fresh-news" not in (exported / "index.html").read_bytes()


def _set_meta(out: Path, name: str, value: str) -> None:
    with closing(sqlite3.connect(out / MANIFEST)) as db, db:
        db.execute("UPDATE meta SET value = ? WHERE name = ?", (value, name))


def test_a_changed_template_or_setting_renders_everything_again(app, exported) -> None:
    _set_meta(exported, "fingerprint", "x")
    report = export_site(app, exported)
    assert not report.incremental and report.written == 0 and report.unchanged > 30


def test_a_manifest_of_another_format_renders_everything_and_rewrites_nothing(
    app, exported
) -> None:
    """An export made by an older comms: every page is rendered again (the notes
    it kept mean something else), but the files' hashes still spare the writes."""
    _set_meta(exported, "format", str(FORMAT - 1))
    report = export_site(app, exported)
    assert not report.incremental and report.rendered > 30
    assert report.written == 0 and report.unchanged > 30
    assert mf.dump(exported)["meta"]["format"] == str(FORMAT)
    assert export_site(app, exported).incremental


def test_the_json_manifest_of_an_older_comms_spares_the_writes(app, exported) -> None:
    """Formats 1 to 4 kept the manifest as one JSON file (`.comms-export.json`):
    the first export after the upgrade renders everything, writes no file whose
    bytes are the same, and leaves the new manifest in place of the old."""
    pages = mf.dump(exported)["pages"]
    times = _mtimes(exported)
    old = exported / ".comms-export.json"
    old.write_bytes(
        orjson.dumps(
            {"format": 4, "pages": {key: [page[0]] for key, page in pages.items()}}
        )
    )
    (exported / MANIFEST).unlink()
    report = export_site(app, exported)
    assert not report.incremental and report.written == 0 and report.unchanged > 30
    assert _mtimes(exported) == times
    assert not old.exists() and set(mf.dump(exported)["pages"]) == set(pages)


def _zero_the_pages(data: bytes) -> bytes:
    """The file with the first page of its table of pages zeroed: the tables
    read first (the format, the link sets) still answer, the pages do not."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.sqlite"
        copy.write_bytes(data)
        with closing(sqlite3.connect(copy)) as db:
            size = db.execute("PRAGMA page_size").fetchone()[0]
            (root,) = db.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = 'page'"
            ).fetchone()
    start = size * (root - 1)
    return data[:start] + bytes(size) + data[start + size :]


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[: len(data) // 2], lambda data: b"\xff" + data],
    ids=["cut short", "not sqlite"],
)
def test_a_damaged_manifest_renders_everything_again(app, exported, damage) -> None:
    """A manifest cut short (a copy stopped halfway) or not an SQLite file is no
    manifest: every page is rendered and written again, the same site, and
    a whole manifest is stored for the next export to go by."""
    before = {
        path: (exported / path).read_bytes() for path in _mtimes(exported)
    }  # fmt: skip
    manifest = exported / MANIFEST
    manifest.write_bytes(damage(manifest.read_bytes()))
    report = export_site(app, exported)
    assert not report.incremental and report.written == len(before) > 30
    assert {path: (exported / path).read_bytes() for path in before} == before
    assert mf.dump(exported)["meta"]["format"] == str(FORMAT)
    assert export_site(app, exported).incremental


def test_a_manifest_damaged_within_is_found_out_by_the_next_change(
    app, session, exported, tmp_path
) -> None:
    """A manifest whose table of pages is damaged, with the tables read first
    intact: the export after a change finds out when it asks for the pages, and
    renders everything again, the same site as a full export: the archived
    item's page, which the damaged manifest still lists, is removed."""
    manifest = exported / MANIFEST
    manifest.write_bytes(_zero_the_pages(manifest.read_bytes()))
    _archive(session)
    report = export_site(app, exported)
    assert not report.incremental and report.written > 30
    export_site(app, tmp_path / "full", full=True)
    assert _tree(exported) == _tree(tmp_path / "full")
    assert export_site(app, exported).incremental


def test_a_manifest_another_export_holds_stops_the_export_with_a_message(
    runner, exported
) -> None:
    """A manifest locked by another export is no damage: the export stops with
    one line saying so (after SQLite's wait), and renders and removes nothing."""
    times = _mtimes(exported)
    with closing(sqlite3.connect(exported / MANIFEST, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        result = runner.invoke(args=["static", "export", str(exported)])
        assert result.exit_code == 1, result.output
        assert "cannot be used now: database is locked" in result.output
        assert "--full builds a new one" in result.output
        assert _mtimes(exported) == times
        # one that stays out of reach: --full renders everything and replaces it
        result = runner.invoke(args=["static", "export", str(exported), "--full"])
        assert result.exit_code == 0, result.output
        other.execute("ROLLBACK")
    assert runner.invoke(args=["static", "export", str(exported)]).exit_code == 0
    assert mf.dump(exported)["meta"]["format"] == str(FORMAT)


def test_a_manifest_found_damaged_late_leaves_no_file_behind(
    app, session, exported, tmp_path, monkeypatch
) -> None:
    """Damage found late, after the pages a change shows on were written (here
    when the walk of every page reads them all): the export renders everything
    again, and removes what it had written meanwhile that no page is now (an
    item renamed and archived: its page under the new address answers, but no
    link leads to it)."""
    item = _item(session, "launch")
    item.slug, item.status = "launch-renamed", "archived"
    session.commit()
    pages = mf.Manifest.pages
    calls: list[int] = []

    def damaged_once(self):
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.DatabaseError("database disk image is malformed")
        return pages(self)

    monkeypatch.setattr(mf.Manifest, "pages", damaged_once)
    report = export_site(app, exported)
    assert not report.incremental and calls == [1]
    export_site(app, tmp_path / "full", full=True)
    assert _tree(exported) == _tree(tmp_path / "full")


def test_cli_full_option_renders_every_page(runner, exported) -> None:
    result = runner.invoke(args=["static", "export", str(exported), "--full"])
    assert result.exit_code == 0, result.output
    assert "0 written" in result.output


def test_a_publish_on_a_busy_topic_renders_no_older_page_on_it(
    app, session, exported, tmp_path
) -> None:
    """Related items are those published before: a new item joins no older page's
    Related box, and a backdated one only those of the few items just after it;
    every other page on the topic is left as it was, not rendered again."""
    for n in range(30):
        make_item(
            session, commit=False, slug=f"busy-{n}", tags=["busy"],
            published_at=past(40 - n),
        )  # fmt: skip
    session.commit()
    export_site(app, exported)

    def showing(slug: str) -> set[str]:
        return {
            path.parent.name
            for path in exported.glob("press-releases/busy-*/index.html")
            if path.parent.name != slug and f"/{slug}/".encode() in path.read_bytes()
        }

    make_item(session, slug="busy-new", tags=["busy"], published_at=past(0.5))
    report = export_site(app, exported)
    assert report.incremental
    assert showing("busy-new") == set()
    # 28 here: the new page, the listings, feeds and sitemap; none of the 30
    # pages on the topic (58 when every page on a topic listed its newest items)
    assert report.rendered <= 30, report
    # half a day after busy-28: newer than what busy-29 lists, older than busy-29
    make_item(session, slug="busy-back", tags=["busy"], published_at=past(11.5))
    report = export_site(app, exported)
    assert showing("busy-back") == {"busy-29", "busy-new"}
    assert report.rendered <= 32, report
    full = tmp_path / "full"
    export_site(app, full, full=True)
    assert _tree(exported) == _tree(full)


# An item's URL in a sitemap file.
_ITEM_LOC = re.compile(
    rb"<loc>[^<]*/(?:press-releases|reports|videos|events)/[^/<?]+/[^<]*</loc>"
)


def _sitemap_files(out: Path) -> tuple[list[Path], list[Path]]:
    """The sitemap's files in order, and those among them listing items."""
    parts = sorted(out.glob("sitemap-*.xml"), key=lambda p: int(p.stem.split("-")[1]))
    return parts, [p for p in parts if _ITEM_LOC.search(p.read_bytes())]


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """The paths the export fetches from now on, in order."""
    crawl = importlib.import_module("comms.static_export.crawl")
    paths: list[str] = []
    fetch = crawl._fetch
    monkeypatch.setattr(
        crawl,
        "_fetch",
        lambda client, path: (paths.append(path), fetch(client, path))[1],
    )
    return paths


def test_a_publish_renders_no_sitemap_file_of_older_items_but_the_last(
    app, session, exported_in_parts, fetched
) -> None:
    """Items are listed by id: a new one lands in the last file, and the files of
    older items are not rendered again (those of the other pages are: a new item
    may bring a new topic's page)."""
    out = exported_in_parts
    parts, with_items = _sitemap_files(out)
    assert len(with_items) >= 3
    _publish(session)
    export_site(app, out)
    again = {path for path in fetched if path.startswith("/sitemap-")}
    assert again == {f"/{p.name}" for p in parts if p not in with_items[:-1]}
    assert b"/press-releases/fresh-news/" in with_items[-1].read_bytes()


def test_items_filling_a_new_sitemap_file_render_no_older_file_of_items(
    app, session, exported_in_parts, tmp_path, fetched
) -> None:
    """When the items fill a new file, it takes the place of the first file of
    the other pages, which move one file on: the files of older items stay as
    they were, unrendered, and the result equals a full export."""
    out = exported_in_parts
    parts, with_items = _sitemap_files(out)
    listed = sum(len(_ITEM_LOC.findall(p.read_bytes())) for p in with_items)
    room = 12 * len(with_items) - listed  # left in the last file of items
    for n in range(room + 1):  # one URL each (one language)
        make_item(session, commit=False, slug=f"filler-{n}")
    session.commit()
    before = {p.name: p.read_bytes() for p in with_items[:-1]}
    report = export_site(app, out)
    assert report.incremental
    again = {path for path in fetched if path.startswith("/sitemap-")}
    assert not again & {f"/{name}" for name in before}
    assert {p.name: p.read_bytes() for p in with_items[:-1]} == before
    new_part = out / f"sitemap-{len(with_items) + 1}.xml"
    assert b"/press-releases/filler-" in new_part.read_bytes()
    assert (out / f"sitemap-{len(parts) + 1}.xml").is_file()  # the others moved on
    full = tmp_path / "full"
    export_site(app, full, full=True)
    assert _tree(out) == _tree(full)


def test_only_a_change_that_may_strand_a_page_walks_the_whole_site(
    app, session, exported, monkeypatch
) -> None:
    """A publish pushes an older item off the news page, whose page the sitemap
    still leads to: no page can be left unlinked, and the export does not walk
    every page to find out. An archive takes the item's page off every listing
    and the sitemap: the walk finds the page unlinked and leaves it out."""
    export = importlib.import_module("comms.static_export.export")
    walks: list[int] = []
    walk = export._drop_unreachable
    monkeypatch.setattr(
        export, "_drop_unreachable", lambda manifest: (walks.append(1), walk(manifest))
    )
    before = (exported / "index.html").read_bytes()
    _publish(session)
    report = export_site(app, exported)
    assert report.incremental and (exported / "index.html").read_bytes() != before
    assert walks == []
    assert (exported / "press-releases/fresh-news/index.html").is_file()
    _item(session, "fresh-news").status = "archived"
    session.commit()
    export_site(app, exported)
    assert walks == [1]
    assert not (exported / "press-releases/fresh-news/index.html").exists()


def test_a_new_item_reaches_the_last_sitemap_file_whatever_the_notes_say(
    app, session, exported_in_parts, tmp_path
) -> None:
    """A version in another language may share an early file's item's slug, and
    so have an id as high as the last file's items: the new item still lands in
    the last file of items, as in a full export."""
    out = exported_in_parts
    first = re.search(
        rb"<loc>[^<]*/[a-z-]+/([^/<?]+)/</loc>", (out / "sitemap-1.xml").read_bytes()
    )
    assert first is not None
    item = session.scalars(
        select(Item).where(Item.slug == first.group(1).decode())
    ).one()
    make_item(
        session, kind=item.kind, slug=item.slug, translation=item.translation,
        language="de",
    )  # fmt: skip
    assert export_site(app, out).incremental
    make_item(session, slug="brand-new-item")
    assert export_site(app, out).incremental
    assert b"/press-releases/brand-new-item/" in b"".join(
        path.read_bytes() for path in _sitemap_files(out)[1]
    )
    full = tmp_path / "full"
    export_site(app, full, full=True)
    assert _tree(out) == _tree(full)


@pytest.mark.parametrize("end", [timedelta(minutes=1), None])
def test_an_event_that_ends_moves_to_the_past_with_nothing_else_changed(
    app, session, store, tmp_path, end
) -> None:
    """The clock alone moves an event from the upcoming ones to the past ones,
    by its end or, with none, its start: the next export shows it there, as a
    full export at the same time does (the demo's scheduled item is still not
    due two minutes on)."""
    start = datetime.now(UTC).replace(microsecond=0)
    with freeze_time(start) as clock:
        make_item(
            session, kind="event", slug="closing-conference",
            starts_at=start + (-timedelta(hours=2) if end else timedelta(minutes=1)),
            ends_at=start + end if end else None,
        )  # fmt: skip
        out = _export_demo(app, session, store, tmp_path)
        listing = (out / "events" / "index.html").read_bytes()
        assert export_site(app, out).rendered == 0
        clock.tick(timedelta(minutes=2))
        report = export_site(app, out)
        assert report.incremental and report.rendered > 0
        export_site(app, tmp_path / "full", full=True)
    after = _tree(out)
    assert after == _tree(tmp_path / "full")
    assert after["events/index.html"] != listing
    assert b"/press-releases/later/" not in after["index.html"]


def test_an_event_that_starts_is_seen_by_the_next_export(
    app, session, store, tmp_path
) -> None:
    """An event under way moves neither listing, but its placement changes with
    the clock alone: the next export reads it again (its record in the manifest
    is a full export's) though nothing was stamped."""
    start = datetime.now(UTC).replace(microsecond=0)
    with freeze_time(start) as clock:
        make_item(
            session, kind="event", slug="opening-workshop",
            starts_at=start + timedelta(minutes=1),
            ends_at=start + timedelta(hours=3),
        )  # fmt: skip
        out = _export_demo(app, session, store, tmp_path)
        clock.tick(timedelta(minutes=2))
        assert export_site(app, out).incremental
        export_site(app, tmp_path / "full", full=True)
    assert _tree(out) == _tree(tmp_path / "full")


@pytest.fixture
def snapshots(monkeypatch) -> list[Any]:
    """The catalogue snapshots the exports take from now on."""
    taken: list[Any] = []
    take = CatalogueSource.snapshot

    def keep(self, app, mark=None):  # type: ignore[no-untyped-def]
        taken.append(take(self, app, mark))
        return taken[-1]

    monkeypatch.setattr(CatalogueSource, "snapshot", keep)
    return taken


def _item_records(snapshot: Any) -> set[str]:
    return {key for key in snapshot.records if key.startswith("item:")}


def test_an_export_after_a_publish_reads_only_the_group_published(
    app, session, exported, snapshots
) -> None:
    """The catalogue's rows are read for the groups stamped since the last
    export (and the newsletter issues, a few), not for every item."""
    _publish(session)
    report = export_site(app, exported)
    assert report.incremental and report.written > 0
    assert len(snapshots) == 1 and snapshots[0].partial
    assert _item_records(snapshots[0]) == {"item:press_release:fresh-news"}
    assert export_site(app, exported).rendered == 0
    assert _item_records(snapshots[1]) == set()


@pytest.mark.parametrize("counter", ["value - 1", "value + 100"])
def test_another_database_reads_every_record(
    app, session, exported, snapshots, tmp_path, counter
) -> None:
    """A database made anew (its first item another, its change counter behind
    or ahead of the last export's): the export reads every record, not only
    those stamped since a version that counted another database's changes."""
    with session.get_bind().begin() as conn:
        catalogue = "WHERE name = 'catalogue'"
        conn.execute(text(f"UPDATE site_state SET value = {counter} {catalogue}"))
        first = "(SELECT min(id) FROM item)"
        conn.execute(text(f"UPDATE item SET uid = 'another' WHERE id = {first}"))
    _edit(session)
    export_site(app, exported)
    assert not snapshots[0].partial
    assert len(_item_records(snapshots[0])) > 10
    export_site(app, tmp_path / "full", full=True)
    assert _tree(exported) == _tree(tmp_path / "full")


def test_a_group_whose_key_is_a_hash_reads_every_record(
    app, session, exported, snapshots, tmp_path
) -> None:
    """A translation group too long for a page key is stamped by its hash, which
    does not name it: the export reads every record rather than miss it."""
    long_group = "a-very-long-translation-group-" + "x" * 160
    make_item(session, slug="long-group", translation=long_group, tags=["clusters"])
    export_site(app, exported)
    assert not snapshots[0].partial
    assert f"item:press_release:{long_group}" in snapshots[0].records
    export_site(app, tmp_path / "full", full=True)
    assert _tree(exported) == _tree(tmp_path / "full")


def test_what_the_clock_moved_is_found_by_index(app, session) -> None:
    """Which items the clock moved since the last export, and the latest such
    time, are index ranges on SQLite (every row read: 390 ms at 100,000 items)."""
    make_item(session, kind="event", slug="seminar", starts_at=past(2), ends_at=past(1))
    engine = app.extensions["comms"].engine
    source = CatalogueSource()
    first = source.snapshot(app)
    with sqlite_plans(
        engine, lambda sql: "max(item.starts_at)" in sql or "item.starts_at > ?" in sql
    ) as plans:
        assert source.snapshot(app, first.mark).partial
    if engine.dialect.name != "sqlite":
        return
    assert len(plans) == 2, plans
    for plan in plans:
        assert "SCAN item" not in plan and "ix_item_starts_at" in plan, plan
        assert "ix_item_ends_at" in plan, plan


def test_a_database_restored_and_changed_again_reads_every_record(
    app, session, exported, snapshots, tmp_path
) -> None:
    """A backup restored, then changed as often as the database had been since:
    the counter is back where the last export saw it, but not the same history
    (the random number each version draws tells), so every record is read."""
    columns = "title, version, updated_at"
    with session.get_bind().connect() as conn:
        backup = conn.execute(
            text(f"SELECT {columns} FROM item WHERE slug = 'policy-report'")
        ).one()
    _edit(session)  # the change the backup does not hold
    export_site(app, exported)
    with session.get_bind().begin() as conn:  # the restore
        conn.execute(
            text("UPDATE site_state SET value = value - 1 WHERE name = 'catalogue'")
        )
        conn.execute(
            text(
                "UPDATE item SET title = :title, version = :version,"
                " updated_at = :updated_at WHERE slug = 'policy-report'"
            ),
            backup._asdict(),
        )
    _retag(session)  # the counter climbs back
    snapshots.clear()
    export_site(app, exported)
    assert not snapshots[0].partial
    export_site(app, tmp_path / "full", full=True)
    assert _tree(exported) == _tree(tmp_path / "full")


def test_a_change_that_shows_nowhere_moves_the_mark_all_the_same(
    app, session, exported, tmp_path
) -> None:
    """A draft made and deleted between two exports renders nothing, and the
    manifest still equals a full export's (its mark is the database's now)."""
    draft = make_item(
        session, slug="second-thoughts", status="draft", published_at=None
    )
    session.delete(draft)
    session.commit()
    report = export_site(app, exported)
    assert report.incremental and report.rendered == 0
    export_site(app, tmp_path / "full", full=True)
    assert _tree(exported) == _tree(tmp_path / "full")


def test_a_clock_gone_back_reads_every_record(
    app, session, exported, snapshots
) -> None:
    """An export whose clock is behind what the last one saw come due (another
    host, a clock set back) cannot tell what is due: it reads every record."""
    with freeze_time(datetime.now(UTC) - timedelta(days=3)):
        export_site(app, exported)
    assert not snapshots[0].partial
