"""Outgoing mail: SMTP settings, one reused connection, rendering and MIME building."""

from __future__ import annotations

import binascii
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cached_property
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import css_inline
from flask_babel import force_locale, gettext
from jinja2 import Environment

from comms.catalogue.images import absolute, item_picture
from comms.catalogue.models import KIND_PLURALS, Item, Newsletter
from comms.errors import ConfigMissing, ValidationFailed
from comms.i18n import babel_locale
from comms.newsletter.models import Subscriber
from comms.newsletter.service import KindGroup
from comms.newsletter.tokens import confirm_token
from comms.rendering import ONE_LINE_PROBLEM, is_one_line
from comms.site import Site

UNSUBSCRIBE_PLACEHOLDER = "__COMMS_UNSUBSCRIBE_URL__"
PREFERENCES_PLACEHOLDER = "__COMMS_PREFERENCES_URL__"
# The @media rules stay in a <style> block (they cannot be inlined): the layout is
# fluid without them, tidier with them (templates/email/_styles.html).
_INLINER = css_inline.CSSInliner(
    keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False
)


# -- settings and transport --------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes: parsed from COMMS_SMTP_URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_ssl: bool = False
    starttls: bool = False

    @classmethod
    def parse(cls, url: str | None) -> SmtpConfig:
        """Read ``smtp://user:pass@host:port``, ``smtps://...`` or ``?starttls=1``."""
        if not url:
            raise ConfigMissing(
                "no mail server configured: set COMMS_SMTP_URL "
                "(smtp://user:pass@host:port, smtps://... or ?starttls=1)"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigMissing(
                "COMMS_SMTP_URL must look like smtp://user:pass@host:port or "
                "smtps://host:port"
            )
        try:
            port = parts.port
        except ValueError:
            raise ConfigMissing("COMMS_SMTP_URL has an invalid port") from None
        query = parse_qs(parts.query)
        use_ssl = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if use_ssl else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=use_ssl,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


@dataclass(frozen=True)
class Envelope:
    """Who sends, and how links are made absolute and signed."""

    mail_from: str
    site_url: str
    secret: str

    @classmethod
    def from_settings(
        cls, mail_from: str | None, site_url: str, secret: str
    ) -> Envelope:
        """Check COMMS_MAIL_FROM and build the envelope."""
        if (
            not mail_from
            or "@" not in parseaddr(mail_from)[1]
            or not is_one_line(mail_from)
        ):
            raise ConfigMissing(
                "no sender address configured: set COMMS_MAIL_FROM "
                "(e.g. 'Project news <news@example.org>')"
            )
        return cls(mail_from=mail_from, site_url=site_url.rstrip("/"), secret=secret)

    @cached_property
    def address(self) -> str:
        """The bare sender address (the SMTP envelope sender)."""
        return parseaddr(self.mail_from)[1]

    @cached_property
    def domain(self) -> str:
        """The sender's domain, used in Message-IDs."""
        return self.address.rpartition("@")[2]


class Transport(Protocol):
    """Something that delivers one message to one recipient."""

    def connect(self) -> None:
        """Make sure a connection is open (raises OSError / SMTPException if not)."""

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Deliver or raise an smtplib / OS error."""


class SmtpTransport:
    """One SMTP connection, opened on first use and reopened if the server drops it."""

    def __init__(self, config: SmtpConfig, timeout: float = 30.0) -> None:
        self.config = config
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        conn: smtplib.SMTP
        if config.use_ssl:
            conn = smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
            if config.starttls:
                conn.starttls(context=ssl.create_default_context())
        if config.username:
            conn.login(config.username, config.password or "")
        return conn

    def connect(self) -> None:
        """Open the connection now (so that a bad server fails before any claim)."""
        if self._conn is None or self._conn.sock is None:
            self._conn = self._open()

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Send one message in one SMTP transaction."""
        self.connect()
        assert self._conn is not None
        self._conn.sendmail(sender, [recipient], message)

    def close(self) -> None:
        """Say QUIT and close the connection."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class SmtpOutcome:
    """What one SMTP transaction came to."""

    status: str  # sent | deferred | failed | uncertain | refused_sender
    code: int | None = None
    error: str | None = None


def _text(value: bytes | str) -> str:
    raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(raw.split())[:250]


def classify(exc: BaseException | None) -> SmtpOutcome:
    """Map an smtplib result to a delivery status: 4xx defer, 5xx fail, else unsure."""
    if exc is None:
        return SmtpOutcome("sent", 250)
    code: int
    message: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()), (0, b""))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, message = exc.smtp_code, exc.smtp_error
    else:
        return SmtpOutcome("uncertain", None, _text(f"{type(exc).__name__}: {exc}"))
    error = f"{code} {_text(message)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return SmtpOutcome("refused_sender", code, error)
    if 400 <= code < 500:
        return SmtpOutcome("deferred", code, error)
    if 500 <= code < 600:
        return SmtpOutcome("failed", code, error)
    return SmtpOutcome("uncertain", code, error)


# -- rendering ---------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedIssue:
    """An issue rendered once per language; only the unsubscribe link varies."""

    language: str
    subject: str
    text: str
    html: str
    web_url: str


def item_link(item: Item, site_url: str, default_language: str) -> str:
    """The absolute URL of an item's page."""
    url = f"{site_url}/{KIND_PLURALS[item.kind]}/{item.slug}/"
    return url if item.language == default_language else f"{url}?lang={item.language}"


def _absolute(site_url: str, path: str | None) -> str | None:
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return f"{site_url}/{path.lstrip('/')}"


def site_context(site: Site, site_url: str) -> dict[str, Any]:
    """What every mail template needs to know about the site."""
    return {
        "site": site,
        "site_url": site_url,
        # by the site's absolute URL, not a CID part: docs/newsletter-mail.md
        "emblem_url": _absolute(site_url, site.emblem_for_mail()),
    }


def render_issue(
    env: Environment,
    letter: Newsletter,
    groups: list[KindGroup],
    *,
    site: Site,
    site_url: str,
) -> RenderedIssue:
    """Render both parts of an issue's mail, CSS inlined, with a placeholder link.

    ValidationFailed when the title cannot be a Subject (stored before titles were
    checked): nothing of the issue goes out then.
    """
    if not is_one_line(letter.title):
        raise ValidationFailed(
            [f"title of {letter.slug} ({letter.language}): {ONE_LINE_PROBLEM}"]
        )
    web_url = f"{site_url}/newsletter/{letter.slug}/?lang={letter.language}"
    context = {
        **site_context(site, site_url),
        "letter": letter,
        "language": letter.language,
        "groups": [
            {
                "label": group.label,
                "items": [
                    {
                        "item": item,
                        "url": item_link(item, site_url, site.default_language),
                        "image": _item_image(item, site_url),
                    }
                    for item in group.items
                ],
            }
            for group in groups
        ],
        "web_url": web_url,
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "preferences_url": PREFERENCES_PLACEHOLDER,
    }
    with force_locale(babel_locale(letter.language)):
        html = env.get_template("email/newsletter.html").render(context)
        text = env.get_template("email/newsletter.txt").render(context)
    html = _INLINER.inline(html)
    return RenderedIssue(
        language=letter.language,
        subject=letter.title,
        text=text,
        html=html,
        web_url=web_url,
    )


def _item_image(item: Item, site_url: str) -> str | None:
    """The item's image, else a video's thumbnail as the site serves it.

    Never YouTube's own thumbnail URL: opening the mail must not reach Google.
    """
    picture = item_picture(item)
    return absolute(site_url, picture.src) if picture else None


@dataclass(frozen=True)
class RenderedMail:
    """A one-off mail (the confirmation) ready to be built."""

    subject: str
    text: str
    html: str


def render_confirm(
    env: Environment, site: Site, *, site_url: str, confirm_url: str, language: str
) -> RenderedMail:
    """Render the double opt-in mail, in the subscriber's language."""
    context = {
        **site_context(site, site_url),
        "confirm_url": confirm_url,
        "language": language,
    }
    with force_locale(babel_locale(language)):
        subject = gettext(
            "Please confirm your subscription to the %(site)s newsletter",
            site=site.name,
        )
        text = env.get_template("email/confirm.txt").render(context)
        html = env.get_template("email/confirm.html").render(context)
    return RenderedMail(subject=subject, text=text, html=_INLINER.inline(html))


# -- MIME --------------------------------------------------------------------------
#
# Every header goes through email.message.EmailMessage, whose policy refuses a value
# with CR or LF (ValueError): no title, address or URL can end one header and start
# another. The two body parts are quoted-printable text encoded by binascii (in C)
# and set as the multipart's payload: the generator writes that string as it is, so
# the email package's slow per-line body handling (~1.5 ms a message) is skipped.


class _MailPolicy(EmailPolicy):
    """SMTP's policy, except that List-Unsubscribe is folded at 998 characters.

    At 78 the standard policy would turn a long unsubscribe URL into RFC 2047
    encoded words that no mail client can follow.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        """Fold one header for the wire; ValueError if it would start another."""
        if name.lower() == "list-unsubscribe":
            folded = _WIDE.fold_binary(name, value)
        else:
            folded = super().fold_binary(name, value)
        # Python 3.11.7's folding decodes an encoded word to CR LF and writes it as
        # is; later releases check their output like this (verify_generated_headers).
        if not folded.endswith(b"\r\n") or _NEW_HEADER_LINE.search(folded[:-2]):
            raise ValueError(f"the {name} header would hold a line break")
        return folded


_WIDE = policy.SMTP.clone(max_line_length=998)
_NEW_HEADER_LINE = re.compile(rb"\r\n[^ \t]|\r[^ \n\t]|\n[^ \t]")
MAIL_POLICY = _MailPolicy(linesep="\r\n")


def _qp(text: str) -> str:
    """Quoted-printable body with CRLF line ends (binascii: fast, in C)."""
    data = "\r\n".join(text.splitlines()).encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).decode(
        "ascii"
    )


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    envelope: Envelope,
    to: str,
    date: datetime,
    unsubscribe_url: str | None = None,
    language: str | None = None,
) -> bytes:
    """A multipart/alternative message (plain text, then HTML) as SMTP bytes.

    Raises ValueError when a header value holds a line break.
    """
    if any(c in to for c in "\r\n<>") or not to.isascii():
        raise ValueError("recipient must be a plain ASCII address")
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message["From"] = envelope.mail_from
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = make_msgid(domain=envelope.domain)
    if unsubscribe_url:
        mailto = f"mailto:{envelope.address}?subject=unsubscribe"
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Precedence"] = "bulk"
    if language:
        message["Content-Language"] = language
    message["MIME-Version"] = "1.0"
    boundary = f"==comms-{secrets.token_hex(12)}"
    message["Content-Type"] = "multipart/alternative"
    message.set_param("boundary", boundary)
    parts = [
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{_qp(body)}\r\n"
        for subtype, body in (("plain", text), ("html", html))
    ]
    message.set_payload("".join(parts) + f"--{boundary}--\r\n")
    return message.as_bytes()


class ConfirmationMailer:
    """Sends the double opt-in mail to a subscriber through one transport."""

    def __init__(
        self,
        env: Environment,
        site: Site,
        envelope: Envelope,
        transport: Transport,
    ) -> None:
        self.env = env
        self.site = site
        self.envelope = envelope
        self.transport = transport

    def __call__(self, subscriber: Subscriber) -> None:
        """Render and send the confirmation mail (raises on SMTP errors)."""
        token = confirm_token(self.envelope.secret, subscriber.key, subscriber.nonce)
        mail = render_confirm(
            self.env,
            self.site,
            site_url=self.envelope.site_url,
            confirm_url=f"{self.envelope.site_url}/newsletter/confirm/{token}",
            language=subscriber.language,
        )
        message = build_message(
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            envelope=self.envelope,
            to=subscriber.email,
            date=datetime.now(UTC),
            language=subscriber.language,
        )
        self.transport.send(self.envelope.address, subscriber.email, message)
