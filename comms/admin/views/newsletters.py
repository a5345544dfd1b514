"""Newsletter issues: list, compose, edit, language versions, proof and send."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import issues
from comms.admin.forms import parse_local_datetime
from comms.admin.issue_forms import issue_form_values, parse_issue_form
from comms.admin.service import EditConflict
from comms.admin.views.blueprint import (
    bp,
    form_values,
    render,
    require_user,
    site_time,
)
from comms.catalogue.models import Newsletter
from comms.context import comms_state, get_session
from comms.errors import ConfigMissing, NotFound, ValidationFailed
from comms.jobs import queue as jobs_queue
from comms.jobs import service as jobs_service
from comms.jobs.service import NewJob
from comms.newsletter import audience, compose, dispatch
from comms.newsletter import service as newsletters_service
from comms.newsletter.compose import Candidate
from comms.newsletter.dispatch import MailPreview
from comms.newsletter.report import LABELS as REPORT_LABELS
from comms.newsletter.report import delivery_report
from comms.newsletter.schedule import schedule_send
from comms.rendering import render_markdown
from comms.security import CONTENT_SECURITY_POLICY


def english_name(code: str) -> str:
    """A language's name in English (the admin's language), e.g. "Slovenian"."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name("en")
    except (ValueError, UnknownLocaleError):
        return code
    return str(name or code)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@bp.get("/newsletters/")
def newsletters() -> tuple[str, int]:
    """Every issue: number, title, language versions, status and deliveries."""
    return render(
        "admin/newsletters.html", rows=issues.list_issues(get_session(), _now())
    )


def _editor(
    values: dict[str, Any],
    letter: Newsletter | None,
    candidates: list[Candidate],
    *,
    status: int = 200,
    problems: list[str] | None = None,
    send_problems: list[str] | None = None,
    preview: str | None = None,
    conflict: str | None = None,
) -> tuple[str, int]:
    state = comms_state()
    session = get_session()
    context: dict[str, Any] = {}
    if letter is not None:
        # A send job queued or running, else a send from the command line (the
        # lock is probed only then, not to get in the way of a worker taking it).
        running = jobs_service.active(
            session, "newsletter-send", now=datetime.now(UTC), issue_id=letter.id
        ) is not None or dispatch.is_running(
            state.engine, letter.translation, state.settings.instance_path
        )
        versions = issues.versions_of(session, letter)
        outgoing = {v.language for v in versions if v.status != "archived"}
        context = {
            "versions": versions,
            "issue_state": issues.state_of(letter, _now()),
            "report": delivery_report(session, letter.translation),
            "report_labels": REPORT_LABELS,
            "gaps": audience.language_gaps(
                session, outgoing, state.site.default_language
            ),
            "running": running,
            "english_name": english_name,
            "last_send": issues.last_send(session, letter),
            "confirmed": newsletters_service.count_subscribers(session).get(
                "confirmed", 0
            ),
        }
    return render(
        "admin/issue_form.html",
        status,
        letter=letter,
        values=values,
        candidates=candidates,
        problems=problems or [],
        send_problems=send_problems or [],
        preview=preview,
        conflict=conflict,
        languages=state.site.languages,
        read_only=bool(letter is not None and compose.is_sent(letter, _now())),
        **context,
    )


def _parse() -> tuple[Any, list[Candidate], list[str], dict[str, str]]:
    values = form_values()
    draft, rows, problems = parse_issue_form(
        values, languages=comms_state().site.languages
    )
    return draft, compose.typed_candidates(get_session(), rows), problems, values


@bp.route("/newsletters/new", methods=["GET", "POST"])
def new_issue() -> Response | tuple[str, int]:
    """Compose an issue from the items published since the last sent one."""
    site = comms_state().site
    session = get_session()
    if request.method == "GET":
        language = site.default_language
        candidates = compose.candidates_for(
            session,
            None,
            language=language,
            default_language=site.default_language,
            now=_now(),
        )
        number = str(compose.next_number(session))
        return _editor({"language": language, "number": number}, None, candidates)
    user = require_user()
    draft, candidates, problems, values = _parse()
    if problems:
        return _editor(values, None, candidates, status=422, problems=problems)
    if values.get("action") == "preview":
        preview = render_markdown(values.get("intro", ""))
        return _editor(values, None, candidates, preview=preview)
    try:
        letter = issues.create_issue(session, user, draft, _now())
    except ValidationFailed as exc:
        session.rollback()
        return _editor(values, None, candidates, status=422, problems=exc.problems)
    flash("Draft issue saved.")
    return redirect(url_for("admin.edit_issue", issue_id=letter.id), code=303)


