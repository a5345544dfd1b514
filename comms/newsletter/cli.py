"""`comms newsletter send` and `comms subscribers import|export|show|erase|purge`."""

from __future__ import annotations

import json
import smtplib
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask

from comms.commands import get_app
from comms.errors import CommsError, ValidationFailed
from comms.text import normalise_email


def _app() -> Flask:
    from comms import db

    app = get_app()
    if not db.schema_exists(app.extensions["comms"].engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    return app


def _fail(exc: CommsError) -> click.ClickException:
    if isinstance(exc, ValidationFailed):
        return click.ClickException("; ".join(exc.problems))
    return click.ClickException(str(exc))


@click.group("newsletter")
def newsletter_group() -> None:
    """Send newsletter issues to confirmed subscribers."""


@newsletter_group.command("send")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Render and count; send nothing.")
@click.option("--test-to", metavar="EMAIL", help="Send one proof to EMAIL only.")
@click.option(
    "--skip-uncertain",
    is_flag=True,
    help="Do not resend a message that was in flight when a run died "
    "(risk a miss rather than a duplicate).",
)
def send_command(
    slug: str, dry_run: bool, test_to: str | None, skip_uncertain: bool
) -> None:
    """Send issue SLUG to every confirmed subscriber; safe to run again."""
    from comms.newsletter import dispatch, mail, sending, service

    app = _app()
    state = app.extensions["comms"]
    settings = state.settings
    now = datetime.now(UTC)
    with app.app_context(), state.sessionmaker() as session, ExitStack() as held:
        try:
            versions = service.issue_versions(session, slug, now=now)
        except CommsError as exc:
            raise _fail(exc) from None
        issue = versions[0].translation
        try:
            cut = dispatch.editions(
                app.jinja_env,
                session,
                versions,
                site=state.site,
                site_url=settings.site_url,
                now=now,
            )
        except CommsError as exc:
            raise _fail(exc) from None
        default = state.site.default_language
        if dry_run:
            report = sending.dry_run(session, issue, cut)
            click.echo(report.summary(dry_run=True))
            return
        try:
            config = mail.SmtpConfig.parse(settings.smtp_url)
            envelope = mail.Envelope.from_settings(
                settings.mail_from, settings.site_url, settings.secret_key
            )
            proof_to = normalise_email(test_to) if test_to else None
        except CommsError as exc:
            raise _fail(exc) from None
        if not proof_to:  # one send of an issue at a time (the admin's too)
            try:
                lock = dispatch.lock_issue(state.engine, issue, settings.instance_path)
            except CommsError as exc:
                raise _fail(exc) from None
            held.callback(lock.release)
        with mail.SmtpTransport(config) as transport:
            try:
                transport.connect()
            except (smtplib.SMTPException, OSError) as exc:
                raise click.ClickException(
                    f"cannot reach the mail server {config.host}:{config.port}: "
                    f"{type(exc).__name__}: {exc}; nothing was sent"
                ) from None
            if proof_to:
                _send_proof(transport, envelope, cut.full, default, proof_to)
                return
            mailing = sending.Mailing(
                issue=issue,
                editions=cut,
                transport=transport,
                envelope=envelope,
                rate=settings.mail_rate,
            )
            report = _send_all(session, mailing, resend_uncertain=not skip_uncertain)
    click.echo(report.summary())


def _send_proof(
    transport: Any,
    envelope: Any,
    rendered: dict[str, Any],
    default: str,
    to: str,
) -> None:
    from comms.newsletter import dispatch

    for issue in [rendered.get(default) or next(iter(rendered.values()))]:
        message = dispatch.proof_message(issue, envelope, to)
        try:
            transport.send(envelope.address, to, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise click.ClickException(f"the proof was not sent: {exc}") from None
        click.echo(f"proof ({issue.language}) sent to {to}; no delivery recorded")


def _send_all(session: Any, mailing: Any, *, resend_uncertain: bool) -> Any:
    from comms.newsletter import sending

    with ExitStack() as stack:
        bar: list[Any] = []

        def on_start(total: int) -> None:
            if sys.stdout.isatty() and total:
                bar.append(
                    stack.enter_context(
                        click.progressbar(
                            length=total, label=f"sending {mailing.issue}"
                        )
                    )
                )

        def progress(n: int) -> None:
            if bar:
                bar[0].update(n)

        try:
            return sending.send_issue(
                session,
                mailing,
                resend_uncertain=resend_uncertain,
                progress=progress,
                on_start=on_start,
            )
        except (CommsError, smtplib.SMTPException, OSError) as exc:
            raise click.ClickException(str(exc)) from None


@click.group("subscribers")
def subscribers_group() -> None:
    """Import, export, show, erase and purge newsletter subscribers."""


@subscribers_group.command("import")
@click.argument(
    "csv_path", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False)
)
@click.option(
    "--send-opt-in",
    is_flag=True,
    help="Mail a confirmation link to rows without confirmed_at.",
)
def import_command(csv_path: Path, send_opt_in: bool) -> None:
    """Add subscribers from CSV (email,language,confirmed_at,source)."""
    from comms.newsletter import csvfiles, mail

    app = _app()
    state = app.extensions["comms"]
    settings = state.settings
    site = state.site
    try:
        if send_opt_in:  # check before anything is stored
            config = mail.SmtpConfig.parse(settings.smtp_url)
            envelope = mail.Envelope.from_settings(
                settings.mail_from, settings.site_url, settings.secret_key
            )
        try:
            with csv_path.open(encoding="utf-8-sig", newline="") as handle:
                rows = csvfiles.read_rows(
                    handle,
                    languages=site.languages,
                    default_language=site.default_language,
                )
        except OSError as exc:
            raise click.ClickException(f"{csv_path}: {exc.strerror}") from None
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.echo(f"{csv_path}: {problem}", err=True)
            raise click.ClickException(
                f"{len(exc.problems)} bad rows: nothing imported"
            ) from None
    except CommsError as exc:
        raise _fail(exc) from None
    now = datetime.now(UTC)
    with state.sessionmaker() as session:
        report = csvfiles.import_rows(session, rows, now=now, file_name=csv_path.name)
        mailed = 0
        if send_opt_in and report.to_confirm:
            with app.app_context(), mail.SmtpTransport(config) as transport:
                mailer = mail.ConfirmationMailer(
                    app.jinja_env, site, envelope, transport
                )
                sent = csvfiles.send_opt_in(
                    session,
                    report.to_confirm,
                    mailer,
                    clock=lambda: datetime.now(UTC),
                )
            for subscriber_id, error in sent.failed:
                click.echo(
                    f"confirmation to subscriber {subscriber_id} not sent: {error}",
                    err=True,
                )
            mailed = sent.mailed
    line = (
        f"{report.created} added ({report.confirmed} already opted in), "
        f"{report.skipped} known addresses left unchanged"
    )
    if send_opt_in:
        line += f", {mailed} confirmation mails sent"
    elif report.to_confirm:
        line += f", {len(report.to_confirm)} unconfirmed (no mail sent)"
    click.echo(line)


@subscribers_group.command("export")
@click.argument(
    "csv_path", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False)
)
def export_command(csv_path: Path) -> None:
    """Write confirmed and pending subscribers to CSV ('-' for standard output)."""
    from comms.newsletter import csvfiles

    app = _app()
    with app.extensions["comms"].sessionmaker() as session:
        if str(csv_path) == "-":
            count = csvfiles.write_csv(session, sys.stdout)
        else:
            with csv_path.open("w", encoding="utf-8", newline="") as out:
                count = csvfiles.write_csv(session, out)
    click.echo(f"exported {count} subscribers", err=str(csv_path) == "-")


