"""The media library: every stored image and file, and where it is used.

The media store keeps bytes by content hash, so one entry is one hash: the same
image on two items is one entry used twice. Where an entry is used is read from
the rows that name its hash (report files, item images, images inside texts,
video thumbnails), never stored twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from comms.admin import attachments
from comms.admin.attachments import IMAGE_PREFIX
from comms.admin.uploads import IMAGE_MAGIC, IMAGE_TYPES
from comms.catalogue.covers import cover_key
from comms.catalogue.models import KIND_PLURALS, Item, Newsletter, ReportFile
from comms.errors import NotFound
from comms.pdf_access import finding_keys
from comms.storage import PDF_SIGNATURE, MediaStore
from comms.videos.models import VideoThumbnail

IMAGE_IN_TEXT = re.compile(r"/media/images/([0-9a-f]{64})\.(png|jpg|webp)")
SHOWS = ("all", "images", "files")


@dataclass(frozen=True)
class Usage:
    """One place that uses an entry: an item, a newsletter or a video thumbnail."""

    label: str
    how: str  # "file", "image", "in text", "thumbnail"
    item_id: int | None = None
    newsletter_id: int | None = None
    alt: str | None = None
    filename: str | None = None


@dataclass
class MediaEntry:
    """One stored image or file, with what the library shows of it."""

    sha256: str
    kind: str  # "image" or "file"
    ext: str
    size: int
    uploaded_at: datetime | None
    stored: bool
    usages: list[Usage] = field(default_factory=list)
    pdf_title: str | None = None
    pdf_language: str | None = None
    pdf_tagged: bool | None = None
    page_count: int | None = None

    @property
    def name(self) -> str:
        """A report file's download name, else a short name from the hash."""
        names = [u.filename for u in self.usages if u.filename]
        kind = "image" if self.kind == "image" else "file"
        return names[0] if names else f"{kind}-{self.sha256[:12]}.{self.ext}"

    @property
    def media_type(self) -> str:
        """The MIME type the bytes are served with."""
        return IMAGE_TYPES.get(self.ext, "application/pdf")

    @property
    def image_path(self) -> str:
        """The site path of an image (``/media/images/<hash>.<ext>``)."""
        return f"{IMAGE_PREFIX}{self.sha256}.{self.ext}"

    @property
    def alts(self) -> list[str]:
        """The alt texts the items showing this image as theirs give it."""
        found = [u.alt for u in self.usages if u.how == "image" and u.alt]
        return list(dict.fromkeys(found))

    @property
    def has_item_image_use(self) -> bool:
        """True when an item shows this image as its own (its alt is editable)."""
        return any(u.how == "image" for u in self.usages)

    @property
    def pdf_findings(self) -> tuple[str, ...]:
        """What the PDF lacks for accessibility (keys of comms.pdf_access.FINDINGS)."""
        if self.kind != "file" or self.pdf_tagged is None:
            return ()
        return finding_keys(self.pdf_title, self.pdf_language, self.pdf_tagged)


@dataclass(frozen=True)
class MediaQuery:
    """What the library lists: a search, images or files, only the unused."""

    q: str = ""
    show: str = "all"
    unused: bool = False


def _sniff(head: bytes) -> tuple[str, str] | None:
    if head.lstrip()[:5] == PDF_SIGNATURE:
        return "file", "pdf"
    for ext, magics in IMAGE_MAGIC.items():
        if head.startswith(magics) and (ext != "webp" or head[8:12] == b"WEBP"):
            return "image", ext
    return None


def item_label(item: Item) -> str:
    """How the library names an item: its title, address and language."""
    return _label(
        item.override_title or item.title, item.kind, item.slug, item.language
    )


def _label(title: str, kind: str, slug: str, language: str) -> str:
    return f"{title} ({KIND_PLURALS[kind]}/{slug}, {language})"


# Columns only: the library reads many rows and changes none of them.
LABEL_COLUMNS = (
    func.coalesce(Item.override_title, Item.title), Item.kind, Item.slug, Item.language
)  # fmt: skip


