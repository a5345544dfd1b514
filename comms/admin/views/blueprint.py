"""The admin blueprint: CSRF on every state-changing request, login and roles.

Every admin endpoint needs a logged-in officer unless it is listed in PUBLIC, and
an admin when listed in ADMIN_ONLY: a new view is protected by default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from comms import kinds
from comms.admin.auth import current_user, require_user, start_session
from comms.admin.navigation import MenuEntry, build_menu
from comms.context import comms_state
from comms.csrf import check_csrf
from comms.i18n import format_local
from comms.zones import zone

bp = Blueprint("admin", __name__, url_prefix="/admin")
PUBLIC = {"admin.login"}
ADMIN_ONLY = {
    "admin.users",
    "admin.create_user",
    "admin.update_user",
    "admin.audit_log",
    # subscribers' personal data (comms/admin/views/subscribers.py)
    "admin.subscribers",
    "admin.export_subscribers",
    "admin.import_subscribers",
    "admin.confirm_import",
    "admin.subscriber",
    "admin.erase_subscriber",
    "admin.review",
    "admin.review_approve",
    "admin.review_send_back",
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def guard() -> Response | None:
    """Check the CSRF token of unsafe methods, then the login and the role."""
    if request.method not in SAFE_METHODS:
        check_csrf()
    user = current_user()
    if request.endpoint in PUBLIC:
        return None
    if user is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=target), code=303)
    if request.endpoint in ADMIN_ONLY and not user.is_admin:
        abort(403, "This page is for administrators only.")
    return None


@bp.after_app_request
def no_store(response: Response) -> Response:
    """Every answer under /admin is private: never cached by browsers or proxies.

    Registered for the whole app, so that the KPI pages, redirects to the login and
    error pages under /admin are covered as well as this blueprint's own views.
    """
    if request.path == "/admin" or request.path.startswith("/admin/"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def admin_context() -> dict[str, Any]:
    """Give admin templates the officer (None on public pages) and the menu."""
    return {
        "admin_user": g.get("admin_user"),
        "admin_menu": admin_menu,
        "has_endpoint": has_endpoint,
    }


def has_endpoint(name: str) -> bool:
    """Whether a view of this name exists (pages other parts add may be absent)."""
    return name in current_app.view_functions


@bp.app_template_filter("site_time")
def site_time(value: datetime | None, short: bool = False) -> str:
    """A date and time in the site's time zone, with the zone's name (``short``:
    ``2026-05-15 11:00``, for lists that name the zone once)."""
    where = zone(comms_state().site.timezone)
    if short:
        return "" if value is None else f"{value.astimezone(where):%Y-%m-%d %H:%M}"
    return format_local(value, where)


def admin_menu() -> list[MenuEntry]:
    """The side navigation of the signed-in officer on this page."""
    user = g.get("admin_user")
    if user is None:
        return []
    return build_menu(
        endpoints=current_app.view_functions,
        admin_only=ADMIN_ONLY,
        is_admin=user.is_admin,
        path=request.path,
        full_path=request.full_path.rstrip("?"),
        url_for=url_for,
        kinds=kinds.all_kinds(),
    )


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render an admin template with a status code."""
    return render_template(template, **context), status


def form_values() -> dict[str, str]:
    """The submitted form as a plain dict (the last value of each field)."""
    return request.form.to_dict()


__all__ = [
    "bp",
    "current_user",
    "form_values",
    "render",
    "require_user",
    "start_session",
]
