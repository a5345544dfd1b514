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
from sqlalchemy import String, and_, bindparam, func, or_, select, type_coerce

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
from comms.catalogue.stamp import PageKey, SiteState, hashed_key, nonce_name
from comms.kinds.video import listed
from comms.static_export.sources import ALL, SITEMAP_PART, Record

_RELATED = re.compile(rb'<ul class="related">(.*?)</ul>', re.S)
# An item's address in a sitemap's <loc> (its slug, whichever the language).
_SITEMAP_ITEM = re.compile(rb"<loc>[^<]*?/([a-z-]+)/([^/<?]+)/(?:\?[^<]*)?</loc>")
_RELATED_ENTRY = re.compile(rb'<li lang="([^"]+)"><a href="([^"]+)"')


class _Snapshot:
    """The catalogue at one export: every record, or (given the mark the last
    export kept) only the records changed since, the rest looked up when asked."""

    def __init__(self, app: Flask, mark: Any = None) -> None:
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
        self._engine = state.engine
        self._at = now.timestamp()
        # (kind, slug) -> the translation group owning its page, when looked up
        self._slug_owner: dict[tuple[str, str], str | None] = {}
        self._newsletter_owners: dict[str, str] = {}
        public_types = state.settings.video_public_types
        with state.engine.connect() as conn:
            # The counter first: a change committed while the rows are read
            # stamps a later version, which the next export reads again.
            version = int(conn.scalar(_VERSION) or 0)
            nonce = conn.scalar(_NONCE, {"name": nonce_name(version)})
            due = _newest_due(conn, now)
            origin = conn.scalar(select(Item.uid).order_by(Item.id).limit(1))
            self.mark = {
                "version": version,
                "nonce": nonce,
                "due": due and due.isoformat(),
                "origin": origin,
            }
            groups = _changed_groups(conn, mark, self.mark, now)
            self.partial = groups is not None
            self._reread = frozenset(
                f"item:{kind}:{translation}" for kind, translation in groups or ()
            )
            rows, tags, regions, files = _read_items(conn, now, public_types, groups)
            self._items(rows, tags, regions, files, now)
            self._newsletters(conn, now)
        if self.partial:  # only the slugs of these groups: asked of the database
            self.by_slug.clear()

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
            owns = tuple(f"/newsletter/{row.slug}/" for row in rows)
            self.records[key] = Record(
                state=placement + "\n" + state,
                placement=placement,
                scopes=frozenset([ALL]),
                owns=owns,
            )
            for prefix in owns:
                self._newsletter_owners.setdefault(prefix, key)

    def checked(self, keys: Iterable[str]) -> list[str]:
        """Those of ``keys`` whose records were read at this export (in
        ``records``, or gone): all unless ``partial``; then the newsletter
        issues' (a few) and the groups' changed since the last export."""
        if not self.partial:
            return list(keys)
        reread = self._reread
        return [key for key in keys if key in reread or key.startswith("newsletter:")]

    def owners(self, paths: Iterable[str]) -> dict[str, str]:
        """The key of the record owning each of ``paths`` that one owns: its
        address is `/{kind's plural}/{slug}/...` of an item (the first
        translation group by name holding that slug, as for whole snapshots) or
        `/newsletter/{slug}/...` of an issue."""
        prefixes: dict[str, tuple[str, str]] = {}
        for path in paths:
            first = path.find("/", 1)
            second = path.find("/", first + 1) if first != -1 else -1
            if second != -1:
                prefixes[path] = (path[1:first], path[first + 1 : second])
        self._load_slugs(
            (PLURAL_KINDS[plural], slug)
            for plural, slug in prefixes.values()
            if plural in PLURAL_KINDS
        )
        found: dict[str, str] = {}
        for path, (plural, slug) in prefixes.items():
            if plural in PLURAL_KINDS:
                kind = PLURAL_KINDS[plural]
                translation = self._slug_owner.get((kind, slug))
                if translation is not None:
                    found[path] = f"item:{kind}:{translation}"
            else:
                owner = self._newsletter_owners.get(f"/{plural}/{slug}/")
                if owner is not None:
                    found[path] = owner
        return found

    def owns_of(self, key: str) -> tuple[str, ...]:
        """The path prefixes of ``key``'s own pages (read when not in ``records``)."""
        record = self.records.get(key)
        if record is not None:
            return record.owns
        if not key.startswith("item:"):
            return ()
        _, kind, translation = key.split(":", 2)
        with self._engine.connect() as conn:
            slugs = conn.scalars(
                select(Item.slug)
                .where(Item.kind == kind, Item.translation == translation)
                .order_by(Item.language)
            ).all()
        return tuple(f"/{KIND_PLURALS[kind]}/{slug}/" for slug in slugs)

    def _load_slugs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Look up the items by (kind, slug) not looked up yet (``partial``)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for kind, slug in pairs:
            if (kind, slug) not in self._slug_owner:
                wanted[kind].add(slug)
        if not self.partial or not wanted:
            return
        with self._engine.connect() as conn:
            for kind, slugs in wanted.items():
                ordered = sorted(slugs)
                for start in range(0, len(ordered), _CHUNK):
                    chunk = ordered[start : start + _CHUNK]
                    for slug in chunk:
                        self._slug_owner[(kind, slug)] = None
                    for slug, language, item_id, translation in conn.execute(
                        select(
                            Item.slug, Item.language, Item.id, Item.translation
                        ).where(Item.kind == kind, Item.slug.in_(chunk))
                    ).all():
                        self.by_slug[(kind, slug)][language] = item_id
                        first = self._slug_owner[(kind, slug)]
                        if first is None or translation < first:
                            self._slug_owner[(kind, slug)] = translation

    def _load_items(self, ids: Iterable[int]) -> None:
        """Read the dates, topics and regions of items not read yet (``partial``)."""
        wanted = sorted({item_id for item_id in ids if item_id not in self.dates})
        if not self.partial or not wanted:
            return
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                tags = _names_by_item(conn, ItemTag, chunk)
                regions = _names_by_item(conn, ItemRegion, chunk)
                for item_id, published_at in conn.execute(
                    select(Item.id, Item.published_at).where(Item.id.in_(chunk))
                ).all():
                    published = _stamp(published_at)
                    self.dates[item_id] = self._at if published is None else published
                    self.tags[item_id] = frozenset(tags.get(item_id, ()))
                    self.regions[item_id] = frozenset(regions.get(item_id, ()))

    def _sharing(self, newcomers: list[int]) -> set[int]:
        """The items sharing a topic or region with a newcomer and published no
        earlier than the first of them (a second's margin), read (``partial``):
        only those can list one among their related items."""
        tags = set().union(*(self.tags[item_id] for item_id in newcomers))
        regions = set().union(*(self.regions[item_id] for item_id in newcomers))
        if not tags and not regions:
            return set()
        earliest = datetime.fromtimestamp(
            min(self.dates[item_id] for item_id in newcomers) - 1, UTC
        )
        related = (
            select(ItemTag.item_id)
            .where(ItemTag.name.in_(sorted(tags)))
            .union(
                select(ItemRegion.item_id).where(ItemRegion.name.in_(sorted(regions)))
            )
        )
        with self._engine.connect() as conn:
            found = set(
                conn.scalars(
                    select(Item.id).where(
                        Item.id.in_(related),
                        or_(Item.published_at.is_(None), Item.published_at >= earliest),
                    )
                ).all()
            )
        self._load_items(found)
        return found & self.dates.keys()  # but those deleted meanwhile

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
        if kind is None:
            return {}
        pair = (kind, unquote(slug))
        self._load_slugs([pair])
        return self.by_slug.get(pair, {})

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
            listed_slugs = _SITEMAP_ITEM.findall(body)
            self._load_slugs(
                (PLURAL_KINDS[plural.decode()], unquote(slug.decode()))
                for plural, slug in listed_slugs
                if plural.decode() in PLURAL_KINDS
            )
            ids = [
                item_id
                for plural, slug in listed_slugs
                for item_id in self._versions(plural.decode(), slug.decode()).values()
            ]
            return {"sitemap": max(ids, default=None)}
        item = self._item_at(path)
        if item is None:
            return None
        found = _RELATED.search(body)
        shown = [
            (language.decode(), urlsplit(href.decode()).path)
            for language, href in (
                _RELATED_ENTRY.findall(found.group(1)) if found else []
            )
        ]
        others = [self._item_at(href, language) for language, href in shown]
        self._load_items([item, *(other for other in others if other is not None)])
        if item not in self.dates:  # deleted since it was looked up
            return None
        others = [other if other in self.dates else None for other in others]
        scored: list[tuple[int, float | None]] = []
        for other in others:
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
        sharing = self._sharing(newcomers) if self.partial else None
        for path, note in notes.items():
            if not isinstance(note, list):
                continue
            item, count, lowest, oldest = note
            if item not in self.tags if sharing is None else item not in sharing:
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


