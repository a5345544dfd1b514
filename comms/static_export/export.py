"""Writing the export: everything the first time, then only what changed.

A full export crawls the whole site (`crawl.iter_pages`). Its manifest records, per
file, the record owning it and the records it links to, and per record its state
(`sources`). The next export compares the records with the database: when none
changed it renders nothing; when some did, it renders only the pages that can show
them (their own pages in every language, the pages linking them, the listings,
feeds and sitemap of their scopes, the pages their source says they may now join)
and the pages newly linked from those, and removes what no longer answers. When
the code, templates, static files, site identity or settings changed, or the
manifest is missing, it renders everything.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Mapping
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

    Given the marks the last export kept (its sources' own, ``marks``), a source
    may read only the records changed since (a partial snapshot): the others keep
    their entries of the last manifest (``previous``), and the owner of a path
    is asked of it."""

    def __init__(
        self,
        app: Flask,
        marks: Mapping[str, Any] | None = None,
        previous: Mapping[str, list[Any]] | None = None,
    ) -> None:
        self.snapshots: dict[str, Snapshot] = {
            source.name: source.snapshot(app, (marks or {}).get(source.name))
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
        # With a partial snapshot, the last manifest's entries stand for the
        # records not read, but for those read and found gone.
        self.base: Mapping[str, list[Any]] = (previous or {}) if self._partial else {}
        self.gone: set[str] = set()
        for name, snapshot in self.snapshots.items() if self._partial else ():
            prefix = f"{name}:"
            mine = [key[len(prefix) :] for key in self.base if key.startswith(prefix)]
            read = snapshot.checked(mine) if snapshot.partial else mine
            self.gone.update(
                full for key in read if (full := prefix + key) not in self.records
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

    def as_json(self) -> dict[str, list[Any]]:
        """The records as the manifest keeps them (states as short hashes)."""
        fresh = {
            key: [*self.hashed[key], sorted(record.scopes)]
            for key, record in self.records.items()
        }
        if not self.base:
            return fresh
        kept = {key: entry for key, entry in self.base.items() if key not in self.gone}
        return kept | fresh


def _short(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class _Writer:
    """Writes files whose hash changed and keeps the counts."""

    def __init__(self, out: Path, previous: mf.Manifest) -> None:
        self.out = out
        self.previous = previous
        self.written = self.unchanged = self.skipped = self.removed = 0
        self.keys: set[str] = set()

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
    with _bulk():
        previous = mf.read(out)
        fingerprint = mf.fingerprint(app)
        follows = (
            not full and bool(previous.pages) and previous.fingerprint == fingerprint
        )
        content = (
            _Content(app, previous.marks, previous.records)
            if follows
            else _Content(app)
        )
    if follows:
        return _incremental(app, out, previous, content, progress, workers)
    writer = _Writer(out, previous)
    current = mf.Manifest(fingerprint, content.as_json(), marks=content.marks())
    rendered = 0
    for url_path, body, links in iter_pages(app, progress, workers):
        assert body is not None  # the seeds answer
        rendered += 1
        try:
            key = str(output_path(url_path))
        except ValueError:
            writer.skipped += 1
            continue
        if key in current.pages:  # `/x` and `/x/` collide on a static host
            writer.skipped += 1
            continue
        digest = writer.put(key, body)
        current.pages[key] = content.page(current, url_path, digest, links, body)
    with _bulk():
        for key in previous.keys() - set(current.pages):
            writer.drop(key)
        mf.write(out, current)
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
    for key in moved:
        if key in previous.records:
            scopes.update(previous.records[key][2])
        if key in content.records:
            scopes.update(content.records[key].scopes)
    targets: set[str] = set()
    # The sitemap: its index (or the whole of it) changes when anything is listed
    # or unlisted; one of its files when it shows a changed record or a source's
    # note says so (see Snapshot.affected).
    for page in previous.pages.values():
        if page.owner:
            hit = page.owner in changed
        elif page.url == "/sitemap.xml":
            hit = bool(moved)
        elif SITEMAP_PART.fullmatch(page.url):
            hit = False
        else:
            hit = bool(moved) and bool(content.scope_of(page.url) & scopes)
        if hit or not changed.isdisjoint(page.shows):
            targets.add(page.url)
    for name, snapshot in content.snapshots.items():
        prefix = f"{name}:"
        entering = [key[len(prefix) :] for key in moved if key.startswith(prefix)]
        if entering:
            notes = {
                page.url: page.note
                for page in previous.pages.values()
                if page.note is not None
                and (page.owner.startswith(prefix) or not page.owner)
            }
            targets.update(snapshot.affected(entering, notes))
    for key in changed:  # their pages at their (new) addresses
        if key in content.records:
            targets.update(content.records[key].owns)
    return sorted(targets)


def _incremental(
    app: Flask,
    out: Path,
    previous: mf.Manifest,
    content: _Content,
    progress: Callable[[str], None] | None,
    workers: int,
) -> ExportReport:
    with _bulk():
        changed, moved = _changed(previous.records, content.hashed, content.compared())
        if not changed:
            if content.marks() != previous.marks:  # changes that show nowhere
                previous.marks = content.marks()
                mf.write(out, previous)
            return ExportReport(0, len(previous.pages), 0, 0, 0, incremental=True)
        targets = _targets(previous, content, changed, moved)
        known = {page.url: key for key, page in previous.pages.items()}
        at = dict(known)  # the pages now: URL -> key
        pages = dict(previous.pages)
        for url in targets:
            if (key := at.pop(url, None)) is not None:
                del pages[key]
        current = mf.Manifest(
            previous.fingerprint, content.as_json(), pages, previous.linksets,
            marks=content.marks(),
        )  # fmt: skip
    writer = _Writer(out, previous)
    done: set[str] = set()

    def render(seeds: list[str]) -> None:
        fork = workers if len(seeds) >= _FORK_FROM else 1
        for url_path, body, links in iter_pages(
            app, progress, fork, seeds=seeds, known=known.__contains__
        ):
            done.add(url_path)
            if body is None:
                continue
            try:
                key = str(output_path(url_path))
            except ValueError:
                writer.skipped += 1
                continue
            if key in pages:
                writer.skipped += 1
                continue
            digest = writer.put(key, body)
            pages[key] = content.page(current, url_path, digest, links, body)
            at[url_path] = key

    render(targets)
    rendered = len(done)
    with _bulk():
        if _may_strand(previous, current, content, done, known, at):
            _drop_unreachable(current)
        for key in previous.keys() | writer.keys:
            if key not in pages:
                writer.drop(key)
        mf.write(out, current)
    written = sum(1 for key in writer.keys if key in pages)
    return ExportReport(
        written,
        len(pages) - written,
        writer.removed,
        writer.skipped,
        rendered,
        incremental=True,
    )


def _may_strand(
    previous: mf.Manifest,
    current: mf.Manifest,
    content: _Content,
    urls: set[str],
    known: Mapping[str, str],
    at: Mapping[str, str],
) -> bool:
    """Whether rendering ``urls`` again may have left a page no link leads to, so
    that the walk of every page (1 s at 100,000 items) is needed to find it.

    Not when every link a page rendered again no longer has, and every page new
    to the export, leads to a page still surely reached: a seed, a page a seed
    links to, one those link to (every item page, from the sitemap's files), or
    a page of the same record's own that one of those links to (an item's cover
    from its page). A publish, which pushes an older item off the first page of
    a listing, then needs no walk; an archive (its item's page linked from no
    listing any more) does. ``known``: the key of each of the last export's
    pages by URL; ``at``: the same for this export's."""

    def page_at(url: str) -> mf.Page:
        return current.pages[at[url]]

    def links(manifest: mf.Manifest, page: mf.Page) -> frozenset[str]:
        return manifest.links_of(page).union(page.owned)

    open_ends: set[str] = set()  # links to pages that must still be reached
    for url in urls:
        if url in known:
            now = page_at(url) if url in at else None
            open_ends |= links(previous, previous.pages[known[url]]) - (
                links(current, now) if now else frozenset()
            )
    open_ends |= {url for url in urls if url in at and url not in known}
    open_ends &= at.keys()  # a page gone is no page to reach
    if not open_ends:
        return False
    sure = reached = {url for url in SEEDS if url in at}
    for _level in range(2):  # each level's links, from the pages new to ``sure``
        reached = {
            link
            for url in reached
            for link in links(current, page_at(url))
            if link in at
        } - sure
        sure = sure | reached
    for url in open_ends - sure:
        owner = content.owner(url)
        homes = content.owns(owner) if owner else None
        if homes is None or not any(
            home in sure and url in links(current, page_at(home))
            for home in homes
            if home in at
        ):
            return True
    return False


def _drop_unreachable(manifest: mf.Manifest) -> None:
    """Leave out the pages no link leads to from the seeds any more (an archived
    item's page answers, but a full crawl would not reach it)."""
    by_url = {page.url: key for key, page in manifest.pages.items()}
    reached: set[str] = set()
    expanded: set[int] = set()
    todo = [url for url in SEEDS if url in by_url]
    while todo:
        url = todo.pop()
        if url in reached:
            continue
        reached.add(url)
        page = manifest.pages[by_url[url]]
        todo.extend(link for link in page.owned if link in by_url)
        if page.linkset >= 0 and page.linkset not in expanded:
            expanded.add(page.linkset)
            todo.extend(
                link for link in manifest.linksets[page.linkset] if link in by_url
            )
    for url, key in by_url.items():
        if url not in reached:
            del manifest.pages[key]
