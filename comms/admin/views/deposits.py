"""A report's repository deposit from its admin page: prepare, then publish."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import audit
from comms.admin import service as admin_service
from comms.admin.views.blueprint import bp, require_user
from comms.admin.views.items import editor_page
from comms.context import comms_state, get_session
from comms.deposits import service
from comms.deposits.errors import (
    DepositConfigMissing,
    DepositRefused,
    RepositoryError,
    RepositoryValidation,
)
from comms.deposits.invenio import InvenioClient
from comms.errors import CommsError


def _failure(item_id: int, exc: CommsError) -> tuple[str, int]:
    """The item's page with what went wrong, field by field for validation."""
    session = get_session()
    session.rollback()
    item = admin_service.get_item(session, item_id)
    if isinstance(exc, RepositoryValidation):
        problems, status = exc.problems, 422
    elif isinstance(exc, DepositConfigMissing | DepositRefused):
        problems, status = [str(exc)], 422
    elif isinstance(exc, RepositoryError):
        problems, status = [str(exc)], 502
    else:
        raise exc
    return editor_page(item, status=status, deposit_problems=problems)


@bp.post("/items/<int:item_id>/deposit")
def deposit_item(item_id: int) -> Response | tuple[str, int]:
    """Create or resume the report's draft in the repository (not yet public)."""
    require_user()
    state = comms_state()
    session = get_session()
    item = admin_service.get_item(session, item_id)
    now = datetime.now(UTC)
    try:
        client = InvenioClient.from_settings(state.settings)
        prepared = service.prepare(
            session, item, state.site, state.settings, client, state.store, now
        )
    except CommsError as exc:
        return _failure(item_id, exc)
    if prepared.outcome == "ready":
        flash("Draft ready in the repository: check it below, then publish.")
    else:
        flash(f"Already deposited with DOI {prepared.deposit.doi}: nothing changed.")
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/deposit/publish")
def publish_deposit(item_id: int) -> Response | tuple[str, int]:
    """Publish the prepared draft once the officer confirmed; the DOI goes live."""
    user = require_user()
    state = comms_state()
    session = get_session()
    item = admin_service.get_item(session, item_id)
    before = item.doi
    if request.form.get("confirm") != "publish":
        return editor_page(
            item,
            status=422,
            deposit_problems=["confirm: tick the box to publish the record for good"],
        )
    try:
        client = InvenioClient.from_settings(state.settings)
        deposit = service.publish(
            session, item, state.settings, client, datetime.now(UTC)
        )
    except CommsError as exc:
        return _failure(item_id, exc)
    audit.record(
        session,
        user,
        "deposit",
        item,
        before={"doi": before},
        after={"doi": deposit.doi},
        now=datetime.now(UTC),
        summary=f"report {item.slug}.{item.language}: published in "
        f"{deposit.repository} with DOI {deposit.doi}",
    )
    session.commit()
    flash(f"Published in the repository with DOI {deposit.doi}.")
    if deposit.last_error:
        flash(deposit.last_error)
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)
