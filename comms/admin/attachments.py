"""Files on items: report PDFs and item images, checked, stored by content hash.

Stored bytes are shared by every item that names the same content; removing an
image or a file deletes the bytes once nothing references them any more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comms import kinds
from comms.admin import audit
from comms.admin.forms import ItemDraft
from comms.admin.models import User
from comms.admin.service import create_item, get_item, record_change, update_item
from comms.admin.uploads import (
    CheckedImage,
    FileTooLarge,
    check_image,
    check_pdf,
    safe_pdf_name,
)
from comms.catalogue.covers import delete_cover, ensure_cover
from comms.catalogue.models import Item, Newsletter, ReportFile
from comms.catalogue.service import reachable
from comms.errors import NotFound, ValidationFailed
from comms.storage import InvalidFile, MediaStore, PdfInfo
from comms.videos.models import VideoThumbnail

IMAGE_PREFIX = "/media/images/"


@dataclass(frozen=True)
class Limits:
    """How big an upload may be: bytes of any file, pixels of an image."""

    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class Upload:
    """A file an officer sent: its name and bytes."""

    filename: str | None
    data: bytes


@dataclass(frozen=True)
class Removed:
    """What removing an image or file did."""

    name: str
    # The item's page answered: visitors no longer get the file from it.
    was_public: bool
    # Other items or newsletters that still use the same bytes (they are kept).
    still_used_by: tuple[str, ...]


def pdf_info(data: bytes, limits: Limits) -> PdfInfo:
    """The facts of an uploaded PDF; ValidationFailed unless it is a readable PDF."""
    try:
        return check_pdf(data, limits.max_bytes)
    except FileTooLarge:
        raise
    except InvalidFile as exc:
        raise ValidationFailed([f"file: {exc}"]) from None


def image_info(data: bytes, limits: Limits) -> CheckedImage:
    """An uploaded image's format and size; ValidationFailed unless Pillow reads it."""
    try:
        return check_image(data, limits.max_bytes, limits.max_pixels)
    except FileTooLarge:
        raise
    except InvalidFile as exc:
        raise ValidationFailed([f"image: {exc}"]) from None


def clean_alt_text(alt: str) -> str:
    """An image's alt text with its spaces tidied; refused when empty or too long."""
    alt = " ".join(alt.split())
    if not alt:
        raise ValidationFailed(
            ["image_alt: describe the image for people who cannot see it"]
        )
    if len(alt) > 300:
        raise ValidationFailed(["image_alt: at most 300 characters"])
    return alt


def _add_pdf(
    item: Item,
    store: MediaStore,
    upload: Upload,
    info: PdfInfo,
    language: str | None,
    now: datetime,
) -> ReportFile:
    if not kinds.get(item.kind).has_files:
        raise ValidationFailed(["file: only reports carry files"])
    name = safe_pdf_name(upload.filename, item.slug)
    taken = {f.filename for f in item.files}
    stem, n = name.removesuffix(".pdf"), 2
    while name in taken:
        name, n = f"{stem}-{n}.pdf", n + 1
    digest = store.put(upload.data)
    ensure_cover(store, digest, upload.data)
    report_file = ReportFile(
        filename=name,
        sha256=digest,
        size=len(upload.data),
        page_count=info.page_count,
        language=language or info.language or item.language,
        text=info.text,
        position=len(item.files),
        media_type="application/pdf",
        pdf_title=info.title,
        pdf_language=info.language,
        pdf_tagged=info.tagged,
    )
    item.files.append(report_file)
    item.updated_at = item.revised_at = now  # a change readers see
    return report_file


def _put_image(
    item: Item, store: MediaStore, data: bytes, checked: CheckedImage, alt: str
) -> str | None:
    """Set the item's image; return the hash of the image it replaced, if any."""
    replaced = image_hash(item.image)
    digest = store.put(data)
    item.image = f"{IMAGE_PREFIX}{digest}.{checked.ext}"
    item.details = {**(item.details or {}), "image_alt": alt}
    return replaced if replaced != digest else None


