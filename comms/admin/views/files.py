"""Report files and item images: upload, download, remove; public image URLs."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from comms.admin import attachments
from comms.admin.uploads import IMAGE_TYPES, FileTooLarge, looks_like, parse_image_name
from comms.admin.views.blueprint import bp, require_user
from comms.errors import NotFound, ValidationFailed
from comms.web.context import comms_state, get_session

media_bp = Blueprint("admin_media", __name__)


def _upload(field: str) -> tuple[str | None, bytes]:
    storage = request.files.get(field)
    if storage is None or not storage.filename:
        raise ValidationFailed([f"{field}: choose a file to upload"])
    return storage.filename, storage.read()


def _max_bytes() -> int:
    return comms_state().settings.max_upload_mb * 1024 * 1024


@bp.post("/items/<int:item_id>/files")
def upload_file(item_id: int) -> Response:
    """Attach a PDF to a report: only a real, readable PDF is accepted."""
    user = require_user()
    filename, data = _upload("file")
    try:
        stored = attachments.attach_pdf(
            get_session(), user, comms_state().store, item_id,
            filename=filename, data=data,
            language=request.form.get("language") or None,
            max_bytes=_max_bytes(), now=datetime.now(UTC),
        )  # fmt: skip
    except FileTooLarge:
        raise RequestEntityTooLarge() from None
    flash(f"Uploaded {stored.filename} ({stored.page_count} pages).")
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/files/<int:file_id>/delete")
def remove_file(item_id: int, file_id: int) -> Response:
    """Detach a file from a report."""
    user = require_user()
    attachments.remove_file(get_session(), user, item_id, file_id, datetime.now(UTC))
    flash("File removed.")
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
    _filename, data = _upload("image")
    try:
        attachments.set_image(
            get_session(), user, comms_state().store, item_id,
            data=data, alt=request.form.get("image_alt", ""),
            max_bytes=_max_bytes(), now=datetime.now(UTC),
        )  # fmt: skip
    except FileTooLarge:
        raise RequestEntityTooLarge() from None
    flash("Image saved.")
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


@media_bp.get("/media/images/<name>")
def image(name: str) -> Response:
    """An uploaded image by content hash (immutable, cached for a year)."""
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
    return send_file(
        path, mimetype=IMAGE_TYPES[ext], max_age=31536000, etag=sha, conditional=True
    )
