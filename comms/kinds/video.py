"""Videos: synced from the project's YouTube channel, overridden locally.

Also what the rest of the catalogue needs to know of a video without reaching into
comms.videos (which sits above the catalogue): when one is shown, which types the
news page lists, which thumbnail is served and where.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, and_, false, or_

from comms.kinds import values
from comms.kinds.registry import Field, Kind
from comms.messages import N_

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
AVAILABILITIES = ("available", "private", "deleted")
THUMBNAIL_PREFERENCE = ("high", "medium", "standard", "maxres", "default")
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
NULLABLE_INT: dict[str, Any] = {"type": ["integer", "null"], "minimum": 0}


def thumbnail_path(slug: str) -> str:
    """The site path serving a video's thumbnail (prefix the site URL in feeds)."""
    return f"/videos/{quote(slug)}/thumbnail.jpg"


def best_thumbnail(thumbnails: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The name of the thumbnail size to fetch and serve."""
    for name in THUMBNAIL_PREFERENCE:
        if name in thumbnails:
            return name
    if not thumbnails:
        return None
    return max(thumbnails, key=lambda n: int(thumbnails[n].get("width") or 0))


def shown(entity: Any) -> ColumnElement[bool]:
    """SQL condition on a video: available and not hidden.

    A synced video that went private or was deleted keeps its row with
    ``availability`` ``private`` or ``deleted``; this condition is what takes it off
    every public page, feed, search result, API answer and export.
    """
    return and_(
        entity.hidden == false(),
        or_(entity.availability.is_(None), entity.availability == "available"),
    )


def is_shown(item: Any) -> bool:
    """The same test on a loaded item."""
    return not item.hidden and item.availability in (None, "available")


def listed(entity: Any, public_types: Sequence[str]) -> ColumnElement[bool]:
    """SQL condition: not a video, a video of an unknown type, or of a listed type."""
    return or_(
        entity.kind != KIND.name,
        entity.video_type.is_(None),
        entity.video_type.in_(list(public_types)),
    )


def is_listed(item: Any, public_types: Sequence[str]) -> bool:
    """The same test on a loaded item (COMMS_VIDEO_PUBLIC_TYPES)."""
    return (
        item.kind != KIND.name
        or item.video_type is None
        or item.video_type in public_types
    )


def thumbnail(item: Any) -> tuple[str, int | None, int | None] | None:
    """The site's copy of the video's thumbnail: (path, width, height)."""
    if not item.youtube_id:
        return None
    width = height = None
    thumbs: Any = (item.details or {}).get("thumbnails")
    if isinstance(thumbs, dict):
        usable = {
            name: value
            for name, value in thumbs.items()
            if isinstance(value, dict) and value.get("url")
        }
        name = best_thumbnail(usable)
        if name is not None:
            width = _positive(usable[name].get("width"))
            height = _positive(usable[name].get("height"))
    return thumbnail_path(item.slug), width, height


def _positive(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def youtube_id(value: Any) -> str:
    """A YouTube video id: 11 characters, case-sensitive."""
    result = values.text(value)
    if not YOUTUBE_ID.match(result):
        raise ValueError("must be 11 characters of A-Z a-z 0-9 - _")
    return result


def thumbnails(value: Any) -> dict[str, Any]:
    """YouTube's thumbnail sizes: name -> {url, width, height}."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of size names to {url, width, height}")
    result: dict[str, Any] = {}
    for name, thumb in value.items():
        if not isinstance(thumb, dict) or "url" not in thumb:
            raise ValueError(f"{name}: needs a url")
        try:
            result[str(name)] = {
                k: (values.url(thumb[k]) if k == "url" else values.count(thumb[k]))
                for k in ("url", "width", "height")
                if k in thumb
            }
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return result


def override(value: Any) -> dict[str, Any]:
    """What an officer changed locally: title, summary, tags, hidden."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping")
    unknown = set(value) - {"title", "summary", "tags", "hidden"}
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    result: dict[str, Any] = {}
    for key in ("title", "summary"):
        if key in value:
            result[key] = values.text(value[key])
    if "tags" in value:
        result["tags"] = values.slugs(value["tags"])
    if "hidden" in value:
        result["hidden"] = values.flag(value["hidden"])
    return result


def api_extra(item: Any, site_url: str) -> dict[str, Any]:
    """The site's copy of the thumbnail: partner pages never load from Google."""
    return {"thumbnail_url": f"{site_url.rstrip('/')}{thumbnail_path(item.slug)}"}


def _synced(name: str, check: Any, storage: Any = "column", **more: Any) -> Field:
    """A field the sync writes and content files carry; not in the editor."""
    return Field(name, check, storage, widget=None, **more)


KIND = Kind(
    name="video",
    plural="videos",
    label=N_("Video"),
    plural_label=N_("Videos"),
    in_sentence=N_("videos"),
    archived_notice=N_(
        "This video is archived: it is kept for reference and may be out of date."
    ),
    synced=True,
    own_picture=True,
    og_type="video.other",
    schema_type="VideoObject",
    fields=(
        _synced("youtube_id", youtube_id, required=True, schema=NULLABLE_STRING),
        _synced("channel_id", values.text),
        _synced("duration", values.text, schema=NULLABLE_STRING),
        _synced("thumbnails", thumbnails, "details"),
        _synced("view_count", values.count, schema=NULLABLE_INT),
        _synced("like_count", values.count, schema=NULLABLE_INT),
        _synced("comment_count", values.count, schema=NULLABLE_INT),
        _synced("privacy_status", values.text),
        _synced("availability", values.choice(*AVAILABILITIES)),
        _synced("live_broadcast", values.text),
        _synced("short", values.flag, "details"),
        _synced("synced_at", values.timestamp),
        _synced("override", override, "own"),
        # The editor's fields: local overrides a sync never touches.
        Field(
            "override_title",
            values.text,
            "column",
            "Title shown on the site (override)",
            limit=500,
            in_file=False,
        ),
        Field(
            "override_summary",
            values.text,
            "column",
            "Summary shown on the site (override)",
            widget="textarea",
            in_file=False,
        ),
        Field(
            "override_tags",
            values.slugs,
            "column",
            "Topics shown on the site (override)",
            widget="slugs",
            in_file=False,
            hint="Comma-separated, e.g. clusters, smart-specialisation",
        ),
        Field(
            "hidden",
            values.flag,
            "column",
            "Hide this video from the site",
            widget="checkbox",
            in_file=False,
        ),
    ),  # fmt: skip
    shown=shown,
    is_shown=is_shown,
    thumbnail=thumbnail,
    api_extra=api_extra,
    api_extra_schema={
        "thumbnail_url": {
            "type": "string",
            "format": "uri",
            "description": "The video's thumbnail, served by this site.",
        }
    },
)