def _collect(session: Session, store: MediaStore) -> dict[str, MediaEntry]:
    """Every stored or referenced entry, keyed by hash, with its usages."""
    entries: dict[str, MediaEntry] = {}

    def entry(sha: str, kind: str, ext: str, size: int = 0) -> MediaEntry:
        if sha not in entries:
            stat = store.stat(sha)
            entries[sha] = MediaEntry(
                sha256=sha,
                kind=kind,
                ext=ext,
                size=stat.st_size if stat else size,
                uploaded_at=datetime.fromtimestamp(stat.st_mtime, UTC)
                if stat
                else None,
                stored=stat is not None,
            )
        return entries[sha]

    files = session.execute(
        select(
            ReportFile.sha256,
            ReportFile.size,
            ReportFile.filename,
            ReportFile.page_count,
            ReportFile.pdf_title,
            ReportFile.pdf_language,
            ReportFile.pdf_tagged,
            Item.id,
            *LABEL_COLUMNS,
        )  # fmt: skip
        .join(Item, ReportFile.item_id == Item.id)
        .order_by(Item.slug, ReportFile.position)
    )
    for sha, size, filename, pages, title, language, tagged, item_id, *named in files:
        found = entry(sha, "file", "pdf", size)
        found.usages.append(
            Usage(_label(*named), "file", item_id=item_id, filename=filename)
        )
        if found.pdf_tagged is None and tagged is not None:
            found.pdf_title, found.pdf_language = title, language
            found.pdf_tagged = tagged
        found.page_count = found.page_count or pages
    items = session.execute(
        select(Item.id, Item.image, Item.details, Item.body_html, *LABEL_COLUMNS)
        .where(
            or_(
                Item.image.startswith(IMAGE_PREFIX, autoescape=True),
                Item.body_html.contains(IMAGE_PREFIX, autoescape=True),
            )
        )
        .order_by(Item.slug, Item.language)
    )
    for item_id, image, details, body_html, *named in items:
        label = _label(*named)
        own = attachments.image_hash(image)
        if own and image:
            alt = str((details or {}).get("image_alt") or "")
            entry(own, "image", image.rsplit(".", 1)[-1]).usages.append(
                Usage(label, "image", item_id=item_id, alt=alt)
            )
        for sha, ext in dict.fromkeys(IMAGE_IN_TEXT.findall(body_html)):
            entry(sha, "image", ext).usages.append(
                Usage(label, "in text", item_id=item_id)
            )
    letters = session.scalars(
        select(Newsletter).where(
            Newsletter.intro_html.contains(IMAGE_PREFIX, autoescape=True)
        )
    )
    for letter in letters:
        label = f"newsletter {letter.title} ({letter.slug}, {letter.language})"
        for sha, ext in dict.fromkeys(IMAGE_IN_TEXT.findall(letter.intro_html)):
            entry(sha, "image", ext).usages.append(
                Usage(label, "in text", newsletter_id=letter.id)
            )
    for thumb in session.scalars(
        select(VideoThumbnail).where(VideoThumbnail.sha256.is_not(None))
    ):
        if thumb.sha256:
            entry(thumb.sha256, "image", "jpg").usages.append(
                Usage(f"video thumbnail {thumb.youtube_id}", "thumbnail")
            )
    _add_unused(store, entries, entry)
    return entries


def _add_unused(
    store: MediaStore, entries: dict[str, MediaEntry], entry: Callable[..., MediaEntry]
) -> None:
    """Stored bytes nothing names: images and PDFs only (covers are derived)."""
    covers = {cover_key(sha) for sha, e in entries.items() if e.kind == "file"}
    for sha in store.digests():
        if sha in entries or sha in covers:
            continue
        try:
            sniffed = _sniff(store.head(sha))
        except OSError:
            continue
        if sniffed is not None:
            entry(sha, *sniffed)
    # A stored PDF nobody names may still have its cover beside it: not an entry.
    for sha in [s for s, e in entries.items() if e.kind == "file" and not e.usages]:
        entries.pop(cover_key(sha), None)


def _matches(found: MediaEntry, query: MediaQuery) -> bool:
    if query.show == "images" and found.kind != "image":
        return False
    if query.show == "files" and found.kind != "file":
        return False
    if query.unused and found.usages:
        return False
    words = query.q.lower().split()
    if not words:
        return True
    text = " ".join(
        [found.name, found.sha256, found.pdf_title or "", *found.alts]
        + [u.label for u in found.usages]
    ).lower()
    return all(word in text for word in words)


def list_media(
    session: Session, store: MediaStore, query: MediaQuery
) -> list[MediaEntry]:
    """The entries matching ``query``, newest upload first."""
    found = [e for e in _collect(session, store).values() if _matches(e, query)]
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(
        found, key=lambda e: (e.uploaded_at or oldest, e.sha256), reverse=True
    )


def get_entry(session: Session, store: MediaStore, sha256: str) -> MediaEntry:
    """One entry by its hash, or NotFound."""
    found = _collect(session, store).get(sha256)
    if found is None:
        raise NotFound(f"no stored image or file {sha256}")
    return found
