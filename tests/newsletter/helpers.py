"""Helpers for newsletter tests: issues, subscribers, links found in mail and pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

from sqlalchemy.orm import Session

from comms.catalogue.models import Newsletter, NewsletterEntry
from comms.newsletter.models import Subscriber
from comms.rendering import render_markdown
from tests.factories import past

SITE = "https://news.example.org"


def make_issue(
    session: Session,
    *,
    slug: str = "issue-1",
    language: str = "en",
    title: str = "Issue 1: first results",
    intro: str = "Welcome to the first issue.",
    items: list[tuple[str, str]] | None = None,
    translation: str | None = None,
    **fields: Any,
) -> Newsletter:
    """A published newsletter issue carrying ``items`` (kind, slug)."""
    fields.setdefault("status", "published")
    fields.setdefault("published_at", past(1))
    letter = Newsletter(
        slug=slug,
        language=language,
        translation=translation or slug,
        title=title,
        intro=intro,
        intro_html=render_markdown(intro),
        number=1,
        **fields,
    )
    letter.entries = [
        NewsletterEntry(position=i, kind=k, slug=s)
        for i, (k, s) in enumerate(items or [])
    ]
    session.add(letter)
    session.commit()
    return letter


def make_subscribers(
    session: Session, count: int, *, language: str = "en", prefix: str = "reader"
) -> list[str]:
    """``count`` confirmed subscribers; returns their addresses."""
    now = datetime.now(UTC)
    emails = [f"{prefix}{n}@example.net" for n in range(count)]
    session.add_all(
        Subscriber(
            email=e,
            language=language,
            topics=[],
            regions=[],
            status="confirmed",
            confirmed_at=now,
            source="test",
        )
        for e in emails
    )
    session.commit()
    return emails


def csrf_of(html: str) -> str:
    """The CSRF token of the form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def link_in(text: str, path: str) -> str:
    """The first absolute URL under ``path`` in a text."""
    match = re.search(re.escape(SITE + path) + r"[^\s\"'<>]+", text)
    assert match, f"no {path} link in the text"
    return unescape(match.group(0))


def local(url: str) -> str:
    """A site URL as a path for the test client."""
    assert url.startswith(SITE)
    return url[len(SITE) :]
