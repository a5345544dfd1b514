"""Which video types appear on the news page and in feeds (COMMS_VIDEO_PUBLIC_TYPES)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_


def listed(entity: Any, public_types: Sequence[str]) -> ColumnElement[bool]:
    """SQL condition: not a video, a video of an unknown type, or of a listed type."""
    return or_(
        entity.kind != "video",
        entity.video_type.is_(None),
        entity.video_type.in_(list(public_types)),
    )


def is_listed(item: Any, public_types: Sequence[str]) -> bool:
    """The same test on a loaded item."""
    return (
        item.kind != "video"
        or item.video_type is None
        or item.video_type in public_types
    )
