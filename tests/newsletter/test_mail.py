"""Pure parts of mail: SMTP URLs, answer classes, the built message."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from comms.errors import ConfigMissing
from comms.newsletter.mail import Envelope, SmtpConfig, build_message, classify


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, None, None, False, False)),
        (
            "smtp://u%40x:p%3Ass@mail.example.org:587?starttls=1",
            ("mail.example.org", 587, "u@x", "p:ss", False, True),
        ),
        (
            "smtps://mail.example.org",
            ("mail.example.org", 465, None, None, True, False),
        ),
    ],
)
def test_smtp_url_is_parsed(url, expected):
    config = SmtpConfig.parse(url)
    got = (
        config.host,
        config.port,
        config.username,
        config.password,
        config.use_ssl,
        config.starttls,
    )
    assert got == expected
    assert "p:ss" not in repr(config)


@pytest.mark.parametrize("url", [None, "", "http://x", "smtp://", "smtp://h:port"])
def test_bad_or_missing_smtp_url_says_what_is_wrong(url):
    with pytest.raises(ConfigMissing, match="COMMS_SMTP_URL"):
        SmtpConfig.parse(url)


def test_missing_sender_is_reported():
    with pytest.raises(ConfigMissing, match="COMMS_MAIL_FROM"):
        Envelope.from_settings(None, "https://x.org", "k")


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (None, "sent", 250),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"later")}), "deferred", 450),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no")}), "failed", 550),
        (smtplib.SMTPDataError(452, b"full"), "deferred", 452),
        (smtplib.SMTPDataError(554, b"spam"), "failed", 554),
        (smtplib.SMTPSenderRefused(553, b"no", "x@y.z"), "refused_sender", 553),
        (smtplib.SMTPServerDisconnected("gone"), "uncertain", None),
        (TimeoutError("slow"), "uncertain", None),
    ],
)
def test_smtp_answers_are_classified(exc, status, code):
    outcome = classify(exc)
    assert (outcome.status, outcome.code) == (status, code)


def test_long_unsubscribe_url_stays_readable_in_the_header():
    envelope = Envelope.from_settings(
        "Ünïcode Néws <n@example.org>", "https://x.org", "k"
    )
    url = "https://x.org/newsletter/unsubscribe/" + "A" * 120
    raw = build_message(
        subject="Ausgabe 1: Grüße " + "lang " * 30,
        text="t",
        html="<p>h</p>",
        envelope=envelope,
        to="r@example.net",
        date=datetime(2026, 1, 1, tzinfo=UTC),
        unsubscribe_url=url,
    )
    assert f"List-Unsubscribe: <{url}>,".encode() in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"].startswith("Ausgabe 1: Grüße lang")
    assert parsed["From"].addresses[0].display_name == "Ünïcode Néws"
