"""The export's manifest: per file its hash, its URL, what it shows; per record its
state; per source the mark its next snapshot starts from; and a fingerprint of
everything else a page is made of (code, templates, static files, site identity,
settings).

It is an SQLite file beside the pages (`.comms-export.sqlite`), indexed by what an
export after a change asks: the pages a record owns, the pages showing a record, a
page by its URL, the pages linking a URL. At 100,000 items it holds about 200,000
pages, 500,000 (record, page) pairs and 800,000 links: 168 MB. The JSON file it
replaces (84 MB) was read and written whole on every export, 1.2-1.5 s of the 2-3 s
an export after one publish took; the indexed file reads and writes only the rows a
change touches (a few milliseconds), at the cost of a slower full export (building
it takes 3.7 s, writing the JSON took 0.6 s). SQLite rather than a key-value file
(dbm, lmdb): the questions are by secondary keys (owner, shown record, linked URL),
and it ships with Python.

A full export builds a new file and renames it over the old one; an export after a
change applies its changes in one transaction (`Manifest.save`): a crash leaves the
last export's manifest as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from flask import Flask

from comms import cache
from comms.errors import CommsError

MANIFEST = ".comms-export.sqlite"
# The JSON manifest of formats 1 to 4: its hashes spare the first export's writes.
_JSON = ".comms-export.json"
FORMAT = 5
_CHUNK = 500  # values per IN list (SQLite allows 32,766 variables)

_TABLES = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE record (
    key TEXT PRIMARY KEY, state TEXT NOT NULL, placement TEXT NOT NULL,
    scopes TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE page (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, digest TEXT NOT NULL,
    url TEXT NOT NULL, owner TEXT NOT NULL, linkset INTEGER NOT NULL, note TEXT
);
CREATE TABLE shows (record TEXT, page INTEGER, PRIMARY KEY (record, page))
    WITHOUT ROWID;
CREATE TABLE owned (page INTEGER, url TEXT, PRIMARY KEY (page, url)) WITHOUT ROWID;
CREATE TABLE linkset (id INTEGER PRIMARY KEY, links TEXT NOT NULL);
"""
# Made once the rows are in (faster than keeping them up to date row by row).
_INDEXES = """
CREATE UNIQUE INDEX page_key ON page (key);
CREATE UNIQUE INDEX page_url ON page (url);
CREATE INDEX page_owner ON page (owner);
CREATE INDEX page_linkset ON page (linkset);
CREATE INDEX shows_page ON shows (page);
CREATE INDEX owned_url ON owned (url, page);
"""


class ManifestUnavailable(CommsError):
    """The manifest's file cannot be read or written now (another export holds
    it, the disk is full or failing, no permission): not damage to render
    around."""

    def __init__(self, path: Path, error: sqlite3.Error) -> None:
        super().__init__(
            f"the export's manifest {path} cannot be used now: {error} (another"
            " export may hold it; if it stays so, --full builds a new one)"
        )


# SQLite's answers that say the file is out of reach now, not damaged.
_UNAVAILABLE = (
    "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN",
    "SQLITE_PERM", "SQLITE_READONLY", "SQLITE_NOMEM", "SQLITE_INTERRUPT",
)  # fmt: skip


