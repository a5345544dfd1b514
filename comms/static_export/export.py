"""Writing the export: everything the first time, then only what changed.

A full export crawls the whole site (`crawl.iter_pages`). Its manifest records, per
file, the record owning it and the records it links to, and per record its state
(`sources`). The next export compares the records with the database: when none
changed it renders nothing; when some did, it renders only the pages that can show
them (their own pages in every language, the pages linking them, the listings,
feeds and sitemap of their scopes, the pages their source says they may now join)
and the pages newly linked from those, and removes what no longer answers. The
manifest is indexed (`manifest`): such an export reads and writes only the rows
of the pages and records it touches. When the code, templates, static files, site
identity or settings changed, or the manifest is missing or damaged, it renders
everything.
"""

from __future__ import annotations

import gc
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import FileSystemBytecodeCache

from comms import cache
from comms.static_export import manifest as mf
from comms.static_export.crawl import SEEDS, Links, iter_pages, output_path
from comms.static_export.sources import SITEMAP_PART, Record, Snapshot, sources_of

# Fewer pages than this to render: in this process rather than forked workers.
_FORK_FROM = 400


@dataclass(frozen=True)
class ExportReport:
    """What an export did."""

    written: int
    unchanged: int
    removed: int
    skipped: int
    rendered: int = 0
    incremental: bool = False

    @property
    def total(self) -> int:
        """Files the export holds."""
        return self.written + self.unchanged


class _Content:
    """Every source's records now, and where each owned path belongs.

    Given the last export's manifest (``previous``), a source may read only the
    records changed since its mark there (a partial snapshot): the others keep
    their entries of that manifest, and the owner of a path is asked of it."""

    def __init__(self, app: Flask, previous: mf.Manifest | None = None) -> None:
        marks = previous.marks if previous is not None else {}
        self.snapshots: dict[str, Snapshot] = {
            source.name: source.snapshot(app, marks.get(source.name))
            for source in sources_of(app)
        }
        self.records: dict[str, Record] = {}
        self.hashed: dict[str, tuple[str, str]] = {}
        self.owners: dict[str, str] = {}
        self.source_of: dict[str, str] = {}
        self._resolved: dict[str, str] = {}  # path -> owner, asked of partial ones
        self._partial = [
            name for name, snapshot in self.snapshots.items() if snapshot.partial
        ]
        for name, snapshot in self.snapshots.items():
            for key, record in snapshot.records.items():
                full = f"{name}:{key}"
                self.records[full] = record
                self.hashed[full] = (_short(record.state), _short(record.placement))
                self.source_of[full] = name
                if not snapshot.partial:
                    for owned in record.owns:
                        self.owners.setdefault(owned, full)
        # The last manifest's records read again and found gone; those not read
        # (of a partial snapshot) keep their entries.
        self.gone: set[str] = set()
        if previous is not None:
            for name, snapshot in self.snapshots.items():
                prefix = f"{name}:"
                mine = [key[len(prefix) :] for key in previous.record_keys(prefix)]
                self.gone.update(
                    full
                    for key in snapshot.checked(mine)
                    if (full := prefix + key) not in self.records
                )

    def compared(self) -> set[str] | None:
        """The keys whose entries may differ from the last manifest's (None:
        any of them)."""
        return set(self.hashed) | self.gone if self._partial else None

    def marks(self) -> dict[str, Any]:
        """What each source keeps for the next export's snapshot."""
        return {name: snapshot.mark for name, snapshot in self.snapshots.items()}

    def owner(self, path: str) -> str:
        """The record owning ``path`` (by its path prefixes), or ""."""
        end = path.find("/", 1)
        while end != -1:
            found = self.owners.get(path[: end + 1])
            if found is not None:
                return found
            end = path.find("/", end + 1)
        if not self._partial:
            return ""
        if path not in self._resolved:
            self._resolve([path])
        return self._resolved[path]

    def _resolve(self, paths: list[str]) -> None:
        """Ask the partial snapshots who owns the paths not asked yet (at once)."""
        wanted = [path for path in paths if path not in self._resolved]
        for path in wanted:
            self._resolved[path] = ""
        for name in self._partial:
            for path, key in self.snapshots[name].owners(wanted).items():
                if not self._resolved[path]:
                    self._resolved[path] = f"{name}:{key}"
                    self.source_of.setdefault(self._resolved[path], name)

    def owns(self, key: str) -> tuple[str, ...] | None:
        """The path prefixes of record ``key``'s own pages (None: no such record)."""
        record = self.records.get(key)
        if record is not None:
            return record.owns
        name = self.source_of.get(key) or next(
            (name for name in self._partial if key.startswith(f"{name}:")), None
        )
        if name is None or key in self.gone:
            return None
        return self.snapshots[name].owns_of(key[len(name) + 1 :])

    def page(
        self, manifest: mf.Manifest, path: str, digest: str, links: Links, body: bytes
    ) -> mf.Page:
        """The manifest's entry for a page just rendered."""
        follow, shown = links
        if self._partial:
            self._resolve([path, *follow, *shown])
        owner = self.owner(path)
        shows = {self.owner(link) for link in shown} - {owner, ""}
        owned = sorted(link for link in follow if self.owner(link))
        others = frozenset(link for link in follow if not self.owner(link))
        note = None
        if owner:
            snapshot = self.snapshots[self.source_of[owner]]
            note = snapshot.note(path, body)
        else:  # a page of no record's own (a sitemap file): whichever source notes
            note = next(
                (
                    found
                    for snapshot in self.snapshots.values()
                    if (found := snapshot.note(path, body)) is not None
                ),
                None,
            )
        linkset = manifest.intern(others) if others else -1
        return mf.Page(digest, path, owner, sorted(shows), owned, linkset, note)

    def scope_of(self, path: str) -> set[str]:
        """Every source's scope for a page no record owns."""
        return {snapshot.scope_of(path) for snapshot in self.snapshots.values()}

    def fresh(self) -> dict[str, list[Any]]:
        """The records read, as the manifest keeps them (states as short hashes)."""
        return {
            key: [*self.hashed[key], sorted(record.scopes)]
            for key, record in self.records.items()
        }


