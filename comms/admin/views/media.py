"""The media library at /admin/media/: list, alt text, replace, remove; PDF checks."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from comms.admin import attachments, media_changes, media_library
from comms.admin.uploads import FileTooLarge
from comms.admin.views.blueprint import bp, render, require_user
from comms.admin.views.files import limits
from comms.admin.views.pdf_checks import pdf_warning
from comms.context import comms_state, get_session
from comms.errors import NotFound, ValidationFailed

PAGE_SIZE = 50


def _query() -> media_library.MediaQuery:
    show = request.args.get("show", "all")
    return media_library.MediaQuery(
        q=request.args.get("q", "").strip()[:200],
        show=show if show in media_library.SHOWS else "all",
        unused=request.args.get("unused") == "1",
    )


@bp.get("/media/")
def media() -> tuple[str, int]:
    """Every stored image and file: where it is used, size, alt text, PDF checks."""
    query = _query()
    entries = media_library.list_media(get_session(), comms_state().store, query)
    raw = request.args.get("page", "1")
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    number = min(int(raw), pages) if raw.isdigit() and int(raw) > 0 else 1
    shown = entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]

    def page_url(n: int) -> str:
        unused = "1" if query.unused else None
        return url_for(
            "admin.media", q=query.q or None, show=query.show, unused=unused, page=n
        )

    return render(
        "admin/media.html",
        entries=shown,
        total=len(entries),
        first=(number - 1) * PAGE_SIZE + 1,
        query=query,
        number=number,
        pages=pages,
        page_url=page_url,
    )


def _entry_page(
    sha256: str, status: int = 200, problems: list[str] | None = None
) -> tuple[str, int]:
    found = media_library.get_entry(get_session(), comms_state().store, sha256)
    return render(
        "admin/media_entry.html",
        status,
        entry=found,
        problems=problems or [],
        alt_value=request.form.get("image_alt") if problems else None,
    )


def _sha(sha256: str) -> str:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise NotFound("no such image or file")
    return sha256


@bp.get("/media/<sha256>/")
def media_entry(sha256: str) -> tuple[str, int]:
    """One image or file: its preview, users, alt text, replace and remove."""
    return _entry_page(_sha(sha256))


@bp.get("/media/<sha256>/download")
def media_download(sha256: str) -> Response:
    """The stored bytes of an entry (an unused one too), as a download."""
    found = media_library.get_entry(get_session(), comms_state().store, _sha(sha256))
    path = comms_state().store.path_for(found.sha256)
    if not found.stored or not path.is_file():
        raise NotFound("the file is missing from the media store")
    return send_file(
        path, mimetype=found.media_type, as_attachment=True, download_name=found.name
    )


@bp.post("/media/<sha256>/alt")
def media_alt(sha256: str) -> Response | tuple[str, int]:
    """Set the alt text of an image on every item showing it as its own."""
    user = require_user()
    try:
        media_changes.set_alt(
            get_session(),
            user,
            comms_state().store,
            _sha(sha256),
            request.form.get("image_alt", ""),
            datetime.now(UTC),
        )
    except ValidationFailed as exc:
        get_session().rollback()
        return _entry_page(sha256, 422, exc.problems)
    flash("Alt text saved.")
    return redirect(url_for("admin.media_entry", sha256=sha256), code=303)


@bp.post("/media/<sha256>/replace")
def media_replace(sha256: str) -> Response | tuple[str, int]:
    """Upload a new version of an image or file in its place, keeping its links."""
    user = require_user()
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        return _entry_page(_sha(sha256), 422, ["file: choose a file to upload"])
    upload = attachments.Upload(storage.filename, storage.read())
    try:
        done = media_changes.replace(
            get_session(),
            user,
            comms_state().store,
            _sha(sha256),
            upload,
            limits=limits(),
            now=datetime.now(UTC),
        )
    except FileTooLarge:
        get_session().rollback()
        raise RequestEntityTooLarge() from None
    except ValidationFailed as exc:
        get_session().rollback()
        return _entry_page(sha256, 422, exc.problems)
    if done.changed:
        flash(f"Replaced: the new version is now used by {', '.join(done.changed)}.")
    else:
        flash("Replaced: the new version is the same file; nothing changed.")
    message = pdf_warning(
        upload.filename or "the PDF", done.pdf_title, done.pdf_findings
    )
    if message:
        flash(message, "warning")
    return redirect(url_for("admin.media_entry", sha256=done.sha256), code=303)


@bp.post("/media/<sha256>/remove")
def media_remove(sha256: str) -> Response | tuple[str, int]:
    """Delete an unused entry's bytes; refused (409) with its users while in use."""
    user = require_user()
    try:
        found = media_changes.remove(
            get_session(), user, comms_state().store, _sha(sha256), datetime.now(UTC)
        )
    except media_changes.MediaInUse as exc:
        get_session().rollback()
        return _entry_page(sha256, 409, exc.problems)
    flash(f"Removed {found.name}: its stored copy is deleted.")
    return redirect(url_for("admin.media"), code=303)