def image_hash(src: str | None) -> str | None:
    """The content hash of an uploaded image's address, or None for any other."""
    if not src or not src.startswith(IMAGE_PREFIX):
        return None
    sha = src.removeprefix(IMAGE_PREFIX).partition(".")[0]
    return sha if len(sha) == 64 else None


def attach_pdf(
    session: Session,
    actor: User,
    store: MediaStore,
    item_id: int,
    *,
    upload: Upload,
    language: str | None,
    limits: Limits,
    now: datetime,
) -> ReportFile:
    """Check and store a report's PDF by content hash, with its page count."""
    item = get_item(session, item_id)
    if not kinds.get(item.kind).has_files:
        raise ValidationFailed(["file: only reports carry files"])
    info = pdf_info(upload.data, limits)
    before = audit.item_snapshot(item)
    report_file = _add_pdf(item, store, upload, info, language, now)
    session.flush()
    record_change(session, actor, "upload", item, before, now)
    session.commit()
    return report_file


def set_image(
    session: Session,
    actor: User,
    store: MediaStore,
    item_id: int,
    *,
    data: bytes,
    alt: str,
    limits: Limits,
    now: datetime,
) -> Item:
    """Store an item's image by content hash, with its required alt text."""
    alt = clean_alt_text(alt)
    item = get_item(session, item_id)
    checked = image_info(data, limits)
    before = audit.item_snapshot(item)
    replaced = _put_image(item, store, data, checked, alt)
    item.updated_at = item.revised_at = now  # a change readers see
    record_change(session, actor, "image", item, before, now)
    session.commit()
    if replaced:
        release(session, store, replaced)
    return item


@dataclass(frozen=True)
class EditorSave:
    """What the item editor sent: its text and the files chosen with it."""

    draft: ItemDraft
    expected_version: int | None
    image: Upload | None = None
    image_alt: str | None = None
    file: Upload | None = None
    file_language: str | None = None


def save_from_editor(
    session: Session,
    actor: User,
    store: MediaStore,
    item_id: int,
    sent: EditorSave,
    *,
    limits: Limits,
    now: datetime,
) -> Item:
    """Save the editor's text and the files sent with it in one commit, or nothing.

    The files are checked before anything is stored, so a refused file leaves the
    item as it was and the view shows the officer's text again with the reason.
    """
    item = get_item(session, item_id)
    replaced: list[str] = []
    attach = _attacher(store, sent, item.kind, limits, now, replaced)
    saved = update_item(
        session,
        actor,
        item_id,
        sent.draft,
        expected_version=sent.expected_version,
        now=now,
        then=attach,
    )
    for sha in replaced:
        release(session, store, sha)
    return saved


def create_from_editor(
    session: Session,
    actor: User,
    store: MediaStore,
    sent: EditorSave,
    *,
    limits: Limits,
    now: datetime,
) -> Item:
    """A new draft from the editor's text and the files sent with it, or nothing."""
    attach = _attacher(store, sent, sent.draft.kind, limits, now, [])
    return create_item(session, actor, sent.draft, now, then=attach)


def _attacher(
    store: MediaStore,
    sent: EditorSave,
    kind: str,
    limits: Limits,
    now: datetime,
    replaced: list[str],
) -> Callable[[Item], None]:
    """Check the files sent with the text (raising before anything is stored) and
    return what stores them on the item, noting the image hashes it replaces."""
    checked_pdf = pdf_info(sent.file.data, limits) if sent.file else None
    if sent.file and not kinds.get(kind).has_files:
        raise ValidationFailed(["file: only reports carry files"])
    checked = image_info(sent.image.data, limits) if sent.image else None
    typed_alt = (sent.image_alt or "").strip()
    # A new image needs its alt text; without one, a typed alt updates the current.
    alt = clean_alt_text(typed_alt) if sent.image or typed_alt else None

    def attach(target: Item) -> None:
        if sent.image and checked and alt:
            gone = _put_image(target, store, sent.image.data, checked, alt)
            replaced.extend([gone] if gone else [])
        elif alt and target.image:
            target.details = {**(target.details or {}), "image_alt": alt}
        if sent.file and checked_pdf:
            _add_pdf(target, store, sent.file, checked_pdf, sent.file_language, now)

    return attach


