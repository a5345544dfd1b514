"""A report's cover: its PDF's first page as a small JPEG in the media store.

Rendered once, when the PDF is imported or uploaded, with pypdfium2 (PDFium, the
renderer of Chromium's PDF viewer, as a self-contained wheel: see
docs/covers.md). The cover is stored beside the PDF under a name derived from the
PDF's own content hash, so no table records it: the same PDF always has the same
cover, a re-import finds it already there, and it goes when the PDF's bytes go.
A PDF that PDFium cannot draw simply has no cover (the page shows the branded
placeholder); it never fails an import or an upload.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from comms.storage import MediaStore

log = logging.getLogger(__name__)

# Pixels across: sharp at twice the size pages show it (a card, the sidebar).
COVER_WIDTH = 480
# A page far taller than wide (a poster strip) is cut at this height.
MAX_HEIGHT = 2 * COVER_WIDTH
JPEG_QUALITY = 82
MEDIA_TYPE = "image/jpeg"


@dataclass(frozen=True)
class Cover:
    """A stored cover's place in the media store and its size in pixels."""

    key: str
    width: int
    height: int


def cover_key(pdf_sha256: str) -> str:
    """The media store name of the cover of the PDF with this hash."""
    return hashlib.sha256(f"cover:{COVER_WIDTH}:{pdf_sha256}".encode()).hexdigest()


def render_cover(pdf: bytes) -> bytes | None:
    """The first page of ``pdf`` as a JPEG ``COVER_WIDTH`` wide; None if unreadable."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as exc:
        log.info("no cover: PDFium cannot open the PDF (%s)", exc)
        return None
    try:
        if len(document) < 1:
            return None
        page = document[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            return None
        # The page is drawn at the scale giving COVER_WIDTH pixels across, and
        # never more pixels than a cover needs, whatever size the page claims.
        scale = COVER_WIDTH / width
        crop_pixels = max(0.0, height * scale - MAX_HEIGHT)
        bitmap = page.render(scale=scale, crop=(0, crop_pixels / scale, 0, 0))
        image = bitmap.to_pil().convert("RGB")
    except pypdfium2.PdfiumError as exc:
        log.info("no cover: PDFium cannot draw the first page (%s)", exc)
        return None
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def ensure_cover(store: MediaStore, pdf_sha256: str, pdf: bytes) -> bool:
    """Render and store the cover of this PDF unless it is there; True if it is."""
    key = cover_key(pdf_sha256)
    if store.path_for(key).is_file():
        return True
    data = render_cover(pdf)
    if data is None:
        return False
    store.put_as(key, data)
    return True


def find_cover(store: MediaStore, pdf_sha256: str) -> Cover | None:
    """The stored cover of the PDF with this hash, with its size; None if none."""
    key = cover_key(pdf_sha256)
    size = _size_of(store.path_for(key))
    return Cover(key, *size) if size else None


def delete_cover(store: MediaStore, pdf_sha256: str) -> None:
    """Remove the cover of a PDF whose bytes are deleted."""
    store.delete(cover_key(pdf_sha256))


@lru_cache(maxsize=4096)
def _cached_size(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError):
        return None
    return width, height


def _size_of(path: Path) -> tuple[int, int] | None:
    """A cover's size from its header (a cover's bytes never change under its name;
    only a missing one is looked for again)."""
    if not path.is_file():
        return None
    return _cached_size(path)
