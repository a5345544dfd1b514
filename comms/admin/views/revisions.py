"""An item's revisions: the list, the differences with the current text, restore."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from comms import kinds
from comms.admin import revisions, service
from comms.admin.forms import parse_item_form
from comms.admin.views.blueprint import bp, render, require_user
from comms.context import comms_state, get_session
from comms.errors import ValidationFailed


def _labels(kind: str) -> dict[str, str]:
    own = {spec.name: spec.label for spec in kinds.get(kind).form_fields}
    return {**revisions.LABELS, **own}


@bp.get("/items/<int:item_id>/revisions/")
def item_revisions(item_id: int) -> tuple[str, int]:
    """Every saved revision of an item, newest first."""
    session = get_session()
    item = service.get_item(session, item_id)
    return render(
        "admin/revisions.html",
        item=item,
        revisions=revisions.list_revisions(session, item_id),
        current=None,
        diffs=None,
    )


@bp.get("/items/<int:item_id>/revisions/<int:revision_id>")
def item_revision(item_id: int, revision_id: int) -> tuple[str, int]:
    """One revision and how it differs from the item's current text."""
    session = get_session()
    item = service.get_item(session, item_id)
    chosen = revisions.get_revision(session, item_id, revision_id)
    diffs = revisions.diff_fields(
        chosen.fields, revisions.editable_fields(item), _labels(item.kind)
    )
    return render(
        "admin/revisions.html",
        item=item,
        revisions=revisions.list_revisions(session, item_id),
        current=chosen,
        diffs=diffs,
    )


@bp.post("/items/<int:item_id>/revisions/<int:revision_id>/restore")
def restore_revision(item_id: int, revision_id: int) -> Response | tuple[str, int]:
    """Save a revision's text as the item's current text (a new, audited save)."""
    session = get_session()
    user = require_user()
    item = service.get_item(session, item_id)
    chosen = revisions.get_revision(session, item_id, revision_id)
    values = revisions.restore_values(chosen, item.version)
    site = comms_state().site
    draft, problems = parse_item_form(
        item.kind,
        values,
        languages=site.languages,
        regions=set(site.regions) if site.regions else None,
    )
    if problems:
        raise ValidationFailed(
            [f"this revision no longer passes the checks: {p}" for p in problems]
        )
    when = chosen.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    service.update_item(
        session,
        user,
        item_id,
        draft,
        expected_version=item.version,
        now=datetime.now(UTC).replace(microsecond=0),
        action="restore",
        note=f"restored the revision of {when} UTC (version {chosen.version})",
    )
    flash(f"Restored the revision of {when} UTC: saved as a new revision.")
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)
