"""The item list: search, filters, sorting, pages and bulk actions on ticked rows."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import bulk, service
from comms.admin.auth import safe_next
from comms.admin.views.blueprint import bp, render, require_user
from comms.admin.views.items import kind_labels
from comms.catalogue.models import KINDS, STATUSES
from comms.catalogue.service import parse_page
from comms.context import comms_state, get_session
from comms.errors import ValidationFailed
from comms.publishing import announce

LIST_STATUSES = ("draft", "scheduled", "published", "archived")
SORT_LABELS = {"updated": "Last changed", "published": "Publication date",
               "title": "Title (A-Z)"}  # fmt: skip
MAX_FILTER = 200


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _arg(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > MAX_FILTER:
        raise ValidationFailed([f"{name}: at most {MAX_FILTER} characters"])
    return value or None


def _wanted() -> service.ItemFilter:
    """The list's search, filters and order from the query string, checked."""
    kind, status, sort = _arg("kind"), _arg("status"), _arg("sort") or "updated"
    problems = []
    if kind not in (None, *KINDS):
        problems.append(f"kind: use one of {', '.join(KINDS)}")
    if status not in (None, *STATUSES, "scheduled"):
        problems.append(f"status: use one of {', '.join(LIST_STATUSES)}")
    if sort not in service.SORTS:
        problems.append(f"sort: use one of {', '.join(service.SORTS)}")
    if problems:
        raise ValidationFailed(problems)
    return service.ItemFilter(
        q=_arg("q") or "",
        kind=kind,
        status=status,
        language=_arg("lang"),
        region=_arg("region"),
        tag=_arg("tag"),
        sort=sort,
        page=parse_page(request.args.get("page")),
    )


@bp.get("/items/")
def items() -> tuple[str, int]:
    """Every item, with search, filters, sorting, pages and bulk actions."""
    session = get_session()
    wanted = _wanted()
    found = service.search_items(session, wanted, now=_now())
    regions, tags = service.filter_choices(session)
    site = comms_state().site
    return render(
        "admin/items.html",
        found=found,
        wanted=wanted,
        labels=kind_labels(),
        statuses=LIST_STATUSES,
        sorts=SORT_LABELS,
        languages=site.languages,
        regions=sorted(set(regions) | set(site.regions or ())),
        region_names={
            code: site.region_name(code, "en") for code in site.regions or ()
        },
        tags=tags,
        bulk_actions=bulk.BULK_ACTIONS,
        now=_now(),
    )


@bp.post("/items/bulk")
def bulk_items() -> Response:
    """Publish, unpublish, archive or delete (drafts only) the ticked items."""
    user = require_user()
    action = request.form.get("action", "")
    ids = bulk.parse_ids(request.form.getlist("ids"))
    session = get_session()
    now = _now()
    result = bulk.apply(
        session,
        user,
        comms_state().store,
        ids,
        action,
        now=now,
        review_required=comms_state().settings.review_required,
    )
    public = [item for item in result.done if item.is_public(now)]
    if public:  # pings and snapshots, as the editor's Publish button queues them
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        announce(app, session, public, when=now, keyed=True)
    if result.count:
        titles = [i.display_title for i in result.done] + result.deleted
        noun = "item" if result.count == 1 else "items"
        flash(f"{bulk.PAST[action].capitalize()} {result.count} {noun}: "
              f"{'; '.join(titles)}.")  # fmt: skip
    for refusal in result.refused:
        flash(f"Not {bulk.PAST[action]}: {refusal.title} ({refusal.reason}).")
    back = safe_next(request.form.get("back"))
    if back is None or not back.startswith(url_for("admin.items")):
        back = url_for("admin.items")
    return redirect(back, code=303)
