"""A video's title and thumbnail from YouTube's oEmbed endpoint: no API key needed.

``video_ref`` reads the id out of every address form YouTube gives out (watch,
youtu.be, shorts, embed, live, with or without extra parameters). ``fetch`` asks
the oEmbed endpoint (COMMS_YOUTUBE_OEMBED_URL) about it; YouTube answers 401 for
a private or embedding-disabled video and 404 (or 400) for one that does not
exist, which ``OEmbedUnavailable`` says in a sentence an officer can act on.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from comms.errors import CommsError, ValidationFailed
from comms.kinds.video import YOUTUBE_ID

MAX_BYTES = 256 * 1024
HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
SHORT_HOSTS = {"youtu.be", "www.youtu.be"}
PATH_FORMS = ("shorts", "embed", "live", "v", "e")
URL_PROBLEM = (
    "url: not a YouTube video address; paste one like "
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ, https://youtu.be/dQw4w9WgXcQ or "
    "https://www.youtube.com/shorts/dQw4w9WgXcQ"
)


class OEmbedUnavailable(CommsError):
    """YouTube's oEmbed endpoint gave no usable answer; the message says why."""


@dataclass(frozen=True)
class VideoRef:
    """A video named by its address: its id and whether it was a Shorts link."""

    youtube_id: str
    short: bool = False

    @property
    def watch_url(self) -> str:
        """The video's canonical address on YouTube."""
        return f"https://www.youtube.com/watch?v={self.youtube_id}"


@dataclass(frozen=True)
class OEmbed:
    """What oEmbed says of a video (only the fields the catalogue uses)."""

    title: str
    author_name: str
    thumbnail_url: str | None
    thumbnail_width: int | None
    thumbnail_height: int | None


def _checked_id(value: str) -> str:
    if not YOUTUBE_ID.match(value):
        raise ValidationFailed(
            [
                f"url: {value!r} is not a YouTube video id "
                "(11 characters of A-Z a-z 0-9 - _)"
            ]
        )
    return value


def video_ref(raw: str) -> VideoRef:
    """The video an address (or a bare 11-character id) names; ValidationFailed."""
    text = raw.strip()
    if not text:
        raise ValidationFailed(["url: paste the video's YouTube address"])
    if len(text) > 2000 or any(c.isspace() for c in text):
        raise ValidationFailed([URL_PROBLEM])
    if YOUTUBE_ID.match(text):
        return VideoRef(text)
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise ValidationFailed([URL_PROBLEM]) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed([URL_PROBLEM])
    segments = [s for s in parts.path.split("/") if s]
    if host in SHORT_HOSTS and segments:
        return VideoRef(_checked_id(segments[0]))
    if host not in HOSTS:
        raise ValidationFailed([URL_PROBLEM])
    if segments[:1] == ["watch"]:
        found = parse_qs(parts.query).get("v")
        if found:
            return VideoRef(_checked_id(found[0]))
    elif len(segments) >= 2 and segments[0] in PATH_FORMS:
        return VideoRef(_checked_id(segments[1]), short=segments[0] == "shorts")
    raise ValidationFailed([URL_PROBLEM])


def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def parse_answer(body: Any) -> OEmbed:
    """The fields of an oEmbed JSON answer; OEmbedUnavailable when it has no title."""
    if not isinstance(body, dict):
        raise OEmbedUnavailable("YouTube's oEmbed answer is not a JSON object")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise OEmbedUnavailable("YouTube's oEmbed answer carries no title")
    thumbnail = body.get("thumbnail_url")
    author = body.get("author_name")
    return OEmbed(
        title=" ".join(title.split()),
        author_name=author if isinstance(author, str) else "",
        thumbnail_url=thumbnail if isinstance(thumbnail, str) and thumbnail else None,
        thumbnail_width=_positive(body.get("thumbnail_width")),
        thumbnail_height=_positive(body.get("thumbnail_height")),
    )


def fetch(endpoint: str, ref: VideoRef, timeout: float) -> OEmbed:
    """Ask the oEmbed endpoint about the video; OEmbedUnavailable says why not."""
    if not endpoint.startswith(("https://", "http://")):
        raise OEmbedUnavailable("COMMS_YOUTUBE_OEMBED_URL is not an http(s) URL")
    query = urlencode({"url": ref.watch_url, "format": "json"})
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        f"{endpoint}?{query}",
        headers={"User-Agent": "comms video import", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise OEmbedUnavailable(
                "YouTube says this video is private or may not be embedded (401)"
            ) from None
        if exc.code in (400, 404):
            raise OEmbedUnavailable(
                f"YouTube knows no public video {ref.youtube_id}: it may have been "
                f"removed, or the address is mistyped ({exc.code})"
            ) from None
        raise OEmbedUnavailable(
            f"YouTube's oEmbed endpoint answered {exc.code}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise OEmbedUnavailable(
            f"YouTube's oEmbed endpoint cannot be reached ({reason})"
        ) from None
    if len(data) > MAX_BYTES:
        raise OEmbedUnavailable("YouTube's oEmbed answer is too large")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise OEmbedUnavailable("YouTube's oEmbed answer is not JSON") from None
    return parse_answer(body)
