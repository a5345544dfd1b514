"""Subscribers: list, counts, CSV export and import, one person's data, erase.

Personal data: every view here is for admins only (see ADMIN_ONLY). Each change
goes through the function the command line uses (``csvfiles.import_rows``,
``service.erase_person``) and is written to the audit log without the address.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime

from flask import Response as FlaskResponse
from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from comms.admin import audit
from comms.admin.views.blueprint import bp, render, require_user
from comms.context import comms_state, get_session
from comms.errors import CommsError, ValidationFailed
from comms.newsletter import csvfiles, mail, people, service
from comms.newsletter.models import SUBSCRIBER_STATUSES
from comms.newsletter.report import LABELS, report_status

IMPORT_FIELD = "csv_file"
# The previewed file travels back base64-encoded in a form field, and Flask reads
# at most MAX_FORM_MEMORY_SIZE (500 kB) of fields: about 8,000 rows fit.
MAX_IMPORT_BYTES = 350_000
TEXT_FIELD = "csv_text"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@bp.get("/subscribers/")
def subscribers() -> tuple[str, int]:
    """Subscribers with search, filters, pages and counts by status and language."""
    require_user()
    site = comms_state().site
    query = people.checked_query(
        request.args.get("q", ""),
        request.args.get("status", ""),
        request.args.get("lang", ""),
        request.args.get("page", ""),
        site.languages,
    )
    found = people.subscriber_page(get_session(), query)

    return render(
        "admin/subscribers.html",
        found=found,
        wanted=query,
        statuses=SUBSCRIBER_STATUSES,
    )


@bp.get("/subscribers/export.csv")
def export_subscribers() -> Response:
    """The CSV the command line exports (formula-like cells neutralised)."""
    user = require_user()
    session = get_session()
    audit.record(
        session,
        user,
        "export",
        audit.Target("subscribers", "csv", "subscribers exported as CSV"),
        before=None,
        after=None,
        now=_now(),
    )
    session.commit()
    buffer = io.StringIO()
    csvfiles.write_csv(session, buffer)
    stamp = _now().strftime("%Y-%m-%d")
    return FlaskResponse(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="subscribers-{stamp}.csv"'
        },
    )


def _checked(text: str) -> csvfiles.CheckedCsv:
    site = comms_state().site
    return csvfiles.check_rows(
        io.StringIO(text, newline=""),
        languages=site.languages,
        default_language=site.default_language,
    )


def _uploaded_text() -> tuple[str, str]:
    """The uploaded CSV's text and file name; ValidationFailed when unreadable."""
    upload = request.files.get(IMPORT_FIELD)
    if upload is None or not upload.filename:
        raise ValidationFailed(["csv_file: choose a CSV file to import"])
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            ["csv_file: the file is not UTF-8 text; save it as CSV UTF-8"]
        ) from None
    if len(text.encode()) > MAX_IMPORT_BYTES:
        raise ValidationFailed(
            [
                f"csv_file: the file is larger than {MAX_IMPORT_BYTES // 1000} kB; "
                "split it, or import it with `comms subscribers import`"
            ]
        )
    return text, upload.filename[:200]