def remove_file(
    session: Session,
    actor: User,
    store: MediaStore,
    item_id: int,
    file_id: int,
    now: datetime,
) -> Removed:
    """Detach a file from a report; delete its bytes once nothing else uses them."""
    item = get_item(session, item_id)
    target = next((f for f in item.files if f.id == file_id), None)
    if target is None:
        raise NotFound(f"no file {file_id} on item {item_id}")
    was_public = _answers(session, item, now)
    before = audit.item_snapshot(item)
    item.files.remove(target)
    item.updated_at = item.revised_at = now  # a change readers see
    session.flush()
    record_change(session, actor, "remove-file", item, before, now)
    session.commit()
    users = release(session, store, target.sha256)
    return Removed(target.filename, was_public, users)


def remove_image(
    session: Session, actor: User, store: MediaStore, item_id: int, now: datetime
) -> Removed:
    """Take an item's image away; delete its bytes once nothing else uses them."""
    item = get_item(session, item_id)
    if not item.image:
        raise NotFound(f"item {item_id} has no image")
    sha = image_hash(item.image)
    name = item.image.rsplit("/", 1)[-1]
    was_public = _answers(session, item, now)
    before = audit.item_snapshot(item)
    item.image = None
    item.details = {k: v for k, v in (item.details or {}).items() if k != "image_alt"}
    item.updated_at = item.revised_at = now  # a change readers see
    record_change(session, actor, "remove-image", item, before, now)
    session.commit()
    users = release(session, store, sha) if sha else ()
    return Removed(name, was_public, users)


def _answers(session: Session, item: Item, now: datetime) -> bool:
    query = select(Item.id).where(Item.id == item.id, reachable(now))
    return session.scalars(query).first() is not None


def users_of(session: Session, sha256: str) -> tuple[str, ...]:
    """Items and newsletters that reference these stored bytes, by name."""
    image = f"{IMAGE_PREFIX}{sha256}."
    files = select(ReportFile.item_id).where(ReportFile.sha256 == sha256)
    items = session.scalars(
        select(Item)
        .where(
            or_(
                Item.id.in_(files),
                Item.image.startswith(image, autoescape=True),
                Item.body_html.contains(image, autoescape=True),
            )
        )
        .order_by(Item.kind, Item.slug, Item.language)
    )
    names = [f"{i.plural}/{i.slug} ({i.language})" for i in items]
    letters = session.scalars(
        select(Newsletter).where(Newsletter.intro_html.contains(image, autoescape=True))
    )
    names += [f"newsletter/{n.slug} ({n.language})" for n in letters]
    thumbs = session.scalars(
        select(VideoThumbnail.youtube_id).where(VideoThumbnail.sha256 == sha256)
    )
    names += [f"video thumbnail {youtube_id}" for youtube_id in thumbs]
    return tuple(names)


def release(session: Session, store: MediaStore, sha256: str) -> tuple[str, ...]:
    """Delete stored bytes nothing references any more; return what still uses them."""
    users = users_of(session, sha256)
    if not users:
        store.delete(sha256)
        delete_cover(store, sha256)  # a PDF's cover goes with it
    return users


def find_file(session: Session, item_id: int, filename: str) -> ReportFile:
    """A file of an item by its stored name (drafts included, for officers)."""
    found = session.scalars(
        select(ReportFile).where(
            ReportFile.item_id == item_id, ReportFile.filename == filename
        )
    ).first()
    if found is None:
        raise NotFound(f"no file {filename!r} on item {item_id}")
    return found
