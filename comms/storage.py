"""Files stored by SHA-256 content hash, and PDF inspection with pypdf."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF_SIGNATURE = b"%PDF-"


class InvalidFile(ValueError):
    """The bytes are not a file of the expected type."""


@dataclass(frozen=True)
class PdfInfo:
    """What a PDF says about itself."""

    page_count: int
    text: str
    title: str | None
    language: str | None
    tagged: bool


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def inspect_pdf(data: bytes, *, extract_text: bool = True) -> PdfInfo:
    """Check that ``data`` is a real PDF and read its pages, text and metadata."""
    if not data:
        raise InvalidFile("the file is empty")
    if not data.lstrip()[:5] == PDF_SIGNATURE:
        raise InvalidFile("not a PDF file (no %PDF- signature)")
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        text = ""
        if extract_text:
            text = "\n".join((page.extract_text() or "") for page in reader.pages)
        root: Any = reader.trailer["/Root"]
        language = root.get("/Lang")
        mark_info = root.get("/MarkInfo")
        tagged = bool(mark_info and mark_info.get("/Marked")) and (
            "/StructTreeRoot" in root
        )
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidFile(f"not a readable PDF ({exc})") from None
    if pages < 1:
        raise InvalidFile("the PDF has no pages")
    return PdfInfo(
        page_count=pages,
        text=" ".join(text.split()),
        title=str(title) if title else None,
        language=str(language) if language else None,
        tagged=tagged,
    )


def check_pixels(data: bytes, max_pixels: int) -> tuple[int, int]:
    """The image's width and height from its header; InvalidFile over ``max_pixels``.

    Pillow's ``Image.open`` reads only the header, so a huge image that compresses
    to a few hundred kilobytes is refused before anything is decoded.
    """
    try:
        with warnings.catch_warnings():
            # The limit below decides, whatever Pillow's own default says.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
    except Image.DecompressionBombError:
        raise InvalidFile(
            f"the image has over {_megapixels(2 * (Image.MAX_IMAGE_PIXELS or 0))} "
            f"megapixels; the limit is {_megapixels(max_pixels)} megapixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidFile(
            "not an image Pillow can read (use PNG, JPEG or WebP)"
        ) from None
    if width * height > max_pixels:
        raise InvalidFile(
            f"the image is {width}x{height} pixels "
            f"({_megapixels(width * height)} megapixels); "
            f"the limit is {_megapixels(max_pixels)} megapixels"
        )
    return width, height


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".removesuffix(".0")


def _is_digest(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class MediaStore:
    """Content-addressed file storage under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash lives."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` once (atomically) and return its hash."""
        digest = sha256_of(data)
        self.put_as(digest, data)
        return digest

    def put_as(self, key: str, data: bytes) -> None:
        """Store ``data`` (atomically) under ``key``, a hash naming it: its own, or
        one derived from the file it was made from (a report's cover)."""
        target = self.path_for(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, sha256: str) -> bytes:
        """The stored bytes of this hash."""
        return self.path_for(sha256).read_bytes()

    def digests(self) -> list[str]:
        """The hash of every stored file (covers included), in no set order."""
        if not self.root.is_dir():
            return []
        return [
            path.name
            for folder in self.root.iterdir()
            if folder.is_dir() and len(folder.name) == 2
            for path in folder.iterdir()
            if path.name.startswith(folder.name) and _is_digest(path.name)
        ]

    def head(self, sha256: str, size: int = 16) -> bytes:
        """The first ``size`` bytes of a stored file (its type signature)."""
        with self.path_for(sha256).open("rb") as handle:
            return handle.read(size)

    def stat(self, sha256: str) -> os.stat_result | None:
        """Size and time of the stored file, or None when it is absent."""
        try:
            return self.path_for(sha256).stat()
        except FileNotFoundError:
            return None

    def delete(self, sha256: str) -> None:
        """Remove the stored bytes of this hash (nothing happens when absent)."""
        self.path_for(sha256).unlink(missing_ok=True)
