"""Time zone names (IANA, such as ``Europe/Zurich``): one check for every door."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_REASON = "must be a time zone name such as Europe/Zurich or UTC"


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
