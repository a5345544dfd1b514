"""The export's manifest: per file its hash, its URL, what it shows; per record its
state; per source the mark its next snapshot starts from; and a fingerprint of
everything else a page is made of (code, templates, static files, site identity,
settings).

It is JSON, read and written with orjson: at 100,000 items the file holds 84 MB,
which the standard library's json took 0.8 s to read and 1.0 s to write (sorted
keys) on every export, orjson 0.5 s and 0.14 s (the same file while every path is
ASCII: json wrote other characters as \\u escapes, orjson as UTF-8). Chosen over
ujson (no faster at sorted output, and in maintenance only) and msgspec (as fast,
but built around typed structs this file does not need); it ships wheels for
Linux, macOS and Windows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from flask import Flask

from comms import cache

MANIFEST = ".comms-export.json"
FORMAT = 4


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


@dataclass
class Manifest:
    """What the last export wrote."""

    fingerprint: str = ""
    records: dict[str, list[Any]] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    linksets: list[frozenset[str]] = field(default_factory=list)
    hashes_only: dict[str, str] = field(default_factory=dict)
    marks: dict[str, Any] = field(default_factory=dict)
    _interned: dict[frozenset[str], int] = field(default_factory=dict)

    def intern(self, links: frozenset[str]) -> int:
        """The index of ``links`` among the link sets (added when new)."""
        if not self._interned and self.linksets:
            self._interned = {links: n for n, links in enumerate(self.linksets)}
        found = self._interned.get(links)
        if found is None:
            found = self._interned[links] = len(self.linksets)
            self.linksets.append(links)
        return found

    def links_of(self, page: Page) -> frozenset[str]:
        """The paths no record owns that ``page`` links to."""
        return self.linksets[page.linkset] if page.linkset >= 0 else frozenset()

    def digest_of(self, key: str) -> str | None:
        """The hash of the file at ``key`` as last written, if any."""
        page = self.pages.get(key)
        return page.digest if page is not None else self.hashes_only.get(key)

    def keys(self) -> set[str]:
        """Every file the last export wrote."""
        return set(self.pages) | set(self.hashes_only)


def read(out: Path) -> Manifest:
    """The manifest in ``out`` (an empty one if missing or unreadable)."""
    try:
        data = orjson.loads((out / MANIFEST).read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return Manifest()
    if not isinstance(data, dict):
        return Manifest()
    if "format" not in data:  # the first format: file -> hash
        hashes = {str(k): str(v) for k, v in data.items() if isinstance(v, str)}
        return Manifest(hashes_only=hashes)
    if data["format"] != FORMAT:  # another: its files' hashes only
        pages = data.get("pages")
        if not isinstance(pages, dict):
            return Manifest()
        hashes = {
            str(key): str(value[0])
            for key, value in pages.items()
            if isinstance(value, list) and value and isinstance(value[0], str)
        }
        return Manifest(hashes_only=hashes)
    try:
        pages = {key: Page(*value) for key, value in data["pages"].items()}
        linksets = [frozenset(links) for links in data["linksets"]]
        marks = data["marks"]
        if not isinstance(marks, dict):
            return Manifest()
        return Manifest(
            str(data["fingerprint"]), dict(data["records"]), pages, linksets,
            marks=marks,
        )  # fmt: skip
    except (KeyError, TypeError, AttributeError):
        return Manifest()


def write(out: Path, manifest: Manifest) -> None:
    """Store ``manifest`` in ``out`` (sorted: the same content, the same bytes,
    however the export came to it)."""
    used = sorted(
        {page.linkset for page in manifest.pages.values() if page.linkset >= 0},
        key=lambda n: sorted(manifest.linksets[n]),
    )
    renumber = {old: new for new, old in enumerate(used)}
    pages = {
        key: [
            page.digest, page.url, page.owner, page.shows, page.owned,
            renumber.get(page.linkset, -1), page.note,
        ]
        for key, page in manifest.pages.items()
    }  # fmt: skip
    data = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "records": manifest.records,
        "marks": manifest.marks,
        "pages": pages,
        "linksets": [sorted(manifest.linksets[n]) for n in used],
    }
    cache.write_atomic(
        str(out / MANIFEST),
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS),
    )


def fingerprint(app: Flask) -> str:
    """A hash of what every page is made of besides the records: when it moves,
    the next export renders everything again."""
    state = app.extensions["comms"]
    digest = hashlib.sha256(f"{FORMAT}\0{cache.app_fingerprint(app)}\0".encode())
    cache.tree_stats(Path(state.settings.content_dir) / "media", digest)
    return digest.hexdigest()
