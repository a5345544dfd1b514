"""The newsletter's feeds: its published issues as RSS, Atom and JSON Feed."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy.orm import Session

from comms.catalogue.models import Newsletter
from comms.config import Settings
from comms.feeds import build
from comms.newsletter import service
from comms.rendering import absolutise_links, clean_text, sanitise_html
from comms.site import Site


def _with_lang(url: str, language: str, default_language: str) -> str:
    return url if language == default_language else f"{url}?lang={quote(language)}"


def issue_entry(letter: Newsletter, site_url: str) -> build.FeedEntry:
    """One published issue as a feed entry, dated by its publication."""
    # The id is the issue's address, as the RSS guid always was: readers keep it.
    link = f"{site_url}/newsletter/{quote(letter.slug)}/?lang={quote(letter.language)}"
    published = (letter.published_at or letter.created_at).replace(microsecond=0)
    title = clean_text(letter.title)
    return build.FeedEntry(
        id=link,
        title=title,
        link=link,
        published=published,
        updated=published,
        author="",
        summary=title,
        content_html=absolutise_links(sanitise_html(letter.intro_html or ""), link),
        language=letter.language,
    )


def render_issue_feed(
    session: Session,
    fmt: str,
    *,
    language: str,
    settings: Settings,
    site: Site,
    now: datetime,
) -> bytes:
    """The feed of every public issue, each in ``language`` where it exists."""
    site_url = settings.site_url
    default = site.default_language
    letters = service.archive(
        session, wanted=[language], default_language=default, now=now
    )
    entries = [issue_entry(letter, site_url) for letter in letters]
    own = _with_lang(f"{site_url}/newsletter/feed.{fmt}", language, default)
    emblem = site.emblem
    meta = build.FeedMeta(
        id=_with_lang(f"{site_url}/newsletter/feed.atom", language, default),
        title=f"{site.name}: newsletter",
        description=f"Every issue of the {site.name} newsletter",
        language=language,
        self_url=own,
        alternate_url=_with_lang(f"{site_url}/newsletter/", language, default),
        first_url=own,
        # The newest issue's date, so equal content gives equal bytes (and ETag).
        updated=build.feed_updated(entries),
        author=site.name,
        icon=f"{site_url}/{emblem.lstrip('/')}" if emblem else None,
    )
    return build.BUILDERS[fmt](meta, entries)
