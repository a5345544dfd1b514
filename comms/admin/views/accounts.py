"""Accounts and the audit log (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import accounts, audit
from comms.admin.models import ROLES
from comms.admin.views.blueprint import bp, render, require_user
from comms.catalogue.service import parse_page
from comms.context import get_session
from comms.errors import ValidationFailed


@bp.get("/users/")
def users() -> tuple[str, int]:
    """Every account, with forms to add one or change a role."""
    return render(
        "admin/users.html", users=accounts.list_users(get_session()), roles=ROLES
    )


@bp.post("/users/")
def create_user() -> Response | tuple[str, int]:
    """Create an account with a first password the officer changes later."""
    actor = require_user()
    session = get_session()
    new = accounts.NewAccount(
        email=request.form.get("email", ""),
        role=request.form.get("role", ""),
        password=request.form.get("password", ""),
    )
    try:
        user = accounts.create_user(session, new, actor=actor, now=datetime.now(UTC))
    except ValidationFailed as exc:
        session.rollback()
        return render(
            "admin/users.html",
            422,
            users=accounts.list_users(session),
            roles=ROLES,
            problems=exc.problems,
            typed={"email": new.email, "role": new.role},
        )
    flash(f"Account {user.email} created.")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>")
def update_user(user_id: int) -> Response:
    """Change an account's role or switch it on or off."""
    actor = require_user()
    user = accounts.update_user(
        get_session(),
        actor,
        user_id,
        role=request.form.get("role", ""),
        active=request.form.get("active") == "1",
        now=datetime.now(UTC),
    )
    flash(f"Account {user.email} updated.")
    return redirect(url_for("admin.users"), code=303)


@bp.get("/audit/")
def audit_log() -> tuple[str, int]:
    """Every change, newest first: who, what, when, before and after."""
    page = audit.audit_page(
        get_session(),
        page=parse_page(request.args.get("page")),
        target=request.args.get("target") or None,
    )
    return render("admin/audit.html", page=page, changed=audit.changed_keys)