@subscribers_group.command("show")
@click.argument("email")
def show_command(email: str) -> None:
    """Print everything stored about EMAIL as JSON (a data subject's export)."""
    from comms.newsletter import service

    app = _app()
    with app.extensions["comms"].sessionmaker() as session:
        try:
            data = service.person_data(session, email)
        except CommsError as exc:
            raise _fail(exc) from None
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@subscribers_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Delete EMAIL with its consent records and deliveries."""
    from comms.newsletter import service

    app = _app()
    with app.extensions["comms"].sessionmaker() as session:
        if service.find_subscriber(session, email) is None:
            raise click.ClickException("no subscriber with that address")
        if not yes:
            click.confirm(f"Erase {email} and all records about it?", abort=True)
        try:
            service.erase_person(session, email)
        except CommsError as exc:
            raise _fail(exc) from None
    click.echo("erased 1 subscriber with their consent records and deliveries")


@subscribers_group.command("purge")
def purge_command() -> None:
    """Delete pending subscriptions whose confirmation link has expired."""
    from comms.newsletter import service
    from comms.newsletter.tokens import CONFIRM_MAX_AGE

    app = _app()
    with app.extensions["comms"].sessionmaker() as session:
        count = service.purge_expired(session, now=datetime.now(UTC))
        session.commit()
    days = CONFIRM_MAX_AGE // 86400
    click.echo(
        f"purged {count} pending subscriptions not confirmed within {days} days, "
        "with their consent records"
    )
