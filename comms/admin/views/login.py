"""Log in, log out and change one's password."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms import ratelimit
from comms.admin import accounts, auth
from comms.admin.views.blueprint import (
    bp,
    current_user,
    render,
    require_user,
    start_session,
)
from comms.context import get_session
from comms.errors import ValidationFailed


def _address() -> str:
    """The real client (see ratelimit.request_client), as the throttle keys it."""
    return ratelimit.request_client()[:64]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    """The login form; on success a fresh session and a redirect inside the site."""
    next_url = auth.safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url or url_for("admin.dashboard"))
        return render("admin/login.html", next_url=next_url, email="")
    email = request.form.get("email", "")
    try:
        user = accounts.log_in(
            get_session(),
            email,
            request.form.get("password", ""),
            address=_address(),
            now=datetime.now(UTC),
        )
    except accounts.TooManyAttempts as exc:
        page, status = render(
            "admin/login.html", 429, next_url=next_url, email=email, error=str(exc)
        )
        return Response(page, status, headers={"Retry-After": str(exc.retry_after)})
    if user is None:
        return render(
            "admin/login.html",
            401,
            next_url=next_url,
            email=email,
            error="Wrong e-mail address or password.",
        )
    start_session(user)
    return redirect(next_url or url_for("admin.dashboard"), code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session, on the server too: a copy of the cookie opens nothing."""
    auth.end_session()
    flash("You are logged out.")
    return redirect(url_for("admin.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
def password() -> Response | tuple[str, int]:
    """Change one's own password; other sessions of the account end."""
    user = require_user()
    if request.method == "GET":
        return render("admin/password.html")
    new = request.form.get("new_password", "")
    problems: list[str] = []
    if new != request.form.get("confirm_password", ""):
        problems.append("confirm_password: the two new passwords differ")
    else:
        try:
            accounts.change_password(
                get_session(),
                user,
                request.form.get("current_password", ""),
                new,
                address=_address(),
                now=datetime.now(UTC),
            )
        except accounts.TooManyAttempts as exc:
            page, status = render("admin/password.html", 429, problems=[str(exc)])
            return Response(page, status, headers={"Retry-After": str(exc.retry_after)})
        except ValidationFailed as exc:
            problems = exc.problems
    if problems:
        return render("admin/password.html", 422, problems=problems)
    start_session(user)
    flash("Your password is changed. Other sessions of your account have ended.")
    return redirect(url_for("admin.dashboard"), code=303)
