"""Time zone names (IANA, such as ``Europe/Zurich``): one check for every door."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_REASON = "must be a time zone name such as Europe/Zurich or UTC"


def zone_name(value: object) -> str:
    """``value`` as a checked zone name (what a door stores); ValueError if none."""
    if not isinstance(value, str):
        raise ValueError(ZONE_REASON)
    zone(value)
    return value.strip()


def stored_zone(value: object) -> str | None:
    """A stored zone name when it is one, else None: what outputs name."""
    try:
        return zone_name(value)
    except ValueError:
        return None


def shown_zone(value: object, fallback: str) -> ZoneInfo:
    """A stored zone name when it is one, else ``fallback`` (the site's)."""
    try:
        return zone(zone_name(value))
    except ValueError:
        return zone(fallback)


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; ValueError (the reason) if there is none."""
    text = name.strip() if isinstance(name, str) else ""
    # ZoneInfo reads a file named by the key: refuse paths before it looks.
    if not text or text.startswith("/") or ".." in text or "\\" in text:
        raise ValueError(ZONE_REASON)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(ZONE_REASON) from None
