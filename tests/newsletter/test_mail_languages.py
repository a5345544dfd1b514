"""Subscriber mail in the subscriber's language: the issue's chrome and the opt-in."""

from __future__ import annotations

from email.message import EmailMessage

from tests.factories import make_item
from tests.newsletter.helpers import csrf_of, make_issue, make_subscribers

GERMAN_CHROME = [
    "Diese Ausgabe im Browser ansehen",
    "Pressemitteilungen",
    "Kofinanziert von der Europäischen Union",
    "Sie erhalten diesen Newsletter, weil Sie ihn",
]
ENGLISH_CHROME = [
    "View this issue in your browser",
    "Press releases",
    "Co-funded by the European Union",
    "You receive this newsletter because you subscribed to it",
]


def _bodies(message: EmailMessage) -> tuple[str, str]:
    parts = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
    return parts["text/plain"], parts["text/html"]


def test_german_subscriber_gets_the_issue_with_german_chrome(runner, session, smtp):
    make_item(session, slug="first-results", title="First results")
    make_item(session, slug="erste-ergebnisse", title="Erste Ergebnisse", language="de")
    make_issue(session, items=[("press_release", "first-results")])
    make_issue(
        session,
        slug="ausgabe-1",
        language="de",
        translation="issue-1",
        title="Ausgabe 1: erste Ergebnisse",
        intro="Willkommen zur ersten Ausgabe.",
        items=[("press_release", "erste-ergebnisse")],
    )
    [german] = make_subscribers(session, 1, language="de", prefix="leser")
    [english] = make_subscribers(session, 1, language="en", prefix="reader")

    result = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert result.exit_code == 0, result.output

    [mail] = smtp.recorder.to(german)
    assert mail.message["Subject"] == "Ausgabe 1: erste Ergebnisse"
    assert mail.message["Content-Language"] == "de"
    for body in _bodies(mail.message):
        for expected in GERMAN_CHROME:
            assert expected.upper() in body.upper(), expected
        for english_text in ENGLISH_CHROME:
            assert english_text.upper() not in body.upper(), english_text
    [mail] = smtp.recorder.to(english)
    for body in _bodies(mail.message):
        for expected in ENGLISH_CHROME:
            assert expected.upper() in body.upper(), expected


def test_confirmation_mail_is_in_the_language_the_subscriber_chose(client, smtp):
    form = client.get("/newsletter/subscribe")  # an English page
    answer = client.post(
        "/newsletter/subscribe",
        data={
            "csrf_token": csrf_of(form.text),
            "email": "lea@example.net",
            "language": "sl",
        },
    )
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text  # the page stays in its language
    [mail] = smtp.recorder.to("lea@example.net")
    subject = mail.message["Subject"]
    assert subject == "Potrdite svojo naročnino na e-novice Test Project"
    text, html = _bodies(mail.message)
    for body in (text, html):
        assert "Potrdite svojo naročnino" in body
        assert "Sofinancira Evropska unija" in body
        assert "Please confirm" not in body
    assert "Potrdi naročnino" in html  # the button
