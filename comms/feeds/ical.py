"""Pure iCalendar (RFC 5545) output for events: escaped text, folded lines, UTC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from comms.catalogue.models import Item
from comms.feeds.build import item_link, site_host
from comms.rendering import clean_text

PRODID = "-//comms//Communications and dissemination manager//EN"


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT: all text plain, all times timezone-aware."""

    uid: str
    summary: str
    description: str
    url: str
    starts_at: datetime
    ends_at: datetime | None
    stamp: datetime
    created: datetime
    location: str = ""
    categories: tuple[str, ...] = ()


def event_uid(item: Item, site_url: str) -> str:
    """A UID that survives title and slug edits: translation group and language."""
    return f"event-{item.translation}-{item.language}@{site_host(site_url)}"


def event_from_item(
    item: Item, *, site_url: str, default_language: str
) -> CalendarEvent:
    """Turn a dated public event into a calendar event."""
    if item.starts_at is None:
        raise ValueError("an event without a start time cannot go in a calendar")
    url = item_link(item, site_url, default_language)
    details = item.details or {}
    lines = [item.display_summary or ""]
    if details.get("online_url"):
        lines.append(f"Online: {details['online_url']}")
    if details.get("registration_url"):
        lines.append(f"Registration: {details['registration_url']}")
    lines.append(url)
    ends = item.ends_at if item.ends_at and item.ends_at > item.starts_at else None
    return CalendarEvent(
        uid=event_uid(item, site_url),
        summary=item.display_title,
        description="\n\n".join(line for line in lines if line),
        url=url,
        starts_at=item.starts_at,
        ends_at=ends,
        # The content's own dates: a fresh import must not look like a change.
        stamp=item.modified,
        created=item.published_at or item.created_at,
        location=item.location or str(details.get("online_url") or ""),
        categories=tuple(item.tag_names),
    )


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma, newline (RFC 5545 3.3.11)."""
    value = clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def _uri(value: str) -> str:
    # A URI value is not escaped, but may hold no control characters or quotes.
    return "".join(c for c in clean_text(value) if c >= " " and c != '"')


def utc(value: datetime) -> str:
    """A DATE-TIME in UTC form (``20180412T070000Z``)."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets (never inside a char)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _event_lines(event: CalendarEvent) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc(event.stamp)}",
        f"CREATED:{utc(event.created)}",
        f"LAST-MODIFIED:{utc(event.stamp)}",
        f"DTSTART:{utc(event.starts_at)}",
    ]
    if event.ends_at:
        lines.append(f"DTEND:{utc(event.ends_at)}")
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    lines.append(f"URL:{_uri(event.url)}")
    lines.append("END:VEVENT")
    return lines


def build_calendar(events: Sequence[CalendarEvent], *, name: str) -> bytes:
    """A VCALENDAR holding ``events``, CRLF line endings, UTF-8."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
