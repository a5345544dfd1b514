"""The media library: every stored image and file, where it is used; alt text,
replace and remove.

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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comms.admin import attachments, audit
from comms.admin.attachments import IMAGE_PREFIX, Limits, Upload
from comms.admin.models import User
from comms.admin.service import record_change
from comms.admin.uploads import IMAGE_MAGIC, IMAGE_TYPES
from comms.catalogue.covers import cover_key, delete_cover, ensure_cover
from comms.catalogue.models import Item, Newsletter, ReportFile
from comms.errors import NotFound, ValidationFailed
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
        """A report file's download name, else the image's stored name."""
        names = [u.filename for u in self.usages if u.filename]
        return names[0] if names else f"{self.sha256}.{self.ext}"

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


class MediaInUse(ValidationFailed):
    """An entry cannot go while something uses it."""

    def __init__(self, entry: MediaEntry) -> None:
        self.entry = entry
        where = ", ".join(u.label for u in entry.usages)
        super().__init__([f"remove: still used by {where}"])


def _sniff(head: bytes) -> tuple[str, str] | None:
    if head.lstrip()[:5] == PDF_SIGNATURE:
        return "file", "pdf"
    for ext, magics in IMAGE_MAGIC.items():
        if head.startswith(magics) and (ext != "webp" or head[8:12] == b"WEBP"):
            return "image", ext
    return None


def _item_label(item: Item) -> str:
    return f"{item.display_title} ({item.plural}/{item.slug}, {item.language})"


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

    rows = session.execute(
        select(ReportFile, Item)
        .join(Item, ReportFile.item_id == Item.id)
        .order_by(Item.slug, ReportFile.position)
    )
    for row, item in rows:
        found = entry(row.sha256, "file", "pdf", row.size)
        found.usages.append(
            Usage(_item_label(item), "file", item_id=item.id, filename=row.filename)
        )
        if found.pdf_tagged is None and row.pdf_tagged is not None:
            found.pdf_title, found.pdf_language = row.pdf_title, row.pdf_language
            found.pdf_tagged = row.pdf_tagged
        found.page_count = found.page_count or row.page_count
    items = session.scalars(
        select(Item)
        .where(
            or_(
                Item.image.startswith(IMAGE_PREFIX, autoescape=True),
                Item.body_html.contains(IMAGE_PREFIX, autoescape=True),
            )
        )
        .order_by(Item.slug, Item.language)
    )
    for item in items:
        own = attachments.image_hash(item.image)
        if own and item.image:
            alt = str((item.details or {}).get("image_alt") or "")
            entry(own, "image", item.image.rsplit(".", 1)[-1]).usages.append(
                Usage(_item_label(item), "image", item_id=item.id, alt=alt)
            )
        for sha, ext in dict.fromkeys(IMAGE_IN_TEXT.findall(item.body_html)):
            entry(sha, "image", ext).usages.append(
                Usage(_item_label(item), "in text", item_id=item.id)
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


def set_alt(
    session: Session,
    actor: User,
    store: MediaStore,
    sha256: str,
    alt: str,
    now: datetime,
) -> MediaEntry:
    """Give every item showing this image as its own the same, checked alt text."""
    found = get_entry(session, store, sha256)
    ids = [u.item_id for u in found.usages if u.how == "image" and u.item_id]
    if not ids:
        raise ValidationFailed(
            [
                "image_alt: no item shows this image as its own image; an image "
                "inside a text takes its alt text from that text's Markdown"
            ]
        )
    alt = attachments.clean_alt_text(alt)
    for item in session.scalars(select(Item).where(Item.id.in_(ids))):
        if (item.details or {}).get("image_alt") == alt:
            continue
        before = audit.item_snapshot(item)
        item.details = {**(item.details or {}), "image_alt": alt}
        item.updated_at = item.revised_at = now  # a change readers see
        record_change(session, actor, "image-alt", item, before, now)
    session.commit()
    return get_entry(session, store, sha256)


@dataclass(frozen=True)
class Replaced:
    """What replacing an entry did: its new hash, the places changed."""

    sha256: str
    changed: tuple[str, ...]
    # A PDF's accessibility findings (keys of comms.pdf_access.FINDINGS).
    pdf_findings: tuple[str, ...] = ()
    pdf_title: str | None = None


def replace(
    session: Session,
    actor: User,
    store: MediaStore,
    sha256: str,
    upload: Upload,
    *,
    limits: Limits,
    now: datetime,
) -> Replaced:
    """Put new bytes in place of an entry everywhere it is used, keeping its names.

    A report file keeps its download name (so its address); an image gets its new
    address in every item and text that showed the old one. The new bytes pass
    the same checks as an upload in the editor.
    """
    found = get_entry(session, store, sha256)
    if not found.usages:
        raise ValidationFailed(
            ["file: nothing uses this file: remove it, or upload in the editor"]
        )
    if any(u.how == "thumbnail" for u in found.usages):
        raise ValidationFailed(
            ["file: a video's thumbnail comes from YouTube; the video sync updates it"]
        )
    if found.kind == "file":
        result = _replace_pdf(session, actor, store, found, upload, limits, now)
    else:
        result = _replace_image(session, actor, store, found, upload, limits, now)
    session.commit()
    if result.sha256 != sha256:
        attachments.release(session, store, sha256)
    return result


def _replace_pdf(
    session: Session,
    actor: User,
    store: MediaStore,
    found: MediaEntry,
    upload: Upload,
    limits: Limits,
    now: datetime,
) -> Replaced:
    info = attachments.pdf_info(upload.data, limits)
    digest = store.put(upload.data)
    ensure_cover(store, digest, upload.data)
    rows = session.scalars(select(ReportFile).where(ReportFile.sha256 == found.sha256))
    changed = []
    for row in rows:
        item = row.item
        before = audit.item_snapshot(item)
        row.sha256, row.size, row.page_count = digest, len(upload.data), info.page_count
        row.text = info.text
        row.pdf_title, row.pdf_language = info.title, info.language
        row.pdf_tagged = info.tagged
        item.updated_at = item.revised_at = now  # a change readers see
        session.flush()
        record_change(session, actor, "replace-file", item, before, now)
        changed.append(_item_label(item))
    keys = finding_keys(info.title, info.language, info.tagged)
    return Replaced(digest, tuple(changed), keys, info.title)


def _replace_image(
    session: Session,
    actor: User,
    store: MediaStore,
    found: MediaEntry,
    upload: Upload,
    limits: Limits,
    now: datetime,
) -> Replaced:
    checked = attachments.image_info(upload.data, limits)
    digest = store.put(upload.data)
    old, new = found.image_path, f"{IMAGE_PREFIX}{digest}.{checked.ext}"
    changed = []
    if old == new:
        return Replaced(digest, ())
    item_ids = {u.item_id for u in found.usages if u.item_id}
    for item in session.scalars(select(Item).where(Item.id.in_(item_ids))):
        before = audit.item_snapshot(item)
        if item.image == old:
            item.image = new
        item.body = item.body.replace(old, new)
        item.body_html = item.body_html.replace(old, new)
        item.updated_at = item.revised_at = now  # a change readers see
        record_change(session, actor, "replace-image", item, before, now)
        changed.append(_item_label(item))
    letter_ids = {u.newsletter_id for u in found.usages if u.newsletter_id}
    for letter in session.scalars(
        select(Newsletter).where(Newsletter.id.in_(letter_ids))
    ):
        before = audit.newsletter_snapshot(letter)
        letter.intro = letter.intro.replace(old, new)
        letter.intro_html = letter.intro_html.replace(old, new)
        audit.record(session, actor, "replace-image", letter, before=before,
                     after=audit.newsletter_snapshot(letter), now=now)  # fmt: skip
        changed.append(f"newsletter {letter.slug} ({letter.language})")
    return Replaced(digest, tuple(changed))


def remove(
    session: Session, actor: User, store: MediaStore, sha256: str, now: datetime
) -> MediaEntry:
    """Delete an unused entry's bytes (and a PDF's cover); refused while in use."""
    found = get_entry(session, store, sha256)
    if found.usages:
        raise MediaInUse(found)
    target = audit.Target("media", sha256, f"removed unused {found.kind} {found.name}")
    audit.record(session, actor, "remove-media", target, before=None, after=None,
                 now=now)  # fmt: skip
    session.commit()
    store.delete(sha256)
    delete_cover(store, sha256)
    return found
