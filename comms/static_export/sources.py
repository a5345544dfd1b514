"""What an incremental export asks of the features: the hook they connect to.

The export knows no feature. A feature that puts content on public pages (the
catalogue) registers a `Source` with `register_source`; at each export the source
describes its content as records (one a translation group, say): the paths each owns,
a state that changes whenever anything shown about it changes, a placement that
changes whenever the pages listing it may change, and the scopes of those listing
pages. The export then re-renders only the pages that can show a change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask

_KEY = "comms.static_export.sources"
ALL = "all"
# A file of a sitemap split in several: a page no record owns that a source may
# note (what it lists), so that the export writes again only the files a change
# shows on (see Snapshot.note and Snapshot.affected).
SITEMAP_PART = re.compile(r"/sitemap-([0-9]+)\.xml")


@dataclass(frozen=True)
class Record:
    """One piece of content as the export sees it.

    ``state`` changes whenever its own pages or a page linking it may change;
    ``placement`` whenever a page of one of its ``scopes`` may list it or stop
    listing it; ``owns`` are the path prefixes of its own pages (`/reports/x/`).
    """

    state: str
    placement: str
    scopes: frozenset[str]
    owns: tuple[str, ...]


class Snapshot(Protocol):
    """A source's content at the time of one export.

    A snapshot given the mark of the last export may be ``partial``: it reads
    only the records that may have changed since (``checked``), and answers for
    the others when asked (``owners``, ``owns_of``, its own ``note`` and
    ``affected``); the export keeps their last state.
    """

    @property
    def records(self) -> Mapping[str, Record]:
        """Every record by key; when ``partial``, those read at this export."""

    @property
    def partial(self) -> bool:
        """Whether only the records changed since the mark were read."""

    @property
    def mark(self) -> Any:
        """What the next export's snapshot starts from (JSON)."""

    def checked(self, keys: Iterable[str]) -> Iterable[str]:
        """Those of ``keys`` (record keys of the last export) whose records were
        read at this one: in ``records``, or gone. All of them unless
        ``partial``."""

    def owners(self, paths: Iterable[str]) -> Mapping[str, str]:
        """The record key owning each of ``paths`` that one owns."""

    def owns_of(self, key: str) -> tuple[str, ...]:
        """The path prefixes of record ``key``'s own pages."""

    def scope_of(self, path: str) -> str:
        """The scope of a page no record owns (`ALL` when none narrower)."""

    def note(self, path: str, body: bytes) -> Any:
        """What to remember about a page for `affected` (JSON, or None)."""

    def affected(
        self, entering: Iterable[str], notes: Mapping[str, Any]
    ) -> Iterable[str]:
        """Paths (of ``notes``) that records whose placement changed may now join."""


class Source(Protocol):
    """A feature's content, described for the export."""

    name: str

    def snapshot(self, app: Flask, mark: Any = None) -> Snapshot:
        """The content now; only what changed since ``mark`` (a snapshot's
        ``mark`` kept by the last export) where the source can tell."""


def register_source(app: Flask, source: Source) -> None:
    """Let the export follow ``source``'s content (once per source name)."""
    sources: dict[str, Source] = app.extensions.setdefault(_KEY, {})
    sources[source.name] = source


def sources_of(app: Flask) -> list[Source]:
    """The registered sources, by name."""
    registered: dict[str, Source] = app.extensions.get(_KEY, {})
    return [registered[name] for name in sorted(registered)]
