"""The item editor with its preview (the dashboard and the list: their own modules)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms import kinds
from comms.admin import attachments, service
from comms.admin.forms import (
    ItemDraft,
    item_form_values,
    parse_datetime,
    parse_item_form,
)
from comms.admin.uploads import FileTooLarge
from comms.admin.views.blueprint import bp, form_values, render, require_user
from comms.admin.views.files import limits
from comms.catalogue.models import Item
from comms.context import comms_state, get_session
from comms.deposits import service as deposits
from comms.errors import NotFound, ValidationFailed
from comms.publishing import announce
from comms.rendering import render_markdown


def kind_labels() -> dict[str, str]:
    """Each kind's name as the (English) admin shows it, in registry order."""
    return {kind.name: kind.label for kind in kinds.all_kinds()}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _editor(
    kind: str,
    values: dict[str, Any],
    item: Item | None,
    *,
    status: int = 200,
    problems: list[str] | None = None,
    preview: str | None = None,
    conflict: str | None = None,
    deposit_problems: list[str] | None = None,
) -> tuple[str, int]:
    site = comms_state().site
    versions = service.language_versions(get_session(), item) if item else []
    return render(
        "admin/item_form.html",
        status,
        versions=versions,
        kind=kind,
        values=values,
        item=item,
        problems=problems or [],
        preview=preview,
        conflict=conflict,
        labels=kind_labels(),
        kind_def=kinds.get(kind),
        languages=site.languages,
        regions=site.regions,
        now=_now(),
        **_deposit_context(item, deposit_problems),
    )


def _deposit_context(item: Item | None, problems: list[str] | None) -> dict[str, Any]:
    """A report's deposit panel: its state and what a deposit would send."""
    if item is None or item.kind != "report":
        return {}
    state = comms_state()
    shown = None
    if item.published_at is not None:
        shown = deposits.preview(item, state.site, state.settings)
    return {
        "deposit": deposits.get_deposit(get_session(), item.id),
        "deposit_preview": shown,
        "deposit_problems": problems or [],
        "deposit_configured": bool(state.settings.zenodo_token),
    }


def editor_page(
    item: Item, *, status: int = 200, deposit_problems: list[str] | None = None
) -> tuple[str, int]:
    """An item's editor as saved, with problems shown in its deposit panel."""
    return _editor(
        item.kind,
        item_form_values(item),
        item,
        status=status,
        deposit_problems=deposit_problems,
    )


def _parse(kind: str, raw: dict[str, str]) -> tuple[ItemDraft, list[str]]:
    site = comms_state().site
    regions = set(site.regions) if site.regions else None
    return parse_item_form(kind, raw, languages=site.languages, regions=regions)


@bp.route("/items/new/<plural>", methods=["GET", "POST"])
def new_item(plural: str) -> Response | tuple[str, int]:
    """The editor for a new item of a kind officers write (saved as a draft)."""
    found = kinds.by_plural(plural)
    if found is None or found.synced:
        raise NotFound(f"no editor for {plural!r}")
    kind = found.name
    if request.method == "GET":
        default = {"language": comms_state().site.default_language}
        return _editor(kind, default, None)
    user = require_user()
    values = form_values()
    draft, problems = _parse(kind, values)
    if problems:
        return _editor(kind, values, None, status=422, problems=problems)
    if values.get("action") == "preview":
        return _editor(
            kind, values, None, preview=render_markdown(values.get("body", ""))
        )
    try:
        item = service.create_item(get_session(), user, draft, _now())
    except ValidationFailed as exc:
        return _editor(kind, values, None, status=422, problems=exc.problems)
    flash("Draft saved.")
    return redirect(url_for("admin.edit_item", item_id=item.id), code=303)


@bp.route("/items/<int:item_id>/", methods=["GET", "POST"])
def edit_item(item_id: int) -> Response | tuple[str, int]:
    """Edit an item; a save over someone else's newer save is refused (409)."""
    session = get_session()
    item = service.get_item(session, item_id)
    if request.method == "GET":
        return _editor(item.kind, item_form_values(item), item)
    user = require_user()
    values = form_values()
    draft, problems = _parse(item.kind, values)
    if problems:
        return _editor(item.kind, values, item, status=422, problems=problems)
    if values.get("action") == "preview":
        body = values.get("body", item.body)
        return _editor(item.kind, values, item, preview=render_markdown(body))
    version = values.get("version", "")
    sent = attachments.EditorSave(
        draft=draft,
        expected_version=int(version) if version.isdigit() else None,
        image=_chosen("image"),
        image_alt=request.form.get("image_alt"),
        file=_chosen("file"),
        file_language=values.get("file_language") or None,
    )
    try:
        attachments.save_from_editor(
            session,
            user,
            comms_state().store,
            item_id,
            sent,
            limits=limits(),
            now=_now(),
        )
    except service.EditConflict as exc:
        current = service.get_item(session, item_id)
        return _editor(item.kind, values, current, status=409, conflict=str(exc))
    except ValidationFailed as exc:
        session.rollback()
        return _editor(item.kind, values, item, status=422, problems=exc.problems)
    except FileTooLarge as exc:
        session.rollback()
        return _editor(item.kind, values, item, status=413, problems=[f"{exc}"])
    flash(_saved_message(sent))
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


def _chosen(field: str) -> attachments.Upload | None:
    """A file chosen in the editor's form, or None when the field was left empty."""
    storage = request.files.get(field)
    if storage is None or not storage.filename:
        return None
    return attachments.Upload(storage.filename, storage.read())


def _saved_message(sent: attachments.EditorSave) -> str:
    done = ["Saved."]
    if sent.image:
        done.append("Image saved.")
    if sent.file:
        done.append("PDF uploaded.")
    return " ".join(done)


@bp.post("/items/<int:item_id>/status")
def item_status(item_id: int) -> Response:
    """Publish now, schedule at a time, unpublish or archive."""
    user = require_user()
    action = request.form.get("action", "")
    if action not in service.STATUS_ACTIONS:
        raise ValidationFailed(
            [f"action: use one of {', '.join(service.STATUS_ACTIONS)}"]
        )
    raw_when = request.form.get("published_at", "")
    when = parse_datetime(raw_when) if raw_when else None
    if action == "schedule" and when is None:
        raise ValidationFailed(
            ["published_at: give a date and time like 2026-05-15T09:00 (UTC)"]
        )
    session = get_session()
    item = service.change_status(session, user, item_id, action, when=when, now=_now())
    if item.is_public(_now()) or (action == "schedule" and item.published_at):
        # Pings and a snapshot now, or at the scheduled time.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        at = max(item.published_at or _now(), _now())
        announce(app, session, [item], when=at, keyed=True)
    messages = {
        "publish": "Published.",
        "schedule": f"Scheduled for {item.published_at:%Y-%m-%d %H:%M} UTC.",
        "unpublish": "Unpublished: the item is a draft again.",
        "archive": "Archived.",
    }
    flash(messages[action])
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/translations")
def add_translation(item_id: int) -> Response:
    """Start a language version of an item (a draft copy to translate)."""
    user = require_user()
    copy = service.add_translation(
        get_session(),
        user,
        item_id,
        request.form.get("language", ""),
        comms_state().site.languages,
    )
    flash(f"Draft {copy.language} version created: translate it below.")
    return redirect(url_for("admin.edit_item", item_id=copy.id), code=303)
