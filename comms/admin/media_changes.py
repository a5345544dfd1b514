"""Changes made from the media library: alt text, replace and remove.

Every change is audited on what it touched (each item or newsletter, or the
removed bytes); bytes nothing uses any more are deleted after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin import attachments, audit
from comms.admin.attachments import IMAGE_PREFIX, Limits, Upload
from comms.admin.media_library import MediaEntry, get_entry, item_label
from comms.admin.models import User
from comms.admin.service import record_change
from comms.catalogue.covers import delete_cover, ensure_cover
from comms.catalogue.models import Item, Newsletter, ReportFile
from comms.errors import ValidationFailed
from comms.pdf_access import finding_keys
from comms.storage import MediaStore


class MediaInUse(ValidationFailed):
    """An entry cannot go while something uses it."""

    def __init__(self, entry: MediaEntry) -> None:
        self.entry = entry
        where = ", ".join(u.label for u in entry.usages)
        super().__init__([f"remove: still used by {where}"])


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


def _change_items(
    session: Session,
    actor: User,
    action: str,
    items: Iterable[Item],
    change: Callable[[Item], None],
    now: datetime,
) -> list[str]:
    """Apply ``change`` to each item, as a change readers see, audited one by one;
    the items' labels."""
    changed = []
    for item in items:
        before = audit.item_snapshot(item)
        change(item)
        item.updated_at = item.revised_at = now
        session.flush()
        record_change(session, actor, action, item, before, now)
        changed.append(item_label(item))
    return changed


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
    if digest == found.sha256:
        return Replaced(digest, ())
    ensure_cover(store, digest, upload.data)
    rows = session.scalars(select(ReportFile).where(ReportFile.sha256 == found.sha256))
    by_item: dict[int, list[ReportFile]] = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)

    def swap(item: Item) -> None:
        for row in by_item[item.id]:
            row.sha256, row.size = digest, len(upload.data)
            row.page_count, row.text = info.page_count, info.text
            row.pdf_title, row.pdf_language = info.title, info.language
            row.pdf_tagged = info.tagged

    items = [rows_of[0].item for rows_of in by_item.values()]
    changed = _change_items(session, actor, "replace-file", items, swap, now)
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
    if old == new:
        return Replaced(digest, ())
    item_ids = {u.item_id for u in found.usages if u.item_id}

    def swap(item: Item) -> None:
        if item.image == old:
            item.image = new
        item.body = item.body.replace(old, new)
        item.body_html = item.body_html.replace(old, new)

    items = list(session.scalars(select(Item).where(Item.id.in_(item_ids))))
    changed = _change_items(session, actor, "replace-image", items, swap, now)
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