def damaged(error: BaseException) -> bool:
    """Whether ``error``, raised reading a manifest, says that its file is damaged
    (rather than busy or out of reach: see `unavailable`)."""
    return isinstance(error, orjson.JSONDecodeError) or (
        isinstance(error, sqlite3.DatabaseError) and not unavailable(error)
    )


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` says that the manifest's file is out of reach now."""
    name = getattr(error, "sqlite_errorname", None) or ""
    return isinstance(error, sqlite3.Error) and name.startswith(_UNAVAILABLE)


@dataclass
class Page:
    """One exported file: its hash, its URL path, the record owning it (or ""),
    the records it shows (links to, also with a query string), the paths it links
    to that records own, the paths it links to that none owns (kept once for all
    pages linking the same ones: `Manifest.linksets`), and its source's note."""

    digest: str
    url: str
    owner: str = ""
    shows: list[str] = field(default_factory=list)
    owned: list[str] = field(default_factory=list)
    linkset: int = -1
    note: Any = None


class Manifest:
    """What the last export wrote, read on demand from its file (or nothing: a
    new export folder, another format, a damaged file)."""

    def __init__(
        self,
        db: sqlite3.Connection | None = None,
        hashes_only: Mapping[str, str] | None = None,
    ) -> None:
        self._db = db
        self.hashes_only = dict(hashes_only or {})
        self.fingerprint = ""
        self.marks: dict[str, Any] = {}
        self.linksets: dict[int, frozenset[str]] = {}
        self._stored: set[int] = set()  # the numbers of the link sets in the file
        self._interned: dict[frozenset[str], int] = {}
        self._digests: dict[str, str] | None = None
        self._links: dict[str, frozenset[str]] = {}
        if db is not None:
            meta = dict(db.execute("SELECT name, value FROM meta"))
            self.fingerprint = meta["fingerprint"]
            self.marks = orjson.loads(meta["marks"])
            if not isinstance(self.marks, dict):
                raise sqlite3.DatabaseError("the sources' marks are not a mapping")
            for number, links in db.execute("SELECT id, links FROM linkset"):
                self.linksets[number] = frozenset(orjson.loads(links))
            self._stored = set(self.linksets)

    # What the last export wrote -------------------------------------------

    @property
    def has_pages(self) -> bool:
        """Whether the last export's pages are known (not their hashes alone)."""
        db = self._db
        return (
            db is not None
            and db.execute("SELECT 1 FROM page LIMIT 1").fetchone() is not None
        )

    def page_count(self) -> int:
        """How many pages the last export wrote."""
        if self._db is None:
            return len(self.hashes_only)
        return int(self._db.execute("SELECT count(*) FROM page").fetchone()[0])

    def load_digests(self) -> None:
        """Keep every page's hash in memory (a full export asks for all)."""
        if self._db is not None:
            self._digests = dict(self._db.execute("SELECT key, digest FROM page"))

    def digest_of(self, key: str) -> str | None:
        """The hash of the file at ``key`` as last written, if any."""
        if self._digests is not None:
            return self._digests.get(key)
        if self._db is None:
            return self.hashes_only.get(key)
        row = self._db.execute(
            "SELECT digest FROM page WHERE key = ?", (key,)
        ).fetchone()
        return row[0] if row else None

    def keys(self) -> set[str]:
        """Every file the last export wrote."""
        if self._digests is not None:
            return set(self._digests)
        if self._db is None:
            return set(self.hashes_only)
        return {key for (key,) in self._db.execute("SELECT key FROM page")}

    def record_keys(self, prefix: str) -> list[str]:
        """The keys of the records kept whose keys start with ``prefix``."""
        return [
            key
            for (key,) in self._query(
                "SELECT key FROM record WHERE key >= ? AND key < ?",
                (prefix, prefix + "\U0010ffff"),
            )
        ]

    def records(self, keys: Iterable[str] | None = None) -> dict[str, list[Any]]:
        """[state, placement, scopes] of the records kept (of ``keys``, if given)."""
        rows = (
            self._query("SELECT key, state, placement, scopes FROM record")
            if keys is None
            else self._each(
                "SELECT key, state, placement, scopes FROM record WHERE key IN", keys
            )
        )
        return {
            key: [state, placement, orjson.loads(scopes)]
            for key, state, placement, scopes in rows
        }

    def urls_owned_by(self, records: Iterable[str]) -> set[str]:
        """The URLs of the pages the ``records`` own."""
        return {
            url for (url,) in self._each("SELECT url FROM page WHERE owner IN", records)
        }

    def urls_showing(self, records: Iterable[str]) -> set[str]:
        """The URLs of the pages showing any of ``records``."""
        return {
            url
            for (url,) in self._each(
                "SELECT url FROM page JOIN shows ON shows.page = page.id"
                " WHERE shows.record IN",
                records,
            )
        }

    def unowned_urls(self) -> list[str]:
        """The URLs of the pages no record owns (listings, feeds, the sitemap)."""
        return [url for (url,) in self._query("SELECT url FROM page WHERE owner = ''")]

    def notes(self, prefix: str) -> dict[str, Any]:
        """The notes of the pages owned by records whose keys start with ``prefix``,
        and of the pages no record owns, by URL."""
        return {
            url: orjson.loads(note)
            for url, note in self._query(
                "SELECT url, note FROM page WHERE note IS NOT NULL"
                " AND (owner = '' OR (owner >= ? AND owner < ?))",
                (prefix, prefix + "\U0010ffff"),
            )
        }

    def keys_at(self, urls: Iterable[str]) -> dict[str, str]:
        """The key of the page at each of ``urls`` that the last export wrote."""
        return dict(self._each("SELECT url, key FROM page WHERE url IN", urls))

    def key_at(self, url: str) -> str | None:
        """The key of the page at ``url``, if the last export wrote one."""
        row = self._query("SELECT key FROM page WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def links(self, key: str) -> frozenset[str]:
        """Every path the page at ``key`` linked to (owned or not)."""
        found = self._links.get(key)
        if found is None:
            row = self._query(
                "SELECT id, linkset FROM page WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return frozenset()
            owned = self._query("SELECT url FROM owned WHERE page = ?", (row[0],))
            found = self._links[key] = self.linkset(row[1]).union(
                url for (url,) in owned
            )
        return found

    def linked_from(self, keys: Iterable[str]) -> Callable[[str], bool]:
        """A test of whether one of the pages at ``keys`` linked to a path."""
        keys = list(keys)
        links = frozenset().union(
            *(
                self.linkset(number)
                for (number,) in self._each(
                    "SELECT linkset FROM page WHERE key IN", keys
                )
            )
        )

        def linked(url: str) -> bool:
            return url in links or any(
                True
                for _ in self._each(
                    "SELECT 1 FROM owned JOIN page ON page.id = owned.page"
                    " WHERE owned.url = ? AND page.key IN",
                    keys,
                    (url,),
                )
            )

        return linked

    def pages(self) -> dict[str, Page]:
        """Every page, with its links (``shows`` left empty): for a walk of the site."""
        owned: dict[str, list[str]] = {}
        for key, url in self._query(
            "SELECT page.key, owned.url FROM owned JOIN page ON page.id = owned.page"
        ):
            owned.setdefault(key, []).append(url)
        return {
            key: Page(digest, url, owner, [], owned.get(key, []), linkset)
            for key, digest, url, owner, linkset in self._query(
                "SELECT key, digest, url, owner, linkset FROM page"
            )
        }

    # Link sets ---------------------------------------------------------------

    def linkset(self, number: int) -> frozenset[str]:
        """The paths of link set ``number`` (none for -1)."""
        return self.linksets[number] if number >= 0 else frozenset()

    def links_of(self, page: Page) -> frozenset[str]:
        """The paths no record owns that ``page`` links to."""
        return self.linkset(page.linkset)

    def intern(self, links: frozenset[str]) -> int:
        """The number of ``links`` among the link sets (added when new)."""
        if len(self._interned) != len(self.linksets):
            self._interned = {links: n for n, links in self.linksets.items()}
        found = self._interned.get(links)
        if found is None:
            found = self._interned[links] = max(self.linksets, default=-1) + 1
            self.linksets[found] = links
        return found

    # Writing ---------------------------------------------------------------

    def save(
        self,
        out: Path,
        pages: Mapping[str, Page],
        dropped: Iterable[str],
        records: Mapping[str, list[Any]],
        gone: Iterable[str],
        marks: Mapping[str, Any],
    ) -> None:
        """Apply an export's changes to the file it was read from, in one
        transaction: ``pages`` written again or new, ``dropped`` pages, ``records``
        read again or new, ``gone`` records, the sources' ``marks``."""
        db = self._db
        assert db is not None, "only a manifest read from its file is saved"
        with db:
            ids = [
                (row[0],)
                for key in {*pages, *dropped}
                if (
                    row := db.execute(
                        "SELECT id FROM page WHERE key = ?", (key,)
                    ).fetchone()
                )
            ]
            db.executemany("DELETE FROM shows WHERE page = ?", ids)
            db.executemany("DELETE FROM owned WHERE page = ?", ids)
            db.executemany("DELETE FROM page WHERE id = ?", ids)
            (last,) = db.execute("SELECT coalesce(max(id), 0) FROM page").fetchone()
            _insert_pages(db, pages, last + 1)
            db.executemany("DELETE FROM record WHERE key = ?", ((k,) for k in gone))
            _insert_records(db, records)
            db.executemany(
                "INSERT INTO linkset (id, links) VALUES (?, ?)",
                (
                    (number, _json(sorted(links)))
                    for number, links in self.linksets.items()
                    if number not in self._stored
                ),
            )
            # those no page links any more
            unused = [
                number
                for (number,) in db.execute(
                    "SELECT id FROM linkset WHERE NOT EXISTS"
                    " (SELECT 1 FROM page WHERE page.linkset = linkset.id)"
                )
            ]
            db.executemany("DELETE FROM linkset WHERE id = ?", ((n,) for n in unused))
            for number in unused:
                del self.linksets[number]
            self._stored = set(self.linksets)
            self._interned = {}
            db.execute(
                "UPDATE meta SET value = ? WHERE name = 'marks'", (_json(marks),)
            )
        self.marks = dict(marks)
        self._links.clear()
        _drop_json(out)

    def salvaged(self) -> Manifest:
        """What can still be read of this manifest, found damaged (`salvage`)."""
        db, self._db = self._db, None
        return salvage(db) if db is not None else Manifest()

    def close(self) -> None:
        """Let go of the file."""
        if self._db is not None:
            self._db.close()
            self._db = None

    # Queries -----------------------------------------------------------------

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        assert self._db is not None
        return self._db.execute(sql, args)

    def _each(
        self, sql: str, values: Iterable[str], args: tuple[Any, ...] = ()
    ) -> Iterator[Any]:
        """``sql`` ending in `IN`, for ``values`` in chunks, after ``args``."""
        if self._db is None:
            return
        for chunk in _chunks(list(values)):
            yield from self._db.execute(
                f"{sql} ({','.join('?' * len(chunk))})", (*args, *chunk)
            )


def read(out: Path) -> Manifest:
    """The manifest in ``out``: an empty one if missing; the files' keys or
    hashes alone, as far as they can be read, if damaged or of another format."""
    path = out / MANIFEST
    if not path.exists():
        return Manifest(hashes_only=_json_hashes(out / _JSON))
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(path)
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        if path.stat().st_size < page_size * pages:  # cut short
            raise sqlite3.DatabaseError("the manifest is shorter than it says")
        format_ = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        if format_ is None or format_[0] != str(FORMAT):
            hashes = dict(db.execute("SELECT key, digest FROM page"))
            db.close()
            return Manifest(hashes_only=hashes)
        return Manifest(db)
    except (sqlite3.Error, KeyError, ValueError, TypeError) as error:
        if isinstance(error, sqlite3.Error) and unavailable(error):
            if db is not None:
                db.close()
            raise ManifestUnavailable(path, error) from error
        return salvage(db) if db is not None else Manifest()


def salvage(db: sqlite3.Connection) -> Manifest:
    """What can still be read of a damaged manifest: its files' keys (so that the
    export removes those it no longer writes), no hashes. ``db`` is closed."""
    try:
        keys = [key for (key,) in db.execute("SELECT key FROM page")]
    except sqlite3.Error as error:
        if unavailable(error):
            raise
        keys = []
    finally:
        db.close()
    return Manifest(hashes_only=dict.fromkeys(keys, ""))


def create(
    out: Path,
    fingerprint: str,
    records: Mapping[str, list[Any]],
    marks: Mapping[str, Any],
    pages: Mapping[str, Page],
    linksets: Mapping[int, frozenset[str]],
) -> None:
    """Store a whole export's manifest in ``out``: a new file, renamed over the
    last one (a reader sees the old manifest or the new, never part of one)."""
    path = out / MANIFEST
    building = out / f"{MANIFEST}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        building.unlink()
    db = sqlite3.connect(building)
    built = False
    try:
        # A file no one reads until it is renamed: no journal, no waiting for
        # the disk (as the pages themselves, see cache.write_atomic).
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(_TABLES)
        with db:
            db.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?)",
                [
                    ("format", str(FORMAT)),
                    ("fingerprint", fingerprint),
                    ("marks", _json(marks)),
                ],
            )
            used = sorted(
                {page.linkset for page in pages.values() if page.linkset >= 0}
            )
            renumber = {old: new for new, old in enumerate(used)}
            db.executemany(
                "INSERT INTO linkset (id, links) VALUES (?, ?)",
                ((renumber[old], _json(sorted(linksets[old]))) for old in used),
            )
            _insert_records(db, records)
            _insert_pages(
                db,
                {
                    key: Page(
                        page.digest, page.url, page.owner, page.shows, page.owned,
                        renumber.get(page.linkset, -1), page.note,
                    )
                    for key, page in pages.items()
                },
            )  # fmt: skip
        db.executescript(_INDEXES)
        db.close()
        os.replace(building, path)
        built = True
    finally:
        db.close()
        if not built:
            with contextlib.suppress(OSError):
                building.unlink()
    _drop_json(out)


def dump(out: Path) -> dict[str, Any]:
    """The manifest in ``out`` as plain values, the same whichever way the exports
    came to it (link sets written out per page): for comparing two exports."""
    db = sqlite3.connect(out / MANIFEST)
    try:
        linksets = {
            n: sorted(orjson.loads(links))
            for n, links in db.execute("SELECT id, links FROM linkset")
        }
        shows: dict[str, list[str]] = {}
        for record, key in db.execute(
            "SELECT record, key FROM shows JOIN page ON page.id = shows.page"
            " ORDER BY record"
        ):
            shows.setdefault(key, []).append(record)
        owned: dict[str, list[str]] = {}
        for key, url in db.execute(
            "SELECT key, owned.url FROM owned JOIN page ON page.id = owned.page"
            " ORDER BY owned.url"
        ):
            owned.setdefault(key, []).append(url)
        return {
            "meta": dict(db.execute("SELECT name, value FROM meta")),
            "records": {
                key: list(rest) for key, *rest in db.execute("SELECT * FROM record")
            },
            "pages": {
                key: [digest, url, owner, shows.get(key, []), owned.get(key, []),
                      linksets.get(linkset, []), note]
                for key, digest, url, owner, linkset, note in db.execute(
                    "SELECT key, digest, url, owner, linkset, note FROM page"
                )
            },
        }  # fmt: skip
    finally:
        db.close()


def fingerprint(app: Flask) -> str:
    """A hash of what every page is made of besides the records: when it moves,
    the next export renders everything again."""
    state = app.extensions["comms"]
    digest = hashlib.sha256(f"{FORMAT}\0{cache.app_fingerprint(app)}\0".encode())
    cache.tree_stats(Path(state.settings.content_dir) / "media", digest)
    return digest.hexdigest()


def _insert_pages(
    db: sqlite3.Connection, pages: Mapping[str, Page], first: int = 1
) -> None:
    """Store ``pages``, numbered from ``first`` on."""
    numbered = list(zip(itertools.count(first), pages.items(), strict=False))
    db.executemany(
        "INSERT INTO page (id, key, digest, url, owner, linkset, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (number, key, page.digest, page.url, page.owner, page.linkset,
             None if page.note is None else _json(page.note))
            for number, (key, page) in numbered
        ),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO shows (record, page) VALUES (?, ?)",
        ((record, number) for number, (_, page) in numbered for record in page.shows),
    )
    db.executemany(
        "INSERT INTO owned (page, url) VALUES (?, ?)",
        ((number, url) for number, (_, page) in numbered for url in page.owned),
    )


def _insert_records(db: sqlite3.Connection, records: Mapping[str, list[Any]]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO record (key, state, placement, scopes)"
        " VALUES (?, ?, ?, ?)",
        (
            (key, state, placement, _json(sorted(scopes)))
            for key, (state, placement, scopes) in records.items()
        ),
    )


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _chunks(values: list[str]) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        yield chunk


def _json_hashes(path: Path) -> dict[str, str]:
    """The files' hashes of a JSON manifest (formats 1 to 4), if there is one."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return {}
    if not isinstance(data, dict):
        return {}
    if "format" not in data:  # the first format: file -> hash
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}
    pages = data.get("pages")
    if not isinstance(pages, dict):
        return {}
    return {
        str(key): str(value[0])
        for key, value in pages.items()
        if isinstance(value, list) and value and isinstance(value[0], str)
    }


def _drop_json(out: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (out / _JSON).unlink()
