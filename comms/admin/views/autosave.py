"""What the editor's script calls in the background: the live preview and autosave."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from comms import kinds
from comms.admin import service
from comms.admin.forms import local_input
from comms.admin.views.blueprint import bp, form_values, render, require_user
from comms.admin.views.items import editor_values, parse_editor
from comms.catalogue.models import Item
from comms.context import comms_state, get_session
from comms.errors import NotFound, ValidationFailed
from comms.rendering import clean_text, render_markdown
from comms.text import slugify


def now() -> datetime:
    """The current time, to the second (as the editor's saves keep it)."""
    return datetime.now(UTC).replace(microsecond=0)


@bp.post("/items/preview")
def preview_text() -> tuple[str, int]:
    """The editor's title, summary and body as the site renders and sanitises them."""
    values = form_values()
    return render(
        "admin/_preview.html",
        values=values,
        preview=render_markdown(clean_text(values.get("body", ""))),
        slug=slugify(clean_text(values.get("title", "")), fallback=""),
    )


@bp.post("/items/new/<plural>/autosave")
def autosave_new_item(plural: str) -> tuple[dict[str, Any], int]:
    """Save a new item's first draft in the background (JSON, with its editor's URL)."""
    found = kinds.by_plural(plural)
    if found is None or found.synced:
        raise NotFound(f"no editor for {plural!r}")
    session = get_session()
    user = require_user()
    values = editor_values()
    draft, problems = parse_editor(found.name, values)
    if problems:
        return {"saved": False, "problems": problems}, 422
    try:
        item = service.create_item(session, user, draft, now(), autosave=True)
    except ValidationFailed as exc:
        session.rollback()
        return {"saved": False, "problems": exc.problems}, 422
    return {
        **_autosaved(item),
        "edit_url": url_for("admin.edit_item", item_id=item.id),
        "autosave_url": url_for("admin.autosave_item", item_id=item.id),
    }, 201


def _autosaved(item: Item) -> dict[str, Any]:
    zone = comms_state().site.timezone
    return {
        "saved": True,
        "version": item.version,
        "at": local_input(item.updated_at, zone)[11:16],
        "timezone": zone,
    }


@bp.post("/items/<int:item_id>/autosave")
def autosave_item(item_id: int) -> tuple[dict[str, Any], int]:
    """Save a draft in the background (JSON); never over a newer save (409)."""
    session = get_session()
    item = service.get_item(session, item_id)
    user = require_user()
    values = editor_values()
    draft, problems = parse_editor(item.kind, values)
    if problems:
        return {"saved": False, "problems": problems}, 422
    version = values.get("version", "")
    try:
        saved = service.update_item(
            session,
            user,
            item_id,
            draft,
            expected_version=int(version) if version.isdigit() else None,
            now=now(),
            autosave=True,
        )
    except service.EditConflict as exc:
        return {"saved": False, "conflict": str(exc)}, 409
    except ValidationFailed as exc:
        session.rollback()
        return {"saved": False, "problems": exc.problems}, 422
    return _autosaved(saved), 200
