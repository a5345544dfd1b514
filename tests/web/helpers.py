"""Helpers for the public page tests: making items of any kind, reading pages."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from sqlalchemy.orm import Session

from comms.catalogue.models import KIND_PLURALS, Item
from comms.storage import MediaStore
from tests.factories import make_item, make_report

KINDS = ["press_release", "report", "video", "event"]
LISTINGS = ["/press-releases/", "/reports/", "/videos/", "/events/"]
SITE_NAME = "Test Project"
FUNDING = "Co-funded by the European Union"

_CARD_LINK = re.compile(r'<h2 class="card-title"><a href="([^"]+)"')
_REL_LINK = r'<a rel="{rel}" href="([^"]+)"'


def make(session: Session, store: MediaStore, kind: str, **fields: Any) -> Item:
    """An item of ``kind``; a report gets one PDF file."""
    if kind == "report":
        return make_report(session, store, **fields)
    return make_item(session, kind=kind, **fields)


def resolved(fields: dict[str, Any]) -> dict[str, Any]:
    """Field overrides with callables called now (times relative to the test run)."""
    return {key: value() if callable(value) else value for key, value in fields.items()}


def page_url(item: Item) -> str:
    """The public URL of an item's page."""
    return f"/{KIND_PLURALS[item.kind]}/{item.slug}/"


def listing_url(kind: str) -> str:
    """The listing URL of a kind."""
    return f"/{KIND_PLURALS[kind]}/"


def cards(html: str) -> list[str]:
    """The item URLs a listing shows, in order."""
    return [unescape(href) for href in _CARD_LINK.findall(html)]


def rel_link(html: str, rel: str) -> str | None:
    """The href of the pagination link with this rel, if any."""
    match = re.search(_REL_LINK.format(rel=rel), html)
    return unescape(match.group(1)) if match else None


def text(response: Any) -> str:
    """A response body as text."""
    body: str = response.get_data(as_text=True)
    return body
