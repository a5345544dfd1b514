"""Mail header injection: a line break in a title never becomes a header of its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from comms.catalogue.content_files import import_tree
from comms.catalogue.models import Newsletter
from comms.errors import ValidationFailed
from comms.newsletter.mail import Envelope, SmtpConfig, SmtpTransport, build_message
from tests.admin.helpers import log_in_as, make_user, post
from tests.newsletter.conftest import MAIL_FROM
from tests.newsletter.helpers import make_issue, make_subscribers

EVIL = "Issue 1\r\nBcc: x@evil.example\r\nReply-To: x@evil.example"
# An RFC 2047 encoded word that decodes to CR LF: Python 3.11.7's email package
# decodes it while folding and wrote "Bcc: x@evil.example" as a header of its own.
ENCODED = "Issue 1 =?utf-8?q?=0D=0ABcc:_x@evil.example?="
HEADERS = {
    "Subject", "From", "To", "Date", "Message-ID", "Content-Language",
    "MIME-Version", "Content-Type",
}  # fmt: skip


def _letters(session) -> int:
    return session.scalar(select(func.count()).select_from(Newsletter))


def _no_evil_mail(smtp) -> None:
    for received in smtp.recorder.messages:
        assert not any("evil" in rcpt for rcpt in received.rcpt_tos)
        assert received.message["Bcc"] is None
        assert received.message["Reply-To"] is None


@pytest.mark.parametrize(
    "title",
    [EVIL, "Issue 1\nBcc: x@evil.example", "Issue 1\u2028Bcc: x", "A\tB", ENCODED],
)
def test_issue_form_refuses_a_title_with_a_line_break(app, client, session, title):
    log_in_as(client, make_user(session, "editor@example.org"))
    fields = {"slug": "issue-1", "title": title, "language": "en", "number": "1",
              "intro": "Hello.", "action": "save"}  # fmt: skip
    answer = post(client, "/admin/newsletters/new", fields)
    assert answer.status_code == 422
    assert "title: must be one line" in answer.text
    assert _letters(session) == 0


def test_content_import_refuses_a_newsletter_title_with_a_line_break(
    session, store, content_dir
):
    folder = content_dir / "newsletters"
    folder.mkdir()
    (folder / "issue-1.en.md").write_text(
        "---\n"
        'title: "Issue 1\\r\\nBcc: x@evil.example"\n'
        "status: published\n"
        "published_at: 2026-01-01T10:00:00Z\n"
        "---\nHello.\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        import_tree(session, store, content_dir)
    [problem] = caught.value.problems
    assert problem.endswith(
        "newsletters/issue-1.en.md: title: must be one line of plain text, without "
        "line breaks, control characters or encoded words (=?...?=)"
    )
    assert _letters(session) == 0


def test_a_stored_title_with_a_line_break_sends_no_proof_and_no_issue(
    app, client, runner, session, smtp
):
    """A title stored before titles were checked: refused before any mail goes."""
    letter = make_issue(session, title=EVIL)
    make_subscribers(session, 2)
    log_in_as(client, make_user(session, "editor@example.org"))
    proof = post(client, f"/admin/newsletters/{letter.id}/test")
    assert proof.status_code == 502
    assert "must be one line" in proof.text
    result = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert result.exit_code == 1
    assert "title of issue-1 (en): must be one line" in result.output
    assert smtp.recorder.count() == 0


def _send(smtp, subject: str) -> None:
    envelope = Envelope.from_settings(MAIL_FROM, "https://x.org", "k")
    raw = build_message(
        subject=subject, text="t", html="<p>h</p>", envelope=envelope,
        to="r@example.net", date=datetime.now(UTC), language="en",
    )  # fmt: skip
    with SmtpTransport(SmtpConfig.parse(smtp.url)) as transport:
        transport.send(envelope.address, "r@example.net", raw)


@pytest.mark.parametrize(
    "subject",
    [
        EVIL,
        "Issue 1\nBcc: x@evil.example",
        "Issue 1\rBcc: x@evil.example",
        "Issue 1\u2028Bcc: x@evil.example",
        "Issue 1\x85Bcc: x@evil.example",
        "Issue 1\x0bBcc: x@evil.example",
        ENCODED,
        "=?utf-8?b?SXNzdWUKQmNjOiB4QGV2aWwuZXhhbXBsZQ==?=",
    ],
)
def test_the_mail_builder_refuses_a_header_value_with_a_line_break(smtp, subject):
    with pytest.raises(ValueError, match="line"):
        _send(smtp, subject)
    assert smtp.recorder.count() == 0


@pytest.mark.parametrize(
    "subject",
    ["Ausgabe 1: Grüße à tous", "Issue =?utf-8?q?caf=C3=A9?= 1", "Bcc: x@evil.example"],
)
def test_a_sent_subject_adds_no_header(smtp, subject):
    _send(smtp, subject)
    [received] = smtp.recorder.messages
    assert received.rcpt_tos == ["r@example.net"]
    message = received.message
    assert set(message.keys()) == HEADERS
    assert len(message.get_all("Subject")) == 1
    assert message["Subject"] in (subject, "Issue café 1")
    _no_evil_mail(smtp)
