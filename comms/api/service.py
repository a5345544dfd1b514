"""The read-only API's queries and documents: cursors, item, tag, region, issue data.

Visibility comes from comms.catalogue.service (visible, one_version,
get_item_page): the API shows exactly what the public site shows.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from comms import kinds
from comms.catalogue import images
from comms.catalogue.models import KIND_PLURALS, Item, ItemRegion, ItemTag, Newsletter
from comms.catalogue.service import (
    filter_conditions,
    get_item_page,
    one_version,
    visible,
)
from comms.errors import BadRequest
from comms.site import Site

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Ours are about 60 characters; anything much longer was not made here.
MAX_CURSOR_LENGTH = 200


@dataclass(frozen=True)
class Cursor:
    """Where a page of the listing ends: the last item's (published_at, id)."""

    published_at: datetime
    id: int


@dataclass(frozen=True)
class ItemQuery:
    """Filters and position of an API listing, validated."""

    kind: str | None = None
    tag: str | None = None
    region: str | None = None
    language: str = "en"
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None


@dataclass(frozen=True)
class ItemPage:
    """One page of the API listing and the cursor of the next, if any."""

    items: list[Item]
    next_cursor: str | None


def encode_cursor(cursor: Cursor) -> str:
    """An opaque, URL-safe cursor string."""
    raw = json.dumps([cursor.published_at.isoformat(), cursor.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor:
    """The position a cursor string names; BadRequest when it is not one of ours."""
    try:
        if len(value) > MAX_CURSOR_LENGTH:
            raise ValueError("too long to be a cursor")
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        stamp, item_id = json.loads(raw)
        published_at = datetime.fromisoformat(stamp)
        if published_at.tzinfo is None or not isinstance(item_id, int):
            raise ValueError("bad cursor")
        if isinstance(item_id, bool) or not 0 < item_id < 2**63:
            raise ValueError("bad cursor")
        # Stored times are UTC: a time that has no UTC equivalent is not ours.
        published_at = published_at.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        raise BadRequest("cursor is not valid: use next_cursor as given") from None
    return Cursor(published_at=published_at, id=item_id)


def parse_limit(value: str | None) -> int:
    """A page size from 1 to MAX_LIMIT; BadRequest otherwise."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def list_page(
    session: Session, query: ItemQuery, *, default_language: str, now: datetime
) -> ItemPage:
    """Public items newest first, one version per translation group, after a cursor."""
    stmt = select(Item).where(
        visible(Item, now), one_version(query.language, default_language, now)
    )
    stmt = stmt.where(*filter_conditions(query.kind, query.tag, query.region))
    if query.after is not None:
        at = query.after.published_at
        stmt = stmt.where(
            or_(
                Item.published_at < at,
                and_(Item.published_at == at, Item.id < query.after.id),
            )
        )
    stmt = stmt.order_by(Item.published_at.desc(), Item.id.desc()).limit(
        query.limit + 1
    )
    rows = list(session.scalars(stmt))
    items = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit and items[-1].published_at is not None:
        last = items[-1]
        assert last.published_at is not None
        next_cursor = encode_cursor(Cursor(last.published_at, last.id))
    return ItemPage(items=items, next_cursor=next_cursor)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def kind_data(kind: kinds.Kind, item: Item) -> dict[str, Any]:
    """The fields ``kind`` shows in the API, read from a column or the details."""
    details = item.details or {}
    data: dict[str, Any] = {}
    for field in kind.api_fields:
        value = (
            getattr(item, field.name)
            if field.storage == "column"
            else details.get(field.name)
        )
        if field.shown is not None:
            value = field.shown(value)
        if isinstance(value, datetime):
            value = _iso(value)
        elif value is None and "array" in str((field.schema or {}).get("type")):
            value = []
        data[field.name] = value
    return data


def item_data(item: Item, site_url: str) -> dict[str, Any]:
    """An item as the API lists it (kind-specific fields only for its kind)."""
    path = f"/{item.plural}/{item.slug}/"
    picture = images.item_image(item)
    data: dict[str, Any] = {
        "id": item.uid,
        "kind": item.kind,
        "slug": item.slug,
        "language": item.language,
        "translation": item.translation,
        "status": item.status,
        "title": item.display_title,
        "summary": item.display_summary,
        "tags": item.tag_names,
        "regions": item.region_names,
        "published_at": _iso(item.published_at),
        "updated_at": _iso(item.updated_at),
        "author": item.author,
        "image": images.absolute(site_url, picture.src) if picture else None,
        "image_alt": picture.alt if picture else None,
        "url": site_url + path,
        "api_url": f"{site_url}/api/v1/items/{item.kind}/{item.slug}",
    }
    kind = kinds.find(item.kind)
    if kind is not None:
        data.update(kind_data(kind, item))
        if kind.api_extra is not None:
            data.update(kind.api_extra(item, site_url))
    return data


def item_detail(
    session: Session,
    kind: str,
    slug: str,
    *,
    language: str | None,
    site: Site,
    site_url: str,
    now: datetime,
) -> dict[str, Any]:
    """One item with its body and its other language versions; NotFound if hidden."""
    found = get_item_page(
        session,
        kind,
        slug,
        wanted=[language] if language else [],
        default_language=site.default_language,
        now=now,
    )
    data = item_data(found.item, site_url)
    data["body_html"] = found.item.body_html
    data["versions"] = [
        {
            "language": v.language,
            "slug": v.slug,
            "url": f"{site_url}/{KIND_PLURALS[v.kind]}/{v.slug}/",
        }
        for v in found.versions
    ]
    return data


def tag_counts(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every tag on a public item, with how many public items carry it."""
    rows = session.execute(
        select(ItemTag.name, func.count(ItemTag.item_id))
        .join(Item, Item.id == ItemTag.item_id)
        .where(visible(Item, now))
        .group_by(ItemTag.name)
        .order_by(ItemTag.name)
    ).all()
    return [{"name": name, "items": int(n)} for name, n in rows]


def region_counts(session: Session, site: Site, now: datetime) -> list[dict[str, Any]]:
    """The partner regions (site.yml and those items name), with public item counts."""
    rows = session.execute(
        select(ItemRegion.name, func.count(ItemRegion.item_id))
        .join(Item, Item.id == ItemRegion.item_id)
        .where(visible(Item, now))
        .group_by(ItemRegion.name)
    ).all()
    counts = {name: int(n) for name, n in rows}
    slugs = sorted(set(site.regions) | set(counts))
    return [
        {"slug": s, "name": site.region_name(s), "items": counts.get(s, 0)}
        for s in slugs
    ]


def newsletter_list(
    session: Session, *, language: str | None, site_url: str, now: datetime
) -> list[dict[str, Any]]:
    """Published newsletter issues, newest first (one language when asked)."""
    stmt = select(Newsletter).where(
        Newsletter.status == "published",
        Newsletter.published_at.is_not(None),
        Newsletter.published_at <= now,
    )
    if language:
        stmt = stmt.where(Newsletter.language == language)
    stmt = stmt.order_by(
        Newsletter.published_at.desc(), Newsletter.slug, Newsletter.language
    )
    letters = list(session.scalars(stmt))
    public = _public_keys(
        session, {(e.kind, e.slug) for n in letters for e in n.entries}, now
    )
    return [
        {
            "slug": n.slug,
            "language": n.language,
            "translation": n.translation,
            "number": n.number,
            "title": n.title,
            "published_at": _iso(n.published_at),
            "url": f"{site_url}/newsletter/{n.slug}/",
            "items": [
                {"kind": e.kind, "slug": e.slug}
                for e in n.entries
                if (e.kind, e.slug) in public
            ],
        }
        for n in letters
    ]


def _public_keys(
    session: Session, keys: set[tuple[str, str]], now: datetime
) -> set[tuple[str, str]]:
    """Those of ``keys`` (kind, slug) that name an item public now.

    An issue keeps its entries when an item is withdrawn or scheduled again; the
    API must not name such an item to partner sites.
    """
    found: set[tuple[str, str]] = set()
    wanted = sorted(keys)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Item.kind, Item.slug).where(
                tuple_(Item.kind, Item.slug).in_(wanted[start : start + 500]),
                visible(Item, now),
            )
        )
        found.update((kind, slug) for kind, slug in rows)
    return found


def check_language(value: str | None, site: Site) -> str | None:
    """``value`` if the site offers that language; BadRequest otherwise."""
    if value is None or value == "":
        return None
    if value not in site.languages:
        raise BadRequest(
            f"language {value!r} is not offered; use one of {', '.join(site.languages)}"
        )
    return value
