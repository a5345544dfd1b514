"""Thumbnails fetched once into the media store; a placeholder when that fails."""

from __future__ import annotations

import base64
import io
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

MAX_BYTES = 5 * 1024 * 1024
WORKERS = 8
# A 160x90 light grey JPEG: the placeholder of a site without colours of its own
# (see ``placeholder``).
PLACEHOLDER = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwz"
    "Oko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09P"
    "T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCABaAKADASIAAhEBAxEB/8QA"
    "HwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIh"
    "MUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
    "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
    "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQF"
    "BgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAV"
    "YnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOE"
    "hYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
    "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDs6KKKoQUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFA"
    "BRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFA"
    "BRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFA"
    "BRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFFFFA"
    "BRRRQAUUUUAFFFFABRRRQAUUUUAFFFFAH//Z"
)


PLACEHOLDER_SIZE = (640, 360)


@lru_cache(maxsize=8)
def placeholder(colour: str | None) -> bytes:
    """What a video without a fetched thumbnail shows: a play sign on ``colour``
    (the site's primary colour, #rrggbb), darkening to the lower right; the grey
    ``PLACEHOLDER`` when the site names no colour."""
    if not colour:
        return PLACEHOLDER
    from PIL import Image, ImageDraw

    width, height = PLACEHOLDER_SIZE
    base = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    dark = tuple(round(c * 0.7) for c in base)
    # a diagonal gradient: the mean of a horizontal and a vertical ramp
    down = Image.linear_gradient("L")
    across = down.transpose(Image.Transpose.ROTATE_90).transpose(
        Image.Transpose.FLIP_LEFT_RIGHT
    )
    ramp = Image.blend(down, across, 0.5).resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), dark),
        Image.new("RGB", (width, height), base),
        ramp,
    )
    scale = 4  # the sign drawn larger, then reduced: smooth edges
    sign = Image.new("L", (120 * scale, 120 * scale), 0)
    pen = ImageDraw.Draw(sign)
    pen.ellipse((4 * scale, 4 * scale, 116 * scale, 116 * scale), outline=235,
                width=6 * scale)  # fmt: skip
    pen.polygon([(48 * scale, 36 * scale), (48 * scale, 84 * scale),
                 (86 * scale, 60 * scale)], fill=235)  # fmt: skip
    sign = sign.resize((120, 120), Image.Resampling.LANCZOS)
    image.paste((255, 255, 255), ((width - 120) // 2, (height - 120) // 2), sign)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class Fetched:
    """A thumbnail's bytes and their media type."""

    data: bytes
    media_type: str


def media_type_of(data: bytes) -> str | None:
    """The image type the bytes start like (JPEG, PNG, WebP), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def fetch_one(url: str, timeout: float) -> Fetched | None:
    """GET one image; None on any failure (a thumbnail never fails the sync)."""
    if not url.startswith(("https://", "http://")):
        return None
    request = urllib.request.Request(url, headers={"User-Agent": "comms video sync"})  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data: bytes = response.read(MAX_BYTES + 1)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    if len(data) > MAX_BYTES:
        return None
    media_type = media_type_of(data)
    return Fetched(data, media_type) if media_type else None


def fetch_all(
    urls: Sequence[str], timeout: float, workers: int = WORKERS
) -> list[Fetched | None]:
    """Fetch several thumbnails in parallel, in the order given."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=min(workers, len(urls))) as pool:
        return list(pool.map(lambda url: fetch_one(url, timeout), urls))
