"""Feed and calendar queries: which items a feed page holds, rendered to bytes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from comms.catalogue import service as catalogue
from comms.catalogue.models import KIND_PLURALS, Item, ItemRegion, ItemTag
from comms.config import Settings
from comms.errors import NotFound
from comms.feeds import build, ical
from comms.site import Site


@dataclass(frozen=True)
class FeedScope:
    """What a feed covers: everything, one kind, one tag or one region."""

    kind: str | None = None
    tag: str | None = None
    region: str | None = None

    @property
    def path(self) -> str:
        """The URL path the scope's feeds live under ('' for the whole site)."""
        if self.kind:
            return "/" + KIND_PLURALS[self.kind]
        if self.tag:
            return "/tags/" + quote(self.tag)
        if self.region:
            return "/regions/" + quote(self.region)
        return ""


@dataclass(frozen=True)
class FeedRequest:
    """One page of one feed in one format and language, validated."""

    scope: FeedScope
    fmt: str
    language: str
    page: int = 1


def _with_query(url: str, **params: str | int | None) -> str:
    kept = {k: str(v) for k, v in params.items() if v not in (None, "", 1)}
    return f"{url}?{urlencode(kept)}" if kept else url


def feed_url(
    site_url: str, scope: FeedScope, fmt: str, language: str, default_language: str
) -> str:
    """The absolute URL of a scope's feed in one format and language."""
    lang = None if language == default_language else language
    return _with_query(f"{site_url}{scope.path}/feed.{fmt}", lang=lang)


def html_url(site_url: str, scope: FeedScope, language: str, default: str) -> str:
    """The HTML listing matching a feed."""
    lang = None if language == default else language
    if scope.kind:
        return _with_query(f"{site_url}/{KIND_PLURALS[scope.kind]}/", lang=lang)
    return _with_query(f"{site_url}/", tag=scope.tag, region=scope.region, lang=lang)


def check_scope(session: Session, scope: FeedScope, site: Site) -> None:
    """Raise NotFound for a tag or region that no item carries."""
    if scope.tag and not session.scalar(
        select(exists().where(ItemTag.name == scope.tag))
    ):
        raise NotFound(f"no topic {scope.tag!r}")
    if (
        scope.region
        and scope.region not in site.regions
        and not session.scalar(select(exists().where(ItemRegion.name == scope.region)))
    ):
        raise NotFound(f"no region {scope.region!r}")


def feed_title(
    site: Site,
    scope: FeedScope,
    language: str | None = None,
    translate: Callable[[str], str] = str,
) -> str:
    """A feed's title: the site's name and what the feed covers, a topic or a
    region named in ``language``, a kind's label passed through ``translate``."""
    if scope.kind:
        return f"{site.name}: {translate(build.kind_label(scope.kind))}"
    if scope.tag:
        return f"{site.name}: {site.topic_label(scope.tag, language)}"
    if scope.region:
        return f"{site.name}: {site.region_name(scope.region, language)}"
    return site.name


def render_feed(
    session: Session,
    wanted: FeedRequest,
    *,
    settings: Settings,
    site: Site,
    now: datetime,
    stylesheet: str | None = None,
    translate: Callable[[str], str] = str,
) -> bytes:
    """One feed page as bytes; NotFound for unknown scopes and pages past the end.

    ``stylesheet``: the XSLT address RSS and Atom name for browsers (same origin);
    ``translate``: a kind's label in the feed's language, for its title.
    """
    check_scope(session, wanted.scope, site)
    scope, fmt = wanted.scope, wanted.fmt
    page = catalogue.list_items(
        session,
        catalogue.ListingQuery(
            kind=scope.kind,
            tag=scope.tag,
            region=scope.region,
            language=wanted.language,
            page=wanted.page,
            video_types=settings.video_public_types,
        ),
        default_language=site.default_language,
        now=now,
        page_size=settings.feed_size,
    )
    if not page.items and wanted.page > 1:
        raise NotFound(f"page {wanted.page} is past the end of this feed")
    site_url = settings.site_url
    entries = [
        build.entry_from_item(
            item, site_url=site_url, default_language=site.default_language
        )
        for item in page.items
    ]
    first = feed_url(site_url, scope, fmt, wanted.language, site.default_language)
    lang = None if wanted.language == site.default_language else wanted.language

    def page_link(number: int) -> str:
        base = f"{site_url}{scope.path}/feed.{fmt}"
        return _with_query(base, lang=lang, page=number)

    emblem = site.emblem
    meta = build.FeedMeta(
        id=feed_url(site_url, scope, "atom", wanted.language, site.default_language),
        title=feed_title(site, scope, wanted.language, translate),
        description=site.description or site.name,
        language=wanted.language,
        self_url=page_link(wanted.page),
        alternate_url=html_url(site_url, scope, wanted.language, site.default_language),
        first_url=first,
        updated=build.feed_updated(entries),
        author=site.name,
        next_url=page_link(wanted.page + 1) if page.has_next else None,
        previous_url=page_link(wanted.page - 1) if wanted.page > 1 else None,
        icon=f"{site_url}/{emblem.lstrip('/')}" if emblem else None,
        hub=settings.websub_hub,
        stylesheet=stylesheet if fmt != "json" else None,
    )
    return build.BUILDERS[fmt](meta, entries)


def render_calendar(
    session: Session, *, language: str, settings: Settings, site: Site, now: datetime
) -> bytes:
    """The iCalendar of every public event (one language version each)."""
    stmt = (
        select(Item)
        .where(
            Item.kind == "event",
            Item.starts_at.is_not(None),
            catalogue.visible(Item, now),
            catalogue.one_version(language, site.default_language, now),
        )
        .order_by(Item.starts_at, Item.id)
    )
    events = [
        ical.event_from_item(
            item, site_url=settings.site_url, default_language=site.default_language
        )
        for item in session.scalars(stmt)
    ]
    return ical.build_calendar(events, name=f"{site.name}: Events")


def render_event(
    session: Session,
    slug: str,
    *,
    language: str | None,
    settings: Settings,
    site: Site,
    now: datetime,
) -> bytes:
    """The iCalendar of one event; NotFound when it has no start time."""
    found = catalogue.get_item_page(
        session,
        "event",
        slug,
        wanted=[language] if language else [],
        default_language=site.default_language,
        now=now,
    ).item
    if found.starts_at is None:
        raise NotFound(f"the event {slug!r} has no date yet")
    event = ical.event_from_item(
        found, site_url=settings.site_url, default_language=site.default_language
    )
    return ical.build_calendar([event], name=found.display_title)
