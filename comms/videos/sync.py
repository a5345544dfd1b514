"""The pure core of the video sync: parse YouTube's answers, decide what to write.

Nothing here does I/O: the client (youtube.py) fetches, the service (service.py)
writes. Every function takes plain data and returns plain data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from comms.rendering import clean_text
from comms.text import duration_seconds, slugify
from comms.videos.errors import MalformedResponse

SUMMARY_LENGTH = 300
SHORT_MAX_SECONDS = 180  # YouTube Shorts may last up to three minutes
# Order in which one thumbnail is picked to fetch and serve (big enough, not huge).
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_URL = re.compile(r"https?://[^\s<>\"`]*[^\s<>\"`.,;:!?)\]'}]")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
_BLOCK_MARKER = re.compile(r"^(?:[#+=-]|(\d+)[.)])")


@dataclass(frozen=True)
class RemoteVideo:
    """One video as videos.list describes it, checked and converted."""

    youtube_id: str
    channel_id: str | None
    title: str
    description: str
    published_at: datetime
    duration: str | None
    seconds: float | None
    thumbnails: dict[str, dict[str, Any]]
    tags: tuple[str, ...]
    default_language: str | None
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    privacy_status: str
    upload_status: str | None
    live_broadcast: str
    live: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VideoFields:
    """Everything the sync writes onto a video item (never overrides or hidden)."""

    title: str
    summary: str
    body: str
    language: str
    published_at: datetime
    tags: tuple[str, ...]
    channel_id: str | None
    duration: str | None
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    privacy_status: str
    availability: str
    live_broadcast: str
    video_type: str
    details: dict[str, Any]


@dataclass(frozen=True)
class BatchPlan:
    """What one batch of 50 ids changes."""

    create: tuple[RemoteVideo, ...]
    update: tuple[RemoteVideo, ...]
    gone: tuple[tuple[str, str], ...]  # (youtube id, availability) of vanished ones


# --- parsing ----------------------------------------------------------------------


def parse_time(value: Any) -> datetime:
    """An RFC 3339 UTC time as YouTube writes it (with or without fractions)."""
    if not isinstance(value, str):
        raise ValueError("not a time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time without a zone")
    return parsed


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("a count is not a number")
    number = int(value)
    if number < 0:
        raise ValueError("a negative count")
    return number


def _thumbnails(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    result: dict[str, dict[str, Any]] = {}
    for name, thumb in value.items():
        if isinstance(thumb, dict) and isinstance(thumb.get("url"), str):
            entry: dict[str, Any] = {"url": thumb["url"]}
            for key in ("width", "height"):
                if isinstance(thumb.get(key), int) and not isinstance(thumb[key], bool):
                    entry[key] = thumb[key]
            result[str(name)] = entry
    return result


def parse_video(resource: Mapping[str, Any]) -> RemoteVideo:
    """Check one videos.list item; MalformedResponse names what is wrong."""
    video_id = resource.get("id")
    try:
        if not isinstance(video_id, str) or not _VIDEO_ID.match(video_id):
            raise ValueError(f"bad id {video_id!r}")
        snippet = resource["snippet"]
        status = resource.get("status") or {}
        stats = resource.get("statistics") or {}
        details = resource.get("contentDetails") or {}
        live = resource.get("liveStreamingDetails") or {}
        if not all(
            isinstance(d, dict) for d in (snippet, status, stats, details, live)
        ):
            raise ValueError("a part is not an object")
        title = snippet["title"]
        description = snippet.get("description") or ""
        tags = snippet.get("tags") or []
        if not isinstance(title, str) or not isinstance(description, str):
            raise ValueError("title or description is not text")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValueError("tags are not a list of text")
        duration = details.get("duration")
        language = snippet.get("defaultLanguage")
        return RemoteVideo(
            youtube_id=video_id,
            channel_id=str(snippet["channelId"]) if snippet.get("channelId") else None,
            title=title,
            description=description,
            published_at=parse_time(snippet["publishedAt"]),
            duration=str(duration) if isinstance(duration, str) else None,
            seconds=duration_seconds(duration if isinstance(duration, str) else None),
            thumbnails=_thumbnails(snippet.get("thumbnails")),
            tags=tuple(tags),
            default_language=language if isinstance(language, str) else None,
            view_count=_count(stats.get("viewCount")),
            like_count=_count(stats.get("likeCount")),
            comment_count=_count(stats.get("commentCount")),
            privacy_status=str(status.get("privacyStatus") or "public"),
            upload_status=status.get("uploadStatus"),
            live_broadcast=str(snippet.get("liveBroadcastContent") or "none"),
            live={
                key: str(live[key])
                for key in ("scheduledStartTime", "actualStartTime", "actualEndTime")
                if live.get(key)
            },
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedResponse(
            f"the YouTube API sent a malformed video {video_id!r} ({exc})"
        ) from None


# --- deriving what to store -------------------------------------------------------


def unique_slug(title: str, taken: set[str]) -> str:
    """A slug from the title, not in ``taken`` (which it is then added to)."""
    base = slugify(title, fallback="video")
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    taken.add(slug)
    return slug


def tag_slugs(tags: Sequence[str]) -> tuple[str, ...]:
    """YouTube tags as catalogue tag slugs, deduplicated, in order."""
    return tuple(
        dict.fromkeys(s for s in (slugify(t, 100, fallback="") for t in tags) if s)
    )


def summary_of(description: str) -> str:
    """The description's first paragraph, cut to about 300 characters."""
    text = clean_text(description).replace("\r\n", "\n").strip()
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0] if text else ""
    first = " ".join(first.split())
    if len(first) <= SUMMARY_LENGTH:
        return first
    cut = first[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] or first[: SUMMARY_LENGTH - 1]
    return cut.rstrip(" ,;:.-") + "…"


