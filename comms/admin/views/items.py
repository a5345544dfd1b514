"""The item editor with its preview (the dashboard and the list: their own modules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms import kinds
from comms.admin import attachments, review, revisions, service
from comms.admin.forms import (
    ItemDraft,
    item_form_values,
    local_input,
    parse_deliverables,
    parse_item_form,
    parse_local_datetime,
)
from comms.admin.models import User
from comms.admin.uploads import FileTooLarge
from comms.admin.views.blueprint import (
    bp,
    form_values,
    render,
    require_user,
    site_time,
)
from comms.admin.views.files import limits
from comms.admin.views.pdf_checks import warn_about_pdf
from comms.catalogue import register
from comms.catalogue.models import Item
from comms.context import comms_state, get_session
from comms.deposits import service as deposits
from comms.errors import NotFound, ValidationFailed
from comms.publishing import announce
from comms.rendering import render_markdown
from comms.text import slugify


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
    session = get_session()
    versions = service.language_versions(session, item) if item else []
    if preview is None and not kinds.get(kind).synced:
        preview = render_markdown(values.get("body", ""))
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
        chosen_regions=_split(values.get("regions", "")),
        known_tags=service.known_tags(session),
        timezone=site.timezone,
        publish_at=_publish_at_value(values, item),
        scheduled_shown=_scheduled_shown(item),
        slug_hint=slugify(str(values.get("title", "")), fallback=""),
        revision_count=len(revisions.list_revisions(session, item.id)) if item else 0,
        now=_now(),
        register_packages=register.work_packages(get_session()),
        review_request=review.for_item(get_session(), item.id) if item else None,
        **_deposit_context(item, deposit_problems),
    )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _publish_at_value(values: dict[str, Any], item: Item | None) -> str:
    """The schedule field: what was typed, else a scheduled item's time (site zone)."""
    typed = str(values.get("publish_at", ""))
    if typed or item is None or item.published_at is None:
        return typed
    if item.status == "published" and item.published_at > _now():
        return local_input(item.published_at, comms_state().site.timezone)
    return ""


def _scheduled_shown(item: Item | None) -> str:
    """A scheduled item's time in the site's zone, as the status line shows it."""
    if item is None or item.published_at is None:
        return ""
    shown = local_input(item.published_at, comms_state().site.timezone)
    return shown[:16].replace("T", " ")


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


def parse_editor(kind: str, raw: dict[str, str]) -> tuple[ItemDraft, list[str]]:
    """The editor's values checked as every door checks them (comms.kinds)."""
    site = comms_state().site
    regions = set(site.regions) if site.regions else None
    draft, problems = parse_item_form(
        kind, raw, languages=site.languages, regions=regions
    )
    if "deliverables_shown" in request.form:  # admin/_deliverables_field.html
        codes = parse_deliverables(request.form.getlist("deliverables"), problems)
        draft = replace(draft, deliverables=codes)
    return draft, problems


def editor_values() -> dict[str, str]:
    """The editor's form as a dict: regions ticked as boxes become one list."""
    values = form_values()
    ticked = request.form.getlist("regions")
    if len(ticked) > 1:
        values["regions"] = ", ".join(ticked)
    return values


# What the editor's buttons do besides saving the text.
EDITOR_ACTIONS = ("save", "preview", *service.STATUS_ACTIONS)


def _action(values: dict[str, str], item: Item | None) -> str:
    action = values.get("action") or "save"
    allowed = EDITOR_ACTIONS if item else ("save", "preview", "publish", "schedule")
    if action not in allowed:
        raise ValidationFailed([f"action: use one of {', '.join(allowed)}"])
    return action


def _schedule_time(action: str, values: dict[str, str]) -> tuple[datetime | None, str]:
    """The time to schedule at (from the site-zone field) or the reason it has none."""
    if action != "schedule":
        return None, ""
    zone = comms_state().site.timezone
    when = parse_local_datetime(values.get("publish_at", ""), zone)
    if when is None:
        return None, (
            f"publish_at: choose a date and time like 2026-05-15T09:00 ({zone} time)"
        )
    return when, ""


