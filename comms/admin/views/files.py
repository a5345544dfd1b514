"""Report files and item images: upload, download, remove; public image URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, flash, redirect, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from comms.admin import attachments
from comms.admin.uploads import IMAGE_TYPES, FileTooLarge, looks_like, parse_image_name
from comms.admin.views.blueprint import bp, require_user
from comms.admin.views.pdf_checks import warn_about_pdf
from comms.catalogue.media import MEDIA_MAX_AGE, linked_publicly
from comms.context import comms_state, get_session, now
from comms.errors import NotFound, ValidationFailed

media_bp = Blueprint("admin_media", __name__)


def _upload(field: str) -> attachments.Upload:
    storage = request.files.get(field)
    if storage is None or not storage.filename:
        raise ValidationFailed([f"{field}: choose a file to upload"])
    return attachments.Upload(storage.filename, storage.read())


def limits() -> attachments.Limits:
    """The upload limits of the settings."""
    settings = comms_state().settings
    return attachments.Limits(
        max_bytes=settings.max_upload_mb * 1024 * 1024,
        max_pixels=settings.max_image_pixels,
    )


@bp.post("/items/<int:item_id>/files")
def upload_file(item_id: int) -> Response:
    """Attach a PDF to a report: only a real, readable PDF is accepted."""
    user = require_user()
    upload = _upload("file")
    try:
        stored = attachments.attach_pdf(
            get_session(),
            user,
            comms_state().store,
            item_id,
            upload=upload,
            language=request.form.get("language") or None,
            limits=limits(),
            now=datetime.now(UTC),
        )
    except FileTooLarge:
        raise RequestEntityTooLarge() from None
    flash(f"Uploaded {stored.filename} ({stored.page_count} pages).")
    warn_about_pdf(stored.item, upload.data)
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


def flash_removed(removed: attachments.Removed) -> None:
    """Tell the officer what removing an image or file did, and what it did not."""
    message = f"Removed {removed.name}."
    if removed.was_public:
        message += " The public page no longer offers it."
    if removed.still_used_by:
        message += (
            " The same file is still used by "
            f"{', '.join(removed.still_used_by)}, so it stays stored for them."
        )
    else:
        message += " Its stored copy is deleted."
    flash(message)


@bp.post("/items/<int:item_id>/files/<int:file_id>/delete")
def remove_file(item_id: int, file_id: int) -> Response:
    """Detach a file from a report; its bytes go once nothing else uses them."""
    user = require_user()
    removed = attachments.remove_file(
        get_session(), user, comms_state().store, item_id, file_id, datetime.now(UTC)
    )
    flash_removed(removed)
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


@bp.get("/items/<int:item_id>/files/<filename>")
def download_file(item_id: int, filename: str) -> Response:
    """A file of any item (drafts too), under its stored safe name."""
    found = attachments.find_file(get_session(), item_id, filename)
    path = comms_state().store.path_for(found.sha256)
    if not path.is_file():
        raise NotFound("the file is missing from the media store")
    return send_file(
        path,
        mimetype=found.media_type,
        as_attachment=True,
        download_name=found.filename,
    )


@bp.post("/items/<int:item_id>/image")
def upload_image(item_id: int) -> Response:
    """Set an item's image (PNG, JPEG or WebP) with its required alt text."""
    user = require_user()
    upload = _upload("image")
    try:
        attachments.set_image(
            get_session(),
            user,
            comms_state().store,
            item_id,
            data=upload.data,
            alt=request.form.get("image_alt", ""),
            limits=limits(),
            now=datetime.now(UTC),
        )
    except FileTooLarge:
        raise RequestEntityTooLarge() from None
    flash("Image saved.")
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/image/delete")
def remove_image(item_id: int) -> Response:
    """Take an item's image away; its bytes go once nothing else uses them."""
    user = require_user()
    removed = attachments.remove_image(
        get_session(), user, comms_state().store, item_id, datetime.now(UTC)
    )
    flash_removed(removed)
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


def _image_file(name: str) -> tuple[Path, str, str]:
    parsed = parse_image_name(name)
    if parsed is None:
        raise NotFound("no such image")
    sha, ext = parsed
    path = comms_state().store.path_for(sha)
    if not path.is_file():
        raise NotFound("no such image")
    with path.open("rb") as handle:
        if not looks_like(handle.read(16), ext):
            raise NotFound("no such image")
    return path, sha, ext


@bp.get("/media/images/<name>")
def item_image(name: str) -> Response:
    """Any stored image, for officers (a draft's image in its editor)."""
    path, sha, ext = _image_file(name)
    return send_file(path, mimetype=IMAGE_TYPES[ext], etag=sha, conditional=True)


@media_bp.get("/media/images/<name>")
def image(name: str) -> Response:
    """An uploaded image, only while an item or newsletter that answers links it."""
    if not linked_publicly(get_session(), f"/media/images/{name}", now=now()):
        raise NotFound("no such image")
    path, sha, ext = _image_file(name)
    # A short max-age with validators: unpublishing takes effect within a minute.
    return send_file(
        path,
        mimetype=IMAGE_TYPES[ext],
        max_age=MEDIA_MAX_AGE,
        etag=sha,
        conditional=True,
    )