def _names_by_item(conn: Any, model: Any, ids: list[int]) -> dict[int, list[str]]:
    """The topics (or regions: ``model``) of the items ``ids``, by item."""
    names: dict[int, list[str]] = defaultdict(list)
    for item_id, name in conn.execute(
        select(model.item_id, model.name).where(model.item_id.in_(ids))
    ).all():
        names[item_id].append(name)
    return names


_VERSION = select(SiteState.value).where(SiteState.name == "catalogue")
_NONCE = select(SiteState.value).where(SiteState.name == bindparam("name"))
# Groups read again per statement when only the changed ones are.
_CHUNK = 500


def _newest_due(conn: Any, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` at which a record's placement moved
    with the clock alone (a published item came due; an event started or
    ended): the next export reads again what moved after it."""

    def latest(column: Any, *where: Any) -> Any:
        return select(func.max(column)).where(column <= now, *where).scalar_subquery()

    times = conn.execute(
        select(
            latest(Item.published_at, Item.status == "published"),
            latest(Item.starts_at),
            latest(Item.ends_at),
        )
    ).one()
    return max((moment for moment in times if moment is not None), default=None)


def _changed_groups(
    conn: Any, mark: Any, now_mark: dict[str, Any], now: datetime
) -> set[tuple[str, str]] | None:
    """The (kind, translation) groups that may have changed since the export that
    kept ``mark``: those whose key the catalogue stamped since its version (every
    change stamps its item's, in the same transaction), and those the clock moved
    since its latest due time. None: read everything (no mark; another database,
    told by its first item's random uid; the same one restored from a backup,
    told by its counter gone back or, climbed back, by the random number its
    version drew; a clock gone back; a key too long to name its group)."""
    if not isinstance(mark, dict) or mark.get("origin") != now_mark["origin"]:
        return None
    since, due = mark.get("version"), mark.get("due")
    if not isinstance(since, int) or since > now_mark["version"]:
        return None
    if conn.scalar(_NONCE, {"name": nonce_name(since)}) != mark.get("nonce"):
        return None  # another history since (or too long ago to tell)
    try:
        after = datetime.fromisoformat(due) if isinstance(due, str) else None
    except ValueError:
        return None
    if due is not None and (after is None or after.tzinfo is None or after > now):
        return None
    groups: set[tuple[str, str]] = set()
    for (name,) in conn.execute(
        select(PageKey.name).where(PageKey.value > since)
    ).all():
        if not name.startswith("item:"):
            continue
        if hashed_key(name):
            return None  # a hashed key: which group it names is not known
        _, kind, translation = name.split(":", 2)
        groups.add((kind, translation))

    def moved(column: Any) -> Any:
        inside = column <= now
        return inside if after is None else and_(inside, column > after)

    clock = or_(
        and_(Item.status == "published", moved(Item.published_at)),
        moved(Item.starts_at),
        moved(Item.ends_at),
    )
    for kind, translation in conn.execute(
        select(Item.kind, Item.translation).where(clock)
    ).all():
        groups.add((kind, translation))
    return groups


def _read_items(
    conn: Any,
    now: datetime,
    public_types: Any,
    groups: set[tuple[str, str]] | None,
) -> tuple[list[Any], dict[int, list[str]], dict[int, list[str]], dict[int, list[str]]]:
    """The rows of every item (``groups`` None) or of those groups', with their
    tags, regions and files by item id."""
    # Times only compared with their last value are read as the database
    # keeps them (turning 300,000 into aware datetimes took 0.5 s at
    # 100,000 items); an event's moving from upcoming to past is asked
    # of the database.
    columns = select(
        Item.id, Item.kind, Item.slug, Item.language, Item.translation,
        Item.status, Item.published_at, _as_stored(Item.updated_at),
        Item.version, Item.image, _as_stored(Item.starts_at),
        _as_stored(Item.ends_at), Item.starts_at <= now,
        Item.ends_at <= now, visible(Item, now).label("shown"),
        listed(Item, public_types).label("listed"),
    )  # fmt: skip
    if groups is None:
        rows = list(conn.execute(columns).all())
    else:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, translation in sorted(groups):
            by_kind[kind].append(translation)
        rows = []
        for kind, translations in by_kind.items():
            for start in range(0, len(translations), _CHUNK):
                chunk = translations[start : start + _CHUNK]
                rows.extend(
                    conn.execute(
                        columns.where(Item.kind == kind, Item.translation.in_(chunk))
                    ).all()
                )
    # By kind, group and language in Python, whichever the read: a database's
    # collation (PostgreSQL's ignores hyphens) would order them otherwise.
    rows.sort(key=lambda row: (row[1], row[4], row[3]))
    ids = None if groups is None else [row[0] for row in rows]

    def by_item(*cols: Any, order: Any) -> list[Any]:
        model = cols[0].class_
        statement = select(*cols).order_by(model.item_id, order)
        if ids is None:  # all rows at once (.all()): one at a time cost 0.3 s
            return list(conn.execute(statement).all())
        found: list[Any] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            found.extend(conn.execute(statement.where(model.item_id.in_(chunk))).all())
        return found

    tags: dict[int, list[str]] = defaultdict(list)
    for item_id, name in by_item(ItemTag.item_id, ItemTag.name, order=ItemTag.position):
        tags[item_id].append(name)
    regions: dict[int, list[str]] = defaultdict(list)
    for item_id, name in by_item(
        ItemRegion.item_id, ItemRegion.name, order=ItemRegion.position
    ):
        regions[item_id].append(name)
    files: dict[int, list[str]] = defaultdict(list)
    for item_id, filename, sha in by_item(
        ReportFile.item_id, ReportFile.filename, ReportFile.sha256,
        order=ReportFile.position,
    ):  # fmt: skip
        files[item_id].append(f"{filename}:{sha}")
    return rows, tags, regions, files


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

    def snapshot(self, app: Flask, mark: Any = None) -> _Snapshot:
        """The catalogue now: only what changed since the export that kept
        ``mark`` (its snapshot's), or everything."""
        return _Snapshot(app, mark)