@bp.route("/newsletters/<int:issue_id>/", methods=["GET", "POST"])
def edit_issue(issue_id: int) -> Response | tuple[str, int]:
    """An issue: edit it while unsent; send a proof; send it; follow its progress."""
    site = comms_state().site
    session = get_session()
    letter = issues.get_issue(session, issue_id)
    if request.method == "GET":
        candidates = compose.candidates_for(
            session,
            letter,
            language=letter.language,
            default_language=site.default_language,
            now=_now(),
        )
        return _editor(issue_form_values(letter), letter, candidates)
    user = require_user()
    if compose.is_sent(letter, _now()):
        return _issue_page(letter, 409, [], conflict=issues.SENT_MESSAGE)
    draft, candidates, problems, values = _parse()
    if problems:
        return _editor(values, letter, candidates, status=422, problems=problems)
    if values.get("action") == "preview":
        preview = render_markdown(values.get("intro", ""))
        return _editor(values, letter, candidates, preview=preview)
    try:
        issues.update_issue(
            session,
            user,
            issue_id,
            draft,
            expected=values.get("version", ""),
            now=datetime.now(UTC),
        )
    except (EditConflict, issues.IssueSent) as exc:
        current = issues.get_issue(session, issue_id)
        return _editor(values, current, candidates, status=409, conflict=str(exc))
    except ValidationFailed as exc:
        session.rollback()
        return _editor(values, letter, candidates, status=422, problems=exc.problems)
    flash("Saved.")
    return redirect(url_for("admin.edit_issue", issue_id=issue_id), code=303)


def _issue_page(
    letter: Newsletter, status: int, problems: list[str], conflict: str | None = None
) -> tuple[str, int]:
    site = comms_state().site
    candidates = compose.candidates_for(
        get_session(),
        letter,
        language=letter.language,
        default_language=site.default_language,
        now=_now(),
    )
    values = issue_form_values(letter)
    return _editor(
        values,
        letter,
        candidates,
        status=status,
        send_problems=problems,
        conflict=conflict,
    )


@bp.post("/newsletters/<int:issue_id>/translations")
def add_issue_version(issue_id: int) -> Response:
    """Start a language version of an issue (a draft copy to translate)."""
    user = require_user()
    copy = issues.add_version(
        get_session(),
        user,
        issue_id,
        request.form.get("language", ""),
        comms_state().site.languages,
        datetime.now(UTC),
    )
    flash(f"Draft {copy.language} version created: translate it below.")
    return redirect(url_for("admin.edit_issue", issue_id=copy.id), code=303)


@bp.post("/newsletters/<int:issue_id>/test")
def send_test(issue_id: int) -> Response | tuple[str, int]:
    """Send one proof of this version to the logged-in officer; nothing recorded."""
    user = require_user()
    state = comms_state()
    session = get_session()
    letter = issues.get_issue(session, issue_id)
    try:
        dispatch.send_proof(
            current_app.jinja_env,
            session,
            letter,
            user.email,
            site=state.site,
            settings=state.settings,
            now=_now(),
        )
    except ConfigMissing as exc:
        return _issue_page(letter, 422, [f"No proof sent: {exc}."])
    except (ValidationFailed, smtplib.SMTPException, OSError) as exc:
        return _issue_page(letter, 502, [f"The proof was not sent: {exc}"])
    flash(f"Proof ({letter.language}) sent to {user.email}.")
    return redirect(url_for("admin.edit_issue", issue_id=issue_id), code=303)


@bp.post("/newsletters/<int:issue_id>/send")
def send_issue(issue_id: int) -> Response | tuple[str, int]:
    """Publish the issue and send it to every confirmed subscriber, in the background.

    The officer must tick the confirmation box. A send of the same issue already
    under way (here or from the command line) is refused, as is a send without a
    mail server configured; in both cases nothing changes.
    """
    user = require_user()
    state = comms_state()
    session = get_session()
    letter = issues.get_issue(session, issue_id)
    if request.form.get("confirm") != "1":
        return _issue_page(
            letter, 422, ["Tick the box to confirm that the issue goes out now."]
        )
    try:
        dispatch.mail_settings(state.settings)
    except ConfigMissing as exc:
        return _issue_page(letter, 422, [f"Nothing was sent or changed: {exc}."])
    running = jobs_service.active(
        session, "newsletter-send", now=datetime.now(UTC), issue_id=letter.id
    )
    if running is not None or dispatch.is_running(
        state.engine, letter.translation, state.settings.instance_path
    ):
        return _issue_page(
            letter,
            409,
            [
                f"Not started: issue {letter.translation!r} is being sent "
                "right now; its progress is on the Jobs page."
            ],
        )
    recorded = delivery_report(session, letter.translation, limit=0).total
    if recorded:
        return _issue_page(
            letter,
            409,
            [
                f"Not sent again: this issue has already been sent ({recorded} "
                "deliveries recorded); its delivery report is below. Deliveries "
                "still waiting are retried by: comms newsletter send "
                f"{letter.slug}"
            ],
        )
    issues.publish_for_sending(session, user, letter, _now())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs_queue.submit(
        app,
        session,
        NewJob(
            "newsletter-send",
            {"issue_id": letter.id, "actor_id": user.id},
            f"Send newsletter {letter.slug}",
            actor_id=user.id,
        ),
    )
    confirmed = newsletters_service.count_subscribers(session).get("confirmed", 0)
    flash(
        f"Sending started to {confirmed} confirmed subscribers. "
        "Refresh this page to follow the progress."
    )
    return redirect(url_for("admin.edit_issue", issue_id=issue_id), code=303)


