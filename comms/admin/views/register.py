"""`/admin/deliverables/`: the register of work packages and deliverables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from comms.admin import audit
from comms.admin.views.blueprint import bp, form_values, render, require_user
from comms.catalogue import register
from comms.catalogue.models import Deliverable
from comms.context import get_session
from comms.errors import NotFound, ValidationFailed


def _audit(action: str, code: str, summary: str) -> None:
    """Record a change of the register in the audit log (after its own commit)."""
    session = get_session()
    target = audit.Target("register", code, summary)
    audit.record(session, require_user(), action, target, before=None, after=None,
                 now=datetime.now(UTC))  # fmt: skip
    session.commit()


def _register_page(
    status: int = 200,
    *,
    problems: list[str] | None = None,
    typed: dict[str, str] | None = None,
) -> tuple[str, int]:
    session = get_session()
    return render(
        "admin/deliverables.html",
        status,
        packages=register.work_packages(session),
        counts=register.output_counts(session),
        problems=problems or [],
        typed=typed or {},
    )


@bp.get("/deliverables/")
def deliverables() -> tuple[str, int]:
    """Every deliverable by work package, with its due date and its outputs."""
    return _register_page()


@bp.post("/deliverables/work-packages/")
def work_package_new() -> Response | tuple[str, int]:
    """Add a work package to the register."""
    values = form_values()
    draft, problems = register.check_work_package(values)
    try:
        if problems:
            raise ValidationFailed(problems)
        register.save_work_package(get_session(), draft)
    except ValidationFailed as exc:
        get_session().rollback()
        return _register_page(422, problems=exc.problems, typed=values)
    _audit("work-package-create", draft.code, f"{draft.code}: {draft.title}")
    flash(f"Work package {draft.code} added.")
    return redirect(url_for("admin.deliverables"), code=303)


@bp.route("/deliverables/work-packages/<int:package_id>/", methods=["GET", "POST"])
def work_package_edit(package_id: int) -> Response | tuple[str, int]:
    """Change a work package's code or title."""
    session = get_session()
    package = register.get_work_package(session, package_id)
    values = {"code": package.code, "title": package.title}
    if _is_post():
        values = form_values()
        draft, problems = register.check_work_package(values)
        try:
            if problems:
                raise ValidationFailed(problems)
            register.save_work_package(session, draft, package_id)
        except ValidationFailed as exc:
            session.rollback()
            return _package_form(package_id, values, exc.problems)
        _audit("work-package-update", draft.code, f"{draft.code}: {draft.title}")
        flash(f"Work package {draft.code} saved.")
        return redirect(url_for("admin.deliverables"), code=303)
    return _package_form(package_id, values, [])


def _package_form(
    package_id: int, values: dict[str, str], problems: list[str]
) -> tuple[str, int]:
    return render(
        "admin/work_package_form.html",
        422 if problems else 200,
        package_id=package_id,
        values=values,
        problems=problems,
    )


def _delete(
    remove: Callable[[Session, int], str], row_id: int, action: str, label: str
) -> Response | tuple[str, int]:
    """Delete a row of the register; a refusal shows the register with why (409)."""
    try:
        code = remove(get_session(), row_id)
    except ValidationFailed as exc:
        get_session().rollback()
        return _register_page(409, problems=exc.problems)
    _audit(f"{action}-delete", code, code)
    flash(f"{label} {code} deleted.")
    return redirect(url_for("admin.deliverables"), code=303)


@bp.post("/deliverables/work-packages/<int:package_id>/delete")
def work_package_delete(package_id: int) -> Response | tuple[str, int]:
    """Delete a work package that has no deliverables."""
    return _delete(
        register.delete_work_package, package_id, "work-package", "Work package"
    )


@bp.route("/deliverables/new", methods=["GET", "POST"])
def deliverable_new() -> Response | tuple[str, int]:
    """Add a deliverable to the register."""
    if not _is_post():
        return _deliverable_form(None, {}, [])
    return _save_deliverable(None)


@bp.route("/deliverables/<int:deliverable_id>/edit", methods=["GET", "POST"])
def deliverable_edit(deliverable_id: int) -> Response | tuple[str, int]:
    """Change a deliverable: code, title, work package, due date, description."""
    found = get_session().get(Deliverable, deliverable_id)
    if found is None:
        raise NotFound(f"no deliverable {deliverable_id}")
    if not _is_post():
        values = {
            "code": found.code,
            "title": found.title,
            "work_package": found.work_package.code,
            "due": found.due.isoformat(),
            "description": found.description,
        }
        return _deliverable_form(found, values, [])
    return _save_deliverable(found)


def _save_deliverable(found: Deliverable | None) -> Response | tuple[str, int]:
    session = get_session()
    values = form_values()
    draft, problems = register.check_deliverable(values)
    try:
        if problems:
            raise ValidationFailed(problems)
        saved = register.save_deliverable(
            session, draft, found.id if found is not None else None
        )
    except ValidationFailed as exc:
        session.rollback()
        return _deliverable_form(found, values, exc.problems)
    _audit("deliverable-create" if found is None else "deliverable-update",
           saved.code, f"{saved.code}: {saved.title}, {saved.work_package.code}, "
           f"due {saved.due.isoformat()}")  # fmt: skip
    flash(f"Deliverable {saved.code} saved.")
    return redirect(url_for("kpi.deliverable", code=saved.code), code=303)


def _deliverable_form(
    found: Deliverable | None, values: dict[str, Any], problems: list[str]
) -> tuple[str, int]:
    return render(
        "admin/deliverable_form.html",
        422 if problems else 200,
        deliverable=found,
        values=values,
        problems=problems,
        packages=register.work_packages(get_session()),
    )


@bp.post("/deliverables/<int:deliverable_id>/delete")
def deliverable_delete(deliverable_id: int) -> Response | tuple[str, int]:
    """Delete a deliverable; refused while outputs are linked to it."""
    return _delete(
        register.delete_deliverable, deliverable_id, "deliverable", "Deliverable"
    )


def _is_post() -> bool:
    return request.method == "POST"
