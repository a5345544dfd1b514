"""The catalogue as the static export sees it: what each public page can show.

One record per translation group of items (all its language versions: an item's
page names its other versions) and per translation group of newsletter issues.
Its state changes with any edit (the row's version and stamp, its files, tags and
regions, its slugs); its placement with anything that decides where it is listed
(status, dates, what its kind shows, tags, regions). The scopes of an item are the
listings and feeds of everything, of its kind, of each of its topics and regions.

An item page lists a few related items (`related.related_items`): those published
up to its date sharing the most, the newest first among equals. A newly published,
re-dated or re-tagged item joins that list on the pages of items published after
it; the note kept for each item page (its item, how many related items it shows,
the lowest score among them and the oldest date of those) tells which pages it may
join without rendering them all again: a new item joins none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from sqlalchemy import String, select, type_coerce

from comms.catalogue.models import (
    KIND_PLURALS,
    PLURAL_KINDS,
    Item,
    ItemRegion,
    ItemTag,
    Newsletter,
    NewsletterEntry,
    ReportFile,
)
from comms.catalogue.related import REGION_WEIGHT, RELATED_LIMIT
from comms.catalogue.service import visible
from comms.kinds.video import listed
from comms.static_export.sources import ALL, SITEMAP_PART, Record

_RELATED = re.compile(rb'<ul class="related">(.*?)</ul>', re.S)
# An item's address in a sitemap's <loc> (its slug, whichever the language).
_SITEMAP_ITEM = re.compile(rb"<loc>[^<]*?/([a-z-]+)/([^/<?]+)/(?:\?[^<]*)?</loc>")
_RELATED_ENTRY = re.compile(rb'<li lang="([^"]+)"><a href="([^"]+)"')


class _Snapshot:
    """The catalogue at one export."""

    def __init__(self, app: Flask) -> None:
        state = app.extensions["comms"]
        now = datetime.now(UTC)
        self.default_language: str = state.site.default_language
        self.records: dict[str, Record] = {}
        self.tags: dict[int, frozenset[str]] = {}
        self.regions: dict[int, frozenset[str]] = {}
        self.dates: dict[int, float] = {}
        self.shown: set[int] = set()
        self.by_slug: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        self.groups: dict[str, list[int]] = defaultdict(list)
        public_types = state.settings.video_public_types
        with state.engine.connect() as conn:
            tags: dict[int, list[str]] = defaultdict(list)
            # All rows at once (.all()): a row at a time cost 0.3 s at 100,000
            for item_id, name in conn.execute(
                select(ItemTag.item_id, ItemTag.name).order_by(
                    ItemTag.item_id, ItemTag.position
                )
            ).all():
                tags[item_id].append(name)
            regions: dict[int, list[str]] = defaultdict(list)
            for item_id, name in conn.execute(
                select(ItemRegion.item_id, ItemRegion.name).order_by(
                    ItemRegion.item_id, ItemRegion.position
                )
            ).all():
                regions[item_id].append(name)
            files: dict[int, list[str]] = defaultdict(list)
            for item_id, filename, sha in conn.execute(
                select(ReportFile.item_id, ReportFile.filename, ReportFile.sha256)
                .order_by(ReportFile.item_id, ReportFile.position)
            ).all():  # fmt: skip
                files[item_id].append(f"{filename}:{sha}")
            # Times only compared with their last value are read as the database
            # keeps them (turning 300,000 into aware datetimes took 0.5 s at
            # 100,000 items); an event's moving from upcoming to past is asked
            # of the database.
            rows = conn.execute(
                select(
                    Item.id, Item.kind, Item.slug, Item.language, Item.translation,
                    Item.status, Item.published_at, _as_stored(Item.updated_at),
                    Item.version, Item.image, _as_stored(Item.starts_at),
                    _as_stored(Item.ends_at), Item.starts_at <= now,
                    Item.ends_at <= now, visible(Item, now).label("shown"),
                    listed(Item, public_types).label("listed"),
                ).order_by(Item.kind, Item.translation, Item.language)
            ).all()  # fmt: skip
            self._items(rows, tags, regions, files, now)
            self._newsletters(conn, now)

    def _items(
        self,
        rows: Iterable[Any],
        tags: Mapping[int, list[str]],
        regions: Mapping[int, list[str]],
        files: Mapping[int, list[str]],
        now: datetime,
    ) -> None:
        placements: dict[str, list[str]] = defaultdict(list)
        states: dict[str, list[str]] = defaultdict(list)
        scopes: dict[str, set[str]] = defaultdict(set)
        owns: dict[str, list[str]] = defaultdict(list)
        plurals = dict(KIND_PLURALS)  # read once: the live view rebuilds it per look-up
        at = now.timestamp()
        for (
            item_id, kind, slug, language, translation, status, published_at,
            updated_at, version, image, starts_at, ends_at, started, ended, shown,
            in_lists,
        ) in rows:  # fmt: skip
            key = f"item:{kind}:{translation}"
            item_tags, item_regions = tags.get(item_id, ()), regions.get(item_id, ())
            self.tags[item_id] = frozenset(item_tags)
            self.regions[item_id] = frozenset(item_regions)
            published = _stamp(published_at)
            self.dates[item_id] = at if published is None else published
            if shown and in_lists:
                self.shown.add(item_id)
            self.by_slug[(kind, slug)][language] = item_id
            self.groups[key].append(item_id)
            # started, ended: an event moves from upcoming to past with the clock
            placement = (
                f"{language}|{status}|{shown}|{in_lists}|{published!r}|{starts_at}|"
                f"{ends_at}|{started}|{ended}|{','.join(item_tags)}|"
                f"{','.join(item_regions)}"
            )
            placements[key].append(placement)
            states[key].append(
                f"{placement}|{slug}|{version}|{updated_at}|{image or ''}|"
                f"{';'.join(files.get(item_id, ()))}"
            )
            scope = scopes[key]
            scope.add(f"kind:{kind}")
            scope.update([f"tag:{tag}" for tag in item_tags])
            scope.update([f"region:{region}" for region in item_regions])
            owns[key].append(f"/{plurals[kind]}/{slug}/")
        for key, lines in placements.items():
            self.records[key] = Record(
                state="\n".join(states[key]),
                placement="\n".join(lines),
                scopes=frozenset([ALL, *scopes[key]]),
                owns=tuple(owns[key]),
            )

    def _newsletters(self, conn: Any, now: datetime) -> None:
        entries: dict[int, list[str]] = defaultdict(list)
        entry = NewsletterEntry
        for issue_id, kind, slug in conn.execute(
            select(entry.newsletter_id, entry.kind, entry.slug).order_by(
                entry.newsletter_id, entry.position
            )
        ):
            entries[issue_id].append(f"{kind}/{slug}")
        groups: dict[str, list[Any]] = defaultdict(list)
        for row in conn.execute(
            select(
                Newsletter.id, Newsletter.slug, Newsletter.language,
                Newsletter.translation, Newsletter.status, Newsletter.published_at,
                Newsletter.updated_at,
            ).order_by(Newsletter.translation, Newsletter.language)
        ):  # fmt: skip
            groups[f"newsletter:{row.translation}"].append(row)
        for key, rows in groups.items():
            placement = "\n".join(
                f"{row.language}|{row.status}|{_stamp(row.published_at)}|"
                f"{row.published_at is not None and row.published_at <= now}"
                for row in rows
            )
            state = "\n".join(
                f"{row.slug}|{_stamp(row.updated_at)}|{','.join(entries[row.id])}"
                for row in rows
            )
            self.records[key] = Record(
                state=placement + "\n" + state,
                placement=placement,
                scopes=frozenset([ALL]),
                owns=tuple(f"/newsletter/{row.slug}/" for row in rows),
            )

    def scope_of(self, path: str) -> str:
        """Listings and feeds of one kind, topic or region have its scope."""
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if parts[0] in PLURAL_KINDS:
            return f"kind:{PLURAL_KINDS[parts[0]]}"
        if parts[0] in ("topics", "tags") and len(parts) > 1:
            return f"tag:{parts[1]}"
        if parts[0] == "regions" and len(parts) > 1:
            return f"region:{parts[1]}"
        return ALL

    def _versions(self, plural: str, slug: str) -> dict[str, int]:
        """The items, by language, with this kind (its URL segment) and slug."""
        kind = PLURAL_KINDS.get(plural)
        return self.by_slug.get((kind, unquote(slug)), {}) if kind else {}

    def _item_at(self, path: str, language: str | None = None) -> int | None:
        parts = path.strip("/").split("/")
        if len(parts) != 2:
            return None
        versions = self._versions(*parts)
        for wanted in (language, self.default_language):
            if wanted in versions:
                return versions[wanted]
        return min(versions.values(), default=None)

    def _score(self, one: int, other: int) -> int:
        return len(self.tags[one] & self.tags[other]) + REGION_WEIGHT * len(
            self.regions[one] & self.regions[other]
        )

    def note(self, path: str, body: bytes) -> Any:
        """For an item page: [its item, related items shown, their lowest score,
        the oldest date of those with that score (a POSIX timestamp)]. For a file
        of a sitemap split in several: {"sitemap": the highest id of the items it
        lists, or None when it lists none}."""
        if SITEMAP_PART.fullmatch(path):
            ids = [
                item_id
                for plural, slug in _SITEMAP_ITEM.findall(body)
                for item_id in self._versions(plural.decode(), slug.decode()).values()
            ]
            return {"sitemap": max(ids, default=None)}
        item = self._item_at(path)
        if item is None:
            return None
        found = _RELATED.search(body)
        shown = _RELATED_ENTRY.findall(found.group(1)) if found else []
        scored: list[tuple[int, float | None]] = []
        for language, href in shown:
            other = self._item_at(
                urlsplit(href.decode()).path, language.decode()
            )  # fmt: skip
            if other is None:  # not an item: scores nothing, joined by anything
                scored.append((0, None))
            else:
                scored.append((self._score(item, other), self.dates[other]))
        lowest = min((score for score, _ in scored), default=0)
        dates = [date for score, date in scored if score == lowest]
        known = [date for date in dates if date is not None]
        oldest = min(known) if known and len(known) == len(dates) else None
        return [item, len(shown), lowest, oldest]

    def affected(self, entering: Iterable[str], notes: Mapping[str, Any]) -> set[str]:
        """Item pages whose related items a newly placed item may join: it was
        published up to the page's item, shares a topic or region with it, and
        the page shows fewer than the limit, or one that scores less, or one that
        scores the same and was published no later. And the sitemap's files a
        newly listed or unlisted item shifts: those listing items from its id on
        (items are listed by id), the last of those listing items (a new one
        lands there), and those listing no item (the other pages, which may gain
        or lose a topic's or region's page, and which follow the items: the first
        of them becomes a file of items when the items fill a new one)."""
        pages: set[str] = set()
        entering = list(entering)
        placed = [item_id for key in entering for item_id in self.groups.get(key, [])]
        first = min(placed, default=None)
        if any(key.startswith("item:") and key not in self.groups for key in entering):
            first = 0  # deleted: where its items were listed is not known
        # The last file of items by its number, not by its note: a note's id may
        # be a version's the file does not list (another language with the slug).
        last: tuple[int, str] | None = None
        for path, note in notes.items():
            if isinstance(note, dict):
                highest = note.get("sitemap")
                if highest is None or (first is not None and highest >= first):
                    pages.add(path)
                part = SITEMAP_PART.fullmatch(path)
                if highest is not None and part is not None:
                    number = int(part.group(1))
                    if last is None or number > last[0]:
                        last = (number, path)
        if placed and last is not None:
            pages.add(last[1])
        newcomers = [item_id for item_id in placed if item_id in self.shown]
        if not newcomers:
            return pages
        for path, note in notes.items():
            if not isinstance(note, list):
                continue
            item, count, lowest, oldest = note
            if item not in self.tags:
                continue
            for newcomer in newcomers:
                if self.dates[newcomer] > self.dates[item]:
                    continue  # published after the page's item: never listed
                score = self._score(item, newcomer)
                if score > 0 and (
                    count < RELATED_LIMIT
                    or score > lowest
                    or (
                        score == lowest
                        and (oldest is None or self.dates[newcomer] >= oldest)
                    )
                ):
                    pages.add(path)
                    break
        return pages


def _as_stored(column: Any) -> Any:
    """``column`` as the driver reads it (SQLite: its text; PostgreSQL: a
    datetime), for a value that is only compared with its last reading."""
    return type_coerce(column, String)


def _stamp(moment: datetime | None) -> float | None:
    """A time as POSIX seconds (a fifth of the cost of its ISO text)."""
    return None if moment is None else moment.timestamp()


class CatalogueSource:
    """The catalogue's items and newsletter issues, for the static export."""

    name = "catalogue"

    def snapshot(self, app: Flask) -> _Snapshot:
        """The catalogue now."""
        return _Snapshot(app)