@bp.post("/newsletters/<int:issue_id>/schedule")
def schedule_issue(issue_id: int) -> Response | tuple[str, int]:
    """Schedule the issue's send at a time (typed in the site's zone), or cancel it.

    At that time the worker publishes every language version and sends it, as the
    send button would; nothing is changed when the time or the issue is refused.
    """
    user = require_user()
    state = comms_state()
    session = get_session()
    letter = issues.get_issue(session, issue_id)
    if request.form.get("action") == "cancel":
        try:
            issues.set_send_time(session, user, letter, None, _now())
        except issues.IssueSent as exc:
            return _issue_page(letter, 409, [str(exc)])
        # The job would find the time cleared and send nothing: drop it now.
        jobs_service.drop_queued(
            session, "newsletter-send", f"newsletter-send:{letter.translation}@"
        )
        flash("Schedule cancelled: the issue is sent only when an officer sends it.")
        return redirect(url_for("admin.edit_issue", issue_id=issue_id), code=303)
    raw = request.form.get("send_at", "")
    zone = state.site.timezone  # typed in the site's zone, as an item's schedule
    when = parse_local_datetime(raw, zone) if raw.strip() else None
    try:
        dispatch.mail_settings(state.settings)
    except ConfigMissing as exc:
        return _issue_page(letter, 422, [f"Not scheduled: {exc}."])
    if when is None:  # None would mean "cancel" to the service
        return _issue_page(
            letter, 422, issues.check_send_time(session, letter, None, _now(), zone)
        )
    try:
        issues.set_send_time(session, user, letter, when, _now(), zone)
    except ValidationFailed as exc:
        session.rollback()
        return _issue_page(letter, 422, exc.problems)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    schedule_send(app, session, letter, when)
    flash(
        f"Scheduled: the issue goes out at {site_time(when, short=True)} ({zone} time)."
    )
    return redirect(url_for("admin.edit_issue", issue_id=issue_id), code=303)


# The preview page frames the mail's HTML part from this site; the part itself is
# sandboxed (no script, no form, no same-origin access) and may use the inline
# styles every mail carries.
PREVIEW_PAGE_CSP = CONTENT_SECURITY_POLICY.replace(
    "frame-src https://www.youtube-nocookie.com", "frame-src 'self'"
)
MAIL_PART_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src 'unsafe-inline'; img-src https: http: data:; frame-ancestors 'self'"
)


def _preview_of(issue_id: int) -> tuple[Newsletter, list[Newsletter], MailPreview]:
    """The version asked for by ``?version=`` (a language code; else this one)
    and its mail. Not ``?lang=``: that would switch the site's interface."""
    state = comms_state()
    session = get_session()
    letter = issues.get_issue(session, issue_id)
    versions = issues.versions_of(session, letter)
    wanted = request.args.get("version", letter.language)
    chosen = next((v for v in versions if v.language == wanted), None)
    if chosen is None:
        raise NotFound(
            f"this issue has no {english_name(wanted)} version: choose one of "
            + ", ".join(english_name(v.language) for v in versions)
        )
    preview = dispatch.preview_mail(
        current_app.jinja_env,
        session,
        chosen,
        require_user().email,
        site=state.site,
        settings=state.settings,
        now=_now(),
    )
    return chosen, versions, preview


@bp.get("/newsletters/<int:issue_id>/preview")
def preview_issue(issue_id: int) -> Response | tuple[str, int]:
    """The mail as a subscriber gets it, in one of the issue's languages."""
    chosen, versions, preview = _preview_of(issue_id)
    page = render(
        "admin/issue_preview.html",
        letter=chosen,
        versions=versions,
        preview=preview,
        english_name=english_name,
    )
    response = current_app.make_response(page)
    response.headers["Content-Security-Policy"] = PREVIEW_PAGE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/newsletters/<int:issue_id>/preview/mail.html")
def preview_mail_html(issue_id: int) -> Response:
    """The HTML part of the previewed mail, as sent (framed by the preview page)."""
    _chosen, _versions, preview = _preview_of(issue_id)
    response = Response(preview.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_PART_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