def _carried(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode("ascii")


@bp.route("/subscribers/import", methods=["GET", "POST"])
def import_subscribers() -> tuple[str, int]:
    """Upload a CSV, then see what importing it would do before anything is stored."""
    require_user()
    if request.method == "GET":
        return render("admin/subscribers_import.html", preview=None)
    try:
        text, file_name = _uploaded_text()
        checked = _checked(text)
    except ValidationFailed as exc:
        return render(
            "admin/subscribers_import.html", 400, preview=None, problems=exc.problems
        )
    preview = csvfiles.preview_rows(get_session(), checked)
    return render(
        "admin/subscribers_import.html",
        preview=preview,
        csv_text=_carried(text),
        file_name=file_name,
    )


@bp.post("/subscribers/import/confirm")
def confirm_import() -> Response | tuple[str, int]:
    """Store the previewed file's new, valid rows; optionally mail the opt-in."""
    user = require_user()
    try:  # carried base64-encoded: browsers rewrite line breaks in form fields
        text = base64.b64decode(
            request.form.get(TEXT_FIELD, ""), altchars=b"-_", validate=True
        ).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            ["csv_text: the previewed file did not come back intact; upload it again"]
        ) from None
    file_name = request.form.get("file_name", "")[:200] or "upload.csv"
    send_opt_in = request.form.get("send_opt_in") == "1"
    try:
        checked = _checked(text)
    except ValidationFailed as exc:
        return render(
            "admin/subscribers_import.html", 400, preview=None, problems=exc.problems
        )
    state = comms_state()
    settings = state.settings
    mailer_parts = None
    if send_opt_in:  # checked before anything is stored, as the command does
        try:
            mailer_parts = (
                mail.SmtpConfig.parse(settings.smtp_url),
                mail.Envelope.from_settings(
                    settings.mail_from, settings.site_url, settings.secret_key
                ),
            )
        except CommsError as exc:
            session = get_session()
            return render(
                "admin/subscribers_import.html",
                422,
                preview=csvfiles.preview_rows(session, checked),
                csv_text=_carried(text),
                file_name=file_name,
                problems=[f"No confirmation mail can be sent: {exc}. Nothing stored."],
            )
    session = get_session()
    report = csvfiles.import_rows(
        session, checked.rows, now=_now(), file_name=file_name
    )
    mailed = 0
    failed = 0
    if mailer_parts is not None and report.to_confirm:
        config, envelope = mailer_parts
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            with mail.SmtpTransport(config, timeout=20) as transport:
                sent = csvfiles.send_opt_in(
                    session,
                    report.to_confirm,
                    mail.ConfirmationMailer(
                        app.jinja_env, state.site, envelope, transport
                    ),
                    clock=_now,
                )
            mailed, failed = sent.mailed, len(sent.failed)
        except OSError:
            failed = len(report.to_confirm) - mailed
    summary = (
        f"{report.created} subscribers imported from {file_name} "
        f"({report.confirmed} with a consent date, confirmed; "
        f"{report.created - report.confirmed} pending); "
        f"{report.skipped} already present left unchanged; "
        f"{len(checked.problems)} invalid rows left out"
    )
    if send_opt_in:
        summary += f"; {mailed} confirmation mails sent"
        if failed:
            summary += f", {failed} not sent"
    audit.record(
        session,
        user,
        "import",
        audit.Target("subscribers", "csv", summary),
        before=None,
        after={
            "created": report.created,
            "confirmed": report.confirmed,
            "skipped": report.skipped,
            "invalid": len(checked.problems),
            "mailed": mailed,
        },
        now=_now(),
    )
    session.commit()
    flash(summary[:1].upper() + summary[1:] + ".")
    return redirect(url_for("admin.subscribers"), code=303)


@bp.get("/subscribers/<int:subscriber_id>/")
def subscriber(subscriber_id: int) -> tuple[str, int]:
    """Everything stored about one subscriber (the command line's `show`)."""
    require_user()
    session = get_session()
    found = people.subscriber_by_id(session, subscriber_id)
    data = service.person_data(session, found.email)
    return render(
        "admin/subscriber.html", subscriber=found, data=data, outcome=_outcome
    )


def _outcome(status: str, smtp_code: int | None) -> str:
    """A delivery's stored status as the issue's delivery report names it."""
    return LABELS[report_status(status, smtp_code)]


@bp.route("/subscribers/<int:subscriber_id>/erase", methods=["GET", "POST"])
def erase_subscriber(subscriber_id: int) -> Response | tuple[str, int]:
    """Ask, then erase one subscriber with their consent records and deliveries."""
    user = require_user()
    session = get_session()
    found = people.subscriber_by_id(session, subscriber_id)
    if request.method == "GET":
        return render("admin/subscriber_erase.html", subscriber=found)
    if request.form.get("confirm_email", "").strip().lower() != found.email:
        return render(
            "admin/subscriber_erase.html",
            400,
            subscriber=found,
            problems=["Type the address exactly as shown to confirm the erasure."],
        )
    consents = len(found.consents)
    service.erase_person(session, found.email)
    # The address is gone: the audit log keeps only the id and what went with it.
    audit.record(
        session,
        user,
        "erase",
        audit.Target(
            "subscriber",
            str(subscriber_id),
            f"subscriber {subscriber_id} erased with {consents} consent records "
            "and their deliveries",
        ),
        before=None,
        after=None,
        now=_now(),
    )
    session.commit()
    flash(
        f"Subscriber {subscriber_id} erased with their consent records and deliveries."
    )
    return redirect(url_for("admin.subscribers"), code=303)
