"""Files on items: report PDFs and item images, checked, stored by content hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin import audit
from comms.admin.models import User
from comms.admin.service import get_item, record_change
from comms.admin.uploads import FileTooLarge, check_image, check_pdf, safe_pdf_name
from comms.catalogue.models import Item, ReportFile
from comms.catalogue.storage import InvalidFile, MediaStore
from comms.errors import NotFound, ValidationFailed


def attach_pdf(
    session: Session,
    actor: User,
    store: MediaStore,
    item_id: int,
    *,
    filename: str | None,
    data: bytes,
    language: str | None,
    max_bytes: int,
    now: datetime,
) -> ReportFile:
    """Check and store a report's PDF by content hash, with its page count."""
    item = get_item(session, item_id)
    if item.kind != "report":
        raise ValidationFailed(["file: only reports carry files"])
    try:
        info = check_pdf(data, max_bytes)
    except FileTooLarge:
        raise
    except InvalidFile as exc:
        raise ValidationFailed([f"file: {exc}"]) from None
    before = audit.item_snapshot(item)
    name = safe_pdf_name(filename, item.slug)
    taken = {f.filename for f in item.files}
    stem, n = name.removesuffix(".pdf"), 2
    while name in taken:
        name, n = f"{stem}-{n}.pdf", n + 1
    digest = store.put(data)
    report_file = ReportFile(
        filename=name, sha256=digest, size=len(data), page_count=info.page_count,
        language=language or info.language or item.language, text=info.text,
        position=len(item.files), media_type="application/pdf",
    )  # fmt: skip
    item.files.append(report_file)
    item.updated_at = now
    session.flush()
    record_change(session, actor, "upload", item, before, now)
    session.commit()
    return report_file


def remove_file(
    session: Session, actor: User, item_id: int, file_id: int, now: datetime
) -> None:
    """Detach a file from a report (the stored bytes stay, shared by hash)."""
    item = get_item(session, item_id)
    target = next((f for f in item.files if f.id == file_id), None)
    if target is None:
        raise NotFound(f"no file {file_id} on item {item_id}")
    before = audit.item_snapshot(item)
    item.files.remove(target)
    item.updated_at = now
    session.flush()
    record_change(session, actor, "remove-file", item, before, now)
    session.commit()


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


def set_image(
    session: Session,
    actor: User,
    store: MediaStore,
    item_id: int,
    *,
    data: bytes,
    alt: str,
    max_bytes: int,
    now: datetime,
) -> Item:
    """Store an item's image by content hash, with its required alt text."""
    alt = " ".join(alt.split())
    if not alt:
        raise ValidationFailed(
            ["image_alt: describe the image for people who cannot see it"]
        )
    if len(alt) > 300:
        raise ValidationFailed(["image_alt: at most 300 characters"])
    item = get_item(session, item_id)
    try:
        checked = check_image(data, max_bytes)
    except FileTooLarge:
        raise
    except InvalidFile as exc:
        raise ValidationFailed([f"image: {exc}"]) from None
    before = audit.item_snapshot(item)
    digest = store.put(data)
    item.image = f"/media/images/{digest}.{checked.ext}"
    item.details = {**(item.details or {}), "image_alt": alt}
    item.updated_at = now
    record_change(session, actor, "image", item, before, now)
    session.commit()
    return item
