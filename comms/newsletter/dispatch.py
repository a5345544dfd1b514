"""What `comms newsletter send` and the admin's send buttons share.

The lock lets one send of an issue run at a time, across processes and hosts:
a PostgreSQL advisory lock held on a connection of its own, or (SQLite, one host)
an exclusive ``flock`` on a file beside the database file. A process that dies
releases either with it, so a lock is never left behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from comms.catalogue.models import Newsletter
from comms.config import Settings
from comms.errors import CommsError, ConfigMissing
from comms.newsletter import mail, sending, service
from comms.site import Site
from comms.text import normalise_email


class SendRunning(CommsError):
    """Another send of the same issue is under way."""


@dataclass
class SendLock:
    """A held send lock; ``release()`` may be called more than once."""

    issue: str
    _release: Callable[[], None] | None

    def release(self) -> None:
        """Let another send of the issue start."""
        release, self._release = self._release, None
        if release is not None:
            release()


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("|".join(("comms-newsletter-send", *parts)).encode()).digest()


def _refused(issue: str) -> SendRunning:
    return SendRunning(
        f"issue {issue!r} is being sent right now; wait until that run has "
        "finished (its progress is on the issue's admin page)"
    )


def lock_issue(engine: Engine, issue: str, lock_dir: Path) -> SendLock:
    """Take the send lock of ``issue`` (a translation group) or raise SendRunning.

    The lock is named after the database itself (PostgreSQL: database and schema;
    SQLite: the file's path), so every process using that database shares it
    whatever URL spelling or instance folder it was given.
    """
    if engine.dialect.name == "postgresql":
        return _advisory(engine, issue)
    database = engine.url.database
    if database and database != ":memory:":
        path = Path(database).resolve()
        lock_dir, name = path.parent, str(path)
    else:
        name = engine.url.render_as_string(hide_password=True)
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock_path = lock_dir / f".send-{_digest(name, issue).hex()[:24]}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _refused(issue) from None

    def release() -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    return SendLock(issue, release)


def _advisory(engine: Engine, issue: str) -> SendLock:
    conn: Connection = engine.connect()
    try:
        where = conn.execute(text("SELECT current_database(), current_schema()"))
        database, schema = where.one()
        key = int.from_bytes(_digest(database, schema or "", issue)[:8], signed=True)
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
        held = bool(got.scalar())
        conn.commit()  # the lock is the connection's, not the transaction's
    except BaseException:
        conn.close()
        raise
    if not held:
        conn.close()
        raise _refused(issue)

    def release() -> None:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
        finally:
            conn.close()

    return SendLock(issue, release)


def is_running(engine: Engine, issue: str, lock_dir: Path) -> bool:
    """True while some process holds the send lock of ``issue``."""
    try:
        lock = lock_issue(engine, issue, lock_dir)
    except SendRunning:
        return True
    lock.release()
    return False


def mail_settings(settings: Settings) -> tuple[mail.SmtpConfig, mail.Envelope]:
    """The SMTP server and the envelope; ConfigMissing names what is not set."""
    config = mail.SmtpConfig.parse(settings.smtp_url)
    envelope = mail.Envelope.from_settings(
        settings.mail_from, settings.site_url, settings.secret_key
    )
    return config, envelope


def render_versions(
    env: Environment,
    session: Session,
    versions: list[Newsletter],
    *,
    site: Site,
    site_url: str,
    now: datetime,
) -> dict[str, mail.RenderedIssue]:
    """Each version's whole mail by language (needs an app context)."""
    return editions(env, session, versions, site=site, site_url=site_url, now=now).full


def editions(
    env: Environment,
    session: Session,
    versions: list[Newsletter],
    *,
    site: Site,
    site_url: str,
    now: datetime,
) -> sending.Editions:
    """Each version's mail by language, and how to cut it to a subscriber's
    choices (needs an app context for the templates)."""
    by_language = {v.language: v for v in versions}
    groups = {v.language: service.issue_groups(session, v, now) for v in versions}

    def render(language: str, kept: list[service.KindGroup]) -> mail.RenderedIssue:
        return mail.render_issue(
            env, by_language[language], kept, site=site, site_url=site_url
        )

    full = {language: render(language, groups[language]) for language in groups}
    return sending.Editions(full, groups, render, site.default_language)


def _proof_links(body: str, link: str) -> str:
    return body.replace(mail.UNSUBSCRIBE_PLACEHOLDER, link).replace(
        mail.PREFERENCES_PLACEHOLDER, link
    )


def proof_message(issue: mail.RenderedIssue, envelope: mail.Envelope, to: str) -> bytes:
    """A proof of a rendered issue: "[Proof]" subject, no working personal links."""
    return mail.build_message(
        subject=f"[Proof] {issue.subject}",
        text=_proof_links(issue.text, "(proof)"),
        html=_proof_links(issue.html, "#proof"),
        envelope=envelope,
        to=to,
        date=datetime.now(UTC),
        language=issue.language,
    )


@dataclass(frozen=True)
class MailPreview:
    """The parts of one subscriber's message as it leaves, for the admin."""

    language: str
    headers: dict[str, str]
    text: str
    html: str


PREVIEW_KEY = "preview"  # a subscriber key no row has: its links reach nobody


def preview_mail(
    env: Environment,
    session: Session,
    letter: Newsletter,
    to: str,
    *,
    site: Site,
    settings: Settings,
    now: datetime,
) -> MailPreview:
    """The message a subscriber reading ``letter``'s language with no topic or
    region chosen would get, built by ``sending.personal_message`` and read back
    from its MIME bytes: the exact text and HTML parts."""
    try:
        envelope = mail.Envelope.from_settings(
            settings.mail_from, settings.site_url, settings.secret_key
        )
    except ConfigMissing:
        envelope = mail.Envelope(
            "Preview <preview@example.invalid>",
            settings.site_url.rstrip("/"),
            settings.secret_key,
        )
    [issue] = render_versions(
        env, session, [letter], site=site, site_url=settings.site_url, now=now
    ).values()
    raw = sending.personal_message(issue, envelope, to, PREVIEW_KEY, now)
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    parts = {
        part.get_content_subtype(): str(part.get_content())
        for part in message.iter_parts()
    }
    shown = ("Subject", "From", "To", "Content-Language", "List-Unsubscribe")
    return MailPreview(
        language=issue.language,
        headers={name: str(message[name]) for name in shown if message[name]},
        text=parts.get("plain", ""),
        html=parts.get("html", ""),
    )


def send_proof(
    env: Environment,
    session: Session,
    letter: Newsletter,
    to: str,
    *,
    site: Site,
    settings: Settings,
    now: datetime,
) -> None:
    """Send one proof of ``letter`` (any status) to ``to``; nothing is recorded."""
    config, envelope = mail_settings(settings)
    address = normalise_email(to)
    [issue] = render_versions(
        env, session, [letter], site=site, site_url=settings.site_url, now=now
    ).values()
    with mail.SmtpTransport(config) as transport:
        transport.connect()
        transport.send(envelope.address, address, proof_message(issue, envelope, to))


def send_all(
    env: Environment,
    session: Session,
    slug: str,
    *,
    site: Site,
    settings: Settings,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> sending.SendReport:
    """Send a published issue to every confirmed subscriber not yet reached."""
    versions = service.issue_versions(session, slug, now=now)
    cut = editions(
        env, session, versions, site=site, site_url=settings.site_url, now=now
    )
    config, envelope = mail_settings(settings)
    with mail.SmtpTransport(config) as transport:
        transport.connect()
        mailing = sending.Mailing(
            issue=versions[0].translation,
            editions=cut,
            transport=transport,
            envelope=envelope,
            rate=settings.mail_rate,
        )
        return sending.send_issue(
            session, mailing, progress=progress, on_start=on_start
        )
