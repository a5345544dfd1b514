"""Checks on uploaded files: real PDFs and real PNG/JPEG/WebP images only."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError
from werkzeug.utils import secure_filename

from comms.storage import InvalidFile, PdfInfo, check_pixels, inspect_pdf

IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
IMAGE_NAME = re.compile(r"^(?P<sha>[0-9a-f]{64})\.(?P<ext>png|jpg|webp)$")
IMAGE_MAGIC = {"png": (b"\x89PNG",), "jpg": (b"\xff\xd8\xff",), "webp": (b"RIFF",)}


class FileTooLarge(InvalidFile):
    """The upload is over the size limit."""


@dataclass(frozen=True)
class CheckedImage:
    """An image that decoded cleanly."""

    ext: str
    width: int
    height: int


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse an empty file or one over ``max_bytes``."""
    if not data:
        raise InvalidFile("the file is empty")
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB")


def check_pdf(data: bytes, max_bytes: int) -> PdfInfo:
    """The PDF's facts, or InvalidFile when the bytes are not a readable PDF."""
    check_size(data, max_bytes)
    return inspect_pdf(data)


def check_image(data: bytes, max_bytes: int, max_pixels: int) -> CheckedImage:
    """The image's format and size, or InvalidFile unless Pillow decodes it.

    The pixel count is read from the header and checked before anything is decoded.
    """
    check_size(data, max_bytes)
    check_pixels(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise InvalidFile(
            "not an image Pillow can read (use PNG, JPEG or WebP)"
        ) from None
    if fmt not in IMAGE_FORMATS:
        raise InvalidFile(
            f"{fmt or 'this'} images are not accepted: use PNG, JPEG or WebP"
        )
    return CheckedImage(ext=IMAGE_FORMATS[fmt], width=width, height=height)


def safe_pdf_name(name: str | None, fallback: str) -> str:
    """A download name made only of safe characters, ending in .pdf."""
    stem = PurePosixPath(secure_filename(name or "")).stem.lower()
    stem = re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-._")[:100]
    return f"{stem or fallback}.pdf"


def parse_image_name(name: str) -> tuple[str, str] | None:
    """The hash and extension of a public image name, or None."""
    match = IMAGE_NAME.match(name)
    return (match["sha"], match["ext"]) if match else None


def looks_like(data: bytes, ext: str) -> bool:
    """True when the stored bytes start with the signature of ``ext``."""
    return data.startswith(IMAGE_MAGIC[ext])