@bp.route("/items/new/<plural>", methods=["GET", "POST"])
def new_item(plural: str) -> Response | tuple[str, int]:
    """The editor for a new item; saves a draft, or publishes or schedules it, with
    its image or file, in one request."""
    found = kinds.by_plural(plural)
    if found is None or found.synced:
        raise NotFound(f"no editor for {plural!r}")
    kind = found.name
    if request.method == "GET":
        default = {"language": comms_state().site.default_language}
        return _editor(kind, default, None)
    user = require_user()
    values = editor_values()
    action = _action(values, None)
    draft, problems = parse_editor(kind, values)
    when, reason = _schedule_time(action, values)
    problems += [reason] if reason else []
    if problems:
        return _editor(kind, values, None, status=422, problems=problems)
    if action == "preview":
        return _editor(kind, values, None)
    sent = _sent(draft, None, values)
    try:
        item = attachments.create_from_editor(
            get_session(), user, comms_state().store, sent, limits=limits(), now=_now()
        )
    except ValidationFailed as exc:
        get_session().rollback()
        return _editor(kind, values, None, status=422, problems=exc.problems)
    except FileTooLarge as exc:
        get_session().rollback()
        return _editor(kind, values, None, status=413, problems=[f"image: {exc}"])
    done = ["Draft saved.", *_upload_messages(sent)]
    if action in service.STATUS_ACTIONS:
        done = [*done[1:], _change_status(user, item.id, action, when)]
    flash(" ".join(done))
    warn_about_pdf(item, sent.file.data if sent.file else None)
    return redirect(url_for("admin.edit_item", item_id=item.id), code=303)


@bp.route("/items/<int:item_id>/", methods=["GET", "POST"])
def edit_item(item_id: int) -> Response | tuple[str, int]:
    """Edit an item (and publish, schedule, unpublish or archive it in the same
    request); a save over someone else's newer save is refused (409)."""
    session = get_session()
    item = service.get_item(session, item_id)
    if request.method == "GET":
        return _editor(item.kind, item_form_values(item), item)
    user = require_user()
    values = editor_values()
    action = _action(values, item)
    draft, problems = parse_editor(item.kind, values)
    when, reason = _schedule_time(action, values)
    problems += [reason] if reason else []
    if problems:
        return _editor(item.kind, values, item, status=422, problems=problems)
    if action == "preview":
        return _editor(item.kind, values, item)
    version = values.get("version", "")
    sent = _sent(draft, int(version) if version.isdigit() else None, values)
    try:
        saved = attachments.save_from_editor(
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
    done = ["Saved.", *_upload_messages(sent)]
    if action in service.STATUS_ACTIONS:
        done.append(_change_status(user, item_id, action, when))
    flash(" ".join(done))
    warn_about_pdf(saved, sent.file.data if sent.file else None)
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


def _sent(
    draft: ItemDraft, expected_version: int | None, values: dict[str, str]
) -> attachments.EditorSave:
    return attachments.EditorSave(
        draft=draft,
        expected_version=expected_version,
        image=_chosen("image"),
        image_alt=request.form.get("image_alt"),
        file=_chosen("file"),
        file_language=values.get("file_language") or None,
    )


def _chosen(field: str) -> attachments.Upload | None:
    """A file chosen in the editor's form, or None when the field was left empty."""
    storage = request.files.get(field)
    if storage is None or not storage.filename:
        return None
    return attachments.Upload(storage.filename, storage.read())


def _upload_messages(sent: attachments.EditorSave) -> list[str]:
    done = []
    if sent.image:
        done.append("Image saved.")
    if sent.file:
        done.append("PDF uploaded.")
    return done


def _change_status(user: User, item_id: int, action: str, when: datetime | None) -> str:
    """Apply a publication action, announce what it made public; say what it did."""
    session = get_session()
    item = service.change_status(
        session,
        user,
        item_id,
        action,
        when=when,
        now=_now(),
        review_required=comms_state().settings.review_required,
    )
    if action in review.REVIEWED_ACTIONS and review.is_pending(session, item_id):
        return "Sent for review: an administrator will approve it before it goes out."
    announce_item(item, action)
    zone = comms_state().site.timezone
    shown = site_time(item.published_at, short=True)
    messages = {
        "publish": "Published.",
        "schedule": f"Scheduled for {shown} ({zone} time).",
        "unpublish": "Unpublished: the item is a draft again.",
        "archive": "Archived.",
    }
    return messages[action]


@bp.post("/items/<int:item_id>/status")
def item_status(item_id: int) -> Response:
    """Publish now, schedule at a time in the site's zone, unpublish or archive."""
    user = require_user()
    action = request.form.get("action", "")
    if action not in service.STATUS_ACTIONS:
        raise ValidationFailed(
            [f"action: use one of {', '.join(service.STATUS_ACTIONS)}"]
        )
    raw = {"publish_at": request.form.get("published_at", "")}
    when, reason = _schedule_time(action, raw)
    if reason:
        raise ValidationFailed([reason])
    flash(_change_status(user, item_id, action, when))
    return redirect(url_for("admin.edit_item", item_id=item_id), code=303)


def announce_item(item: Item, action: str) -> None:
    """Pings and a snapshot now, or at the scheduled time, of a published item."""
    if item.is_public(_now()) or (action == "schedule" and item.published_at):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        at = max(item.published_at or _now(), _now())
        announce(app, get_session(), [item], when=at, keyed=True)


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
