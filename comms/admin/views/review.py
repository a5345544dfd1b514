"""`/admin/review/`: the review queue of COMMS_REVIEW_REQUIRED (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import review as review_service
from comms.admin import service
from comms.admin.views.blueprint import bp, render, require_user
from comms.admin.views.items import announce_item
from comms.catalogue.models import Item
from comms.context import comms_state, get_session
from comms.errors import ValidationFailed


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _queue_page(
    status: int = 200, problems: list[str] | None = None
) -> tuple[str, int]:
    return render(
        "admin/review.html",
        status,
        entries=review_service.queue(get_session()),
        enabled=comms_state().settings.review_required,
        problems=problems or [],
        now=_now(),
    )


@bp.get("/review/")
def review() -> tuple[str, int]:
    """Items editors asked to publish or schedule, waiting for an admin."""
    return _queue_page()


@bp.post("/review/<int:request_id>/approve")
def review_approve(request_id: int) -> Response:
    """Carry out the editor's publish or schedule."""
    session = get_session()
    item = service.approve_review(session, require_user(), request_id, now=_now())
    announce_item(item, "schedule")  # pings now, or at the scheduled time
    flash(f"Approved: {item.display_title} ({item.language}) is {_state(item)}.")
    return redirect(url_for("admin.review"), code=303)


@bp.post("/review/<int:request_id>/return")
def review_send_back(request_id: int) -> Response | tuple[str, int]:
    """Send the item back to its editor with a comment."""
    session = get_session()
    try:
        found = review_service.send_back(
            session, require_user(), request_id, request.form.get("comment", ""), _now()
        )
    except ValidationFailed as exc:
        session.rollback()
        return _queue_page(422, exc.problems)
    flash(f"Sent back to {found.requested_by} with your comment.")
    return redirect(url_for("admin.review"), code=303)


def _state(item: Item) -> str:
    if item.published_at and item.published_at > _now():
        return f"scheduled for {item.published_at:%Y-%m-%d %H:%M} UTC"
    return "published"