def _short(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class _Writer:
    """Writes files whose hash changed and keeps the counts."""

    def __init__(
        self, out: Path, previous: mf.Manifest, keys: set[str] | None = None
    ) -> None:
        self.out = out
        self.previous = previous
        self.written = self.unchanged = self.skipped = self.removed = 0
        self.keys: set[str] = set() if keys is None else keys  # the files written

    def put(self, key: str, body: bytes) -> str:
        """Write ``body`` at ``key`` unless the same bytes are there; its hash."""
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        target = self.out / key
        if self.previous.digest_of(key) == digest and target.exists():
            self.unchanged += 1
        else:
            cache.write_atomic(str(target), body)
            self.written += 1
            self.keys.add(key)
        return digest

    def drop(self, key: str) -> None:
        """Remove the file at ``key`` if there is one."""
        target = self.out / key
        if target.is_file():
            target.unlink()
            self.removed += 1


def export_site(
    app: Flask,
    out: Path,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    full: bool = False,
) -> ExportReport:
    """Write the public site under ``out``; render and write only what changed.

    ``workers`` > 1 renders the pages in that many forked processes; ``full``
    renders every page even when the manifest says little changed (a file is
    still written only when its bytes differ).
    """
    try:
        return _export(app, out, progress, workers, full)
    except sqlite3.Error as error:
        if mf.unavailable(error):  # the manifest's file, out of reach
            raise mf.ManifestUnavailable(out / mf.MANIFEST, error) from error
        raise
    finally:
        # What the export kept from the cycle collector (see _bulk) is its again:
        # a cycle frozen meanwhile (a test's, a connection's) is collected.
        gc.unfreeze()


def _export(
    app: Flask,
    out: Path,
    progress: Callable[[str], None] | None,
    workers: int,
    full: bool,
) -> ExportReport:
    out.mkdir(parents=True, exist_ok=True)
    _keep_compiled_templates(app)
    try:
        previous = mf.read(out)
    except mf.ManifestUnavailable:
        if not full:
            raise
        previous = mf.Manifest()  # --full builds a new one in its place
    written: set[str] = set()  # files an export after a change wrote
    try:
        with _bulk():
            fingerprint = mf.fingerprint(app)
        try:
            follows = (
                not full and previous.fingerprint == fingerprint and previous.has_pages
            )
            if follows:
                with _bulk():
                    content = _Content(app, previous)
                return _incremental(
                    app, out, previous, content, progress, workers, written
                )
            previous.load_digests()
        except (sqlite3.Error, ValueError) as error:
            if not mf.damaged(error):
                raise
            # damaged past the first pages read: render everything again, and
            # remove what the export after a change wrote that no page is now
            previous = previous.salvaged()
            previous.hashes_only.update(dict.fromkeys(written - previous.keys(), ""))
        with _bulk():
            content = _Content(app)
        return _everything(app, out, previous, content, fingerprint, progress, workers)
    finally:
        previous.close()


def _everything(
    app: Flask,
    out: Path,
    previous: mf.Manifest,
    content: _Content,
    fingerprint: str,
    progress: Callable[[str], None] | None,
    workers: int,
) -> ExportReport:
    """Render every page; write those whose bytes changed."""
    writer = _Writer(out, previous)
    linksets = mf.Manifest()  # this export's link sets
    pages: dict[str, mf.Page] = {}
    rendered = 0
    for url_path, body, links in iter_pages(app, progress, workers):
        assert body is not None  # the seeds answer
        rendered += 1
        try:
            key = str(output_path(url_path))
        except ValueError:
            writer.skipped += 1
            continue
        if key in pages:  # `/x` and `/x/` collide on a static host
            writer.skipped += 1
            continue
        digest = writer.put(key, body)
        pages[key] = content.page(linksets, url_path, digest, links, body)
    with _bulk():
        for key in previous.keys() - set(pages):
            writer.drop(key)
        previous.close()
        mf.create(
            out, fingerprint, content.fresh(), content.marks(), pages, linksets.linksets
        )
    return ExportReport(
        writer.written, writer.unchanged, writer.removed, writer.skipped, rendered
    )


@contextmanager
def _bulk() -> Iterator[None]:
    """Reading, comparing and writing the records and the manifest makes and
    drops a few hundred thousand small objects, none of them in reference
    cycles, while Python's cycle collector walks every object again and again
    (1.2 s of the 3.7 s a catalogue of 100,000 items took to read): it is off
    meanwhile (not while pages render: a request may leave cycles). What was
    made is then kept out of its sight (`gc.freeze`, as the app does at
    start-up): else the first collections while pages render walk all of it
    (2.5 s). Frozen objects are still freed when the export drops them, as
    none is in a cycle; `export_site` thaws them all when it ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _keep_compiled_templates(app: Flask) -> None:
    """Keep the templates' compiled code between exports: an export run from the
    command line after a publish renders a few dozen pages, and compiling the
    templates they use took longer than rendering them."""
    if app.jinja_env.bytecode_cache is None:
        folder = (
            Path(app.extensions["comms"].settings.instance_path) / "templates-compiled"
        )
        folder.mkdir(parents=True, exist_ok=True)
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(folder))


def _changed(
    old: Mapping[str, list[Any]],
    new: Mapping[str, tuple[str, str]],
    keys: set[str] | None = None,
) -> tuple[set[str], set[str]]:
    """Records whose state changed, and those among them whose placement did
    (of ``keys``, when given: the others are known to be the same)."""
    changed: set[str] = set()
    moved: set[str] = set()
    for key in old.keys() | new.keys() if keys is None else keys:
        before, now = old.get(key), new.get(key)
        if before is None or now is None:
            changed.add(key)
            moved.add(key)
        else:
            state, placement = now
            if before[0] != state or before[1] != placement:
                changed.add(key)
                if before[1] != placement:
                    moved.add(key)
    return changed, moved


def _targets(
    previous: mf.Manifest, content: _Content, changed: set[str], moved: set[str]
) -> list[str]:
    """The paths to render again: every page that can show a change."""
    scopes: set[str] = set()
    before = previous.records(moved)
    for key in moved:
        if key in before:
            scopes.update(before[key][2])
        if key in content.records:
            scopes.update(content.records[key].scopes)
    # The pages of the changed records and those showing them.
    targets = previous.urls_owned_by(changed) | previous.urls_showing(changed)
    # The sitemap: its index (or the whole of it) changes when anything is listed
    # or unlisted; one of its files when it shows a changed record or a source's
    # note says so (see Snapshot.affected). Listings and feeds: when their scope
    # may list or unlist a record.
    for url in previous.unowned_urls() if moved else ():
        if url == "/sitemap.xml" or (
            not SITEMAP_PART.fullmatch(url) and content.scope_of(url) & scopes
        ):
            targets.add(url)
    for name, snapshot in content.snapshots.items():
        prefix = f"{name}:"
        entering = [key[len(prefix) :] for key in moved if key.startswith(prefix)]
        if entering:
            targets.update(snapshot.affected(entering, previous.notes(prefix)))
    for key in changed:  # their pages at their (new) addresses
        if key in content.records:
            targets.update(content.records[key].owns)
    return sorted(targets)


class _Pages:
    """The pages of an export after a change: the last export's, but those
    rendered again (``dropped`` until they answer), and those rendered now
    (``fresh``)."""

    def __init__(self, previous: mf.Manifest) -> None:
        self.previous = previous
        self.fresh: dict[str, mf.Page] = {}
        self.dropped: set[str] = set()
        self._fresh_at: dict[str, str] = {}  # URL -> key
        self._old_at: dict[str, str | None] = {}  # URL -> key in the last export

    def old_key(self, url: str) -> str | None:
        """The key of the page at ``url`` in the last export, if any."""
        if url not in self._old_at:
            self._old_at[url] = self.previous.key_at(url)
        return self._old_at[url]

    def look_up(self, urls: Iterable[str]) -> None:
        """Ask the last export for the keys of ``urls`` at once."""
        wanted = [url for url in urls if url not in self._old_at]
        found = self.previous.keys_at(wanted)
        for url in wanted:
            self._old_at[url] = found.get(url)

    def key_at(self, url: str) -> str | None:
        """The key of the page at ``url`` now, if any."""
        key = self._fresh_at.get(url)
        if key is None:
            key = self.old_key(url)
            if key is not None and key in self.dropped:
                key = None
        return key

    def __contains__(self, key: str) -> bool:
        return key in self.fresh or (
            key not in self.dropped and self.previous.digest_of(key) is not None
        )

    def drop(self, key: str) -> None:
        """Leave out the page at ``key``."""
        self.dropped.add(key)
        page = self.fresh.pop(key, None)
        if page is not None:
            del self._fresh_at[page.url]

    def add(self, key: str, page: mf.Page) -> None:
        """Keep ``page`` at ``key``."""
        self.fresh[key] = page
        self._fresh_at[page.url] = key

    def links(self, url: str) -> frozenset[str]:
        """Every path the page at ``url`` links to now (none if no page)."""
        key = self.key_at(url)
        if key is None:
            return frozenset()
        page = self.fresh.get(key)
        if page is None:
            return self.previous.links(key)
        return self.previous.links_of(page).union(page.owned)

    def count(self) -> int:
        """How many pages there are now."""
        kept = self.dropped - self.fresh.keys()
        new = [key for key in self.fresh if self.previous.digest_of(key) is None]
        gone = sum(1 for key in kept if self.previous.digest_of(key) is not None)
        return self.previous.page_count() - gone + len(new)


def _incremental(
    app: Flask,
    out: Path,
    previous: mf.Manifest,
    content: _Content,
    progress: Callable[[str], None] | None,
    workers: int,
    written: set[str],
) -> ExportReport:
    """Render the pages that can show a change (``written``: the keys of the
    files written, kept up to date as they are)."""
    with _bulk():
        compared = content.compared()
        changed, moved = _changed(previous.records(compared), content.hashed, compared)
        if not changed:
            if content.marks() != previous.marks:  # changes that show nowhere
                previous.save(
                    out, {}, (), content.fresh(), content.gone, content.marks()
                )
            return ExportReport(0, previous.page_count(), 0, 0, 0, incremental=True)
        targets = _targets(previous, content, changed, moved)
        now = _Pages(previous)
        now.look_up(targets)
        for url in targets:
            if (key := now.old_key(url)) is not None:
                now.drop(key)
    writer = _Writer(out, previous, written)
    done: set[str] = set()

    def known(url: str) -> bool:
        return now.old_key(url) is not None

    for url_path, body, links in iter_pages(
        app,
        progress,
        workers if len(targets) >= _FORK_FROM else 1,
        seeds=targets,
        known=known,
    ):
        done.add(url_path)
        if body is None:
            continue
        try:
            key = str(output_path(url_path))
        except ValueError:
            writer.skipped += 1
            continue
        if key in now:
            writer.skipped += 1
            continue
        digest = writer.put(key, body)
        now.add(key, content.page(previous, url_path, digest, links, body))
    with _bulk():
        if _may_strand(now, content, done):
            _drop_unreachable(now)
        for key in now.dropped | writer.keys:
            if key not in now:
                writer.drop(key)
        previous.save(
            out, now.fresh, now.dropped, content.fresh(), content.gone, content.marks()
        )
    kept = sum(1 for key in writer.keys if key in now.fresh)
    return ExportReport(
        kept,
        now.count() - kept,
        writer.removed,
        writer.skipped,
        len(done),
        incremental=True,
    )


def _may_strand(now: _Pages, content: _Content, urls: set[str]) -> bool:
    """Whether rendering ``urls`` again may have left a page no link leads to, so
    that the walk of every page (1 s at 100,000 items) is needed to find it.

    Not when every link a page rendered again no longer has, and every page new
    to the export, leads to a page still surely reached: a seed, a page a seed
    links to, one those link to (every item page, from the sitemap's files), or
    a page of the same record's own that one of those links to (an item's cover
    from its page). A
    publish, which pushes an older item off the first page of a listing, then
    needs no walk; an archive (its item's page linked from no listing any more)
    does."""
    previous = now.previous
    open_ends: set[str] = set()  # links to pages that must still be reached
    for url in urls:
        old = now.old_key(url)
        if old is not None:
            open_ends |= previous.links(old) - now.links(url)
        elif now.key_at(url) is not None:
            open_ends.add(url)  # new to the export
    now.look_up(open_ends)
    open_ends = {url for url in open_ends if now.key_at(url) is not None}
    if not open_ends:
        return False
    # The seeds and the pages they link to; those rendered now, and the keys of
    # the others (asked of the last export for the pages they link to).
    first = {url for url in SEEDS if now.key_at(url) is not None}
    for url in list(first):
        first |= now.links(url)
    now.look_up(first)
    first = {url for url in first if now.key_at(url) is not None}
    fresh_links = frozenset().union(
        *(now.links(url) for url in first if now.key_at(url) in now.fresh)
    )
    linked_from_kept = previous.linked_from(
        [key for url in first if (key := now.key_at(url)) and key not in now.fresh]
    )

    def sure(url: str) -> bool:
        return url in first or url in fresh_links or linked_from_kept(url)

    for url in open_ends:
        if sure(url):
            continue
        owner = content.owner(url)
        homes = content.owns(owner) if owner else None
        if homes is None or not any(
            now.key_at(home) is not None and sure(home) and url in now.links(home)
            for home in homes
        ):
            return True
    return False


def _drop_unreachable(now: _Pages) -> None:
    """Leave out the pages no link leads to from the seeds any more (an archived
    item's page answers, but a full crawl would not reach it)."""
    pages = {
        key: page
        for key, page in now.previous.pages().items()
        if key not in now.dropped
    }
    pages.update(now.fresh)
    by_url = {page.url: key for key, page in pages.items()}
    reached: set[str] = set()
    expanded: set[int] = set()
    todo = [url for url in SEEDS if url in by_url]
    while todo:
        url = todo.pop()
        if url in reached:
            continue
        reached.add(url)
        page = pages[by_url[url]]
        todo.extend(link for link in page.owned if link in by_url)
        if page.linkset >= 0 and page.linkset not in expanded:
            expanded.add(page.linkset)
            todo.extend(
                link for link in now.previous.linkset(page.linkset) if link in by_url
            )
    for url, key in by_url.items():
        if url not in reached:
            now.drop(key)