def _escape_inline(line: str) -> str:
    out: list[str] = []
    position = 0
    for match in _URL.finditer(line):
        out.append(_INLINE_SPECIAL.sub(r"\\\1", line[position : match.start()]))
        out.append(f"<{match.group(0)}>")  # an autolink: URLs stay clickable
        position = match.end()
    out.append(_INLINE_SPECIAL.sub(r"\\\1", line[position:]))
    return "".join(out)


def markdown_escape(description: str) -> str:
    """Plain text as Markdown that renders to exactly that text, line breaks kept."""
    text = clean_text(description).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = []
        for raw in block.split("\n"):
            line = _escape_inline(raw.strip())
            if not line:
                continue
            marker = _BLOCK_MARKER.match(line)
            if marker and marker.group(1):  # "1." would start a list
                digits = marker.group(1)
                line = f"{digits}\\{line[len(digits) :]}"
            elif marker:  # a heading, list item or setext underline
                line = "\\" + line
            lines.append(line)
        if lines:
            paragraphs.append("\\\n".join(lines))
    return "\n\n".join(paragraphs)


def language_of(remote: RemoteVideo, default_language: str) -> str:
    """defaultLanguage's primary subtag, else the site's default language."""
    primary = (remote.default_language or "").split("-")[0].lower()
    return primary if _LANGUAGE.match(primary) else default_language


def availability_of(remote: RemoteVideo) -> str:
    """`available` for a public video; `deleted` or `private` otherwise."""
    if remote.upload_status in ("deleted", "rejected", "failed"):
        return "deleted"
    return "available" if remote.privacy_status == "public" else "private"


def is_short(remote: RemoteVideo) -> bool:
    """A Short: YouTube marks its thumbnail, or a #shorts video of three minutes."""
    if "shortsAspectRatio" in remote.thumbnails:
        return True
    if remote.seconds is None or not 0 < remote.seconds <= SHORT_MAX_SECONDS:
        return False
    words = " ".join((remote.title, remote.description, *remote.tags)).lower()
    return "#shorts" in words or "#short " in f"{words} "


def video_type(remote: RemoteVideo, previous: str | None = None) -> str:
    """video, short, live, upcoming (stream), premiere, or stream (a past one).

    An upcoming premiere already has its duration; an upcoming stream has P0D. A
    premiere once seen stays a plain video after it aired.
    """
    if remote.live_broadcast == "live":
        return "live"
    if remote.live_broadcast == "upcoming":
        return "premiere" if (remote.seconds or 0) > 0 else "upcoming"
    if previous == "premiere":
        return "video"
    if remote.live:
        return "video" if previous == "video" else "stream"
    return "short" if is_short(remote) else "video"


def video_fields(
    remote: RemoteVideo, *, default_language: str, previous_type: str | None = None
) -> VideoFields:
    """The item fields a synced video gets."""
    title = " ".join(clean_text(remote.title).split())[:500] or remote.youtube_id
    kind = video_type(remote, previous_type)
    # Only keys content files carry (thumbnails, short): an export round-trips.
    details: dict[str, Any] = {
        "thumbnails": remote.thumbnails,
        "short": kind == "short",
    }
    return VideoFields(
        title=title,
        summary=summary_of(remote.description),
        body=markdown_escape(remote.description),
        language=language_of(remote, default_language),
        published_at=remote.published_at,
        tags=tag_slugs(remote.tags),
        channel_id=remote.channel_id,
        duration=remote.duration,
        view_count=remote.view_count,
        like_count=remote.like_count,
        comment_count=remote.comment_count,
        privacy_status=remote.privacy_status,
        availability=availability_of(remote),
        live_broadcast=remote.live_broadcast,
        video_type=kind,
        details=details,
    )


# --- planning ---------------------------------------------------------------------


def batches(ids: Sequence[str], size: int = 50) -> Iterator[list[str]]:
    """``ids`` in consecutive batches of at most ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def plan_batch(
    requested: Sequence[str],
    remote: Mapping[str, RemoteVideo],
    known: Collection[str],
    hints: Mapping[str, str],
) -> BatchPlan:
    """New, refreshed and vanished videos of one successful videos.list batch.

    A known id the answer leaves out is private or deleted (YouTube does not say
    which, unless a playlist placeholder hinted it): it is marked, never removed.
    An unknown id that vanished between listing and fetching is skipped.
    """
    create: list[RemoteVideo] = []
    update: list[RemoteVideo] = []
    gone: list[tuple[str, str]] = []
    for video_id in dict.fromkeys(requested):
        found = remote.get(video_id)
        if found is None:
            if video_id in known:
                gone.append((video_id, hints.get(video_id, "private")))
        elif video_id in known:
            update.append(found)
        else:
            create.append(found)
    return BatchPlan(tuple(create), tuple(update), tuple(gone))


def minimum_quota(videos: int, *, full: bool, new_pages: int = 1) -> int:
    """The fewest units a sync can spend: 1 + 2*ceil(N/50) full, 1 + 1 + ceil(N/50)."""
    pages = math.ceil(videos / 50)
    if videos == 0:
        return 1  # the channel says it has no videos: nothing to list
    return 1 + (pages if full else new_pages) + pages
