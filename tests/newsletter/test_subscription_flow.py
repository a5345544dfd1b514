"""The whole journey against a real SMTP server: subscribe to one-click unsubscribe."""

from __future__ import annotations

import re

from sqlalchemy import select

from comms.newsletter.models import Consent, Subscriber
from tests.factories import make_item
from tests.newsletter.helpers import SITE, csrf_of, link_in, local, make_issue

ADDRESS = "anna@example.net"


def _parts(message):
    assert message.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    return parts["text/plain"], parts["text/html"]


def test_subscribe_confirm_receive_one_click_unsubscribe_then_nothing(
    app, client, runner, session, smtp
):
    # subscribe: the form carries a CSRF token and starts double opt-in
    form = client.get("/newsletter/subscribe")
    assert form.status_code == 200
    answer = client.post(
        "/newsletter/subscribe",
        data={
            "csrf_token": csrf_of(form.text),
            "email": " Anna@Example.net ",
            "language": "en",
            "region": ["bayern"],
        },
    )
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    [confirmation] = smtp.recorder.to(ADDRESS)
    text, html = _parts(confirmation.message)
    confirm_url = link_in(text, "/newsletter/confirm/")
    assert confirm_url in html
    subscriber = session.scalars(select(Subscriber)).one()
    assert (subscriber.email, subscriber.status) == (ADDRESS, "pending")
    assert subscriber.regions == ["bayern"]

    # the link's GET only shows a button; the POST confirms
    page = client.get(local(confirm_url))
    assert page.status_code == 200
    assert "<button" in page.text
    session.refresh(subscriber)
    assert subscriber.status == "pending"
    done = client.post(local(confirm_url))
    assert done.status_code == 200
    assert "You are subscribed" in done.text
    session.refresh(subscriber)
    assert subscriber.status == "confirmed"
    assert subscriber.confirmed_at is not None

    # an issue from the chosen region arrives with both parts and the list headers
    make_item(session, slug="first-results", title="First results are online",
              regions=["bayern"])  # fmt: skip
    make_issue(session, items=[("press_release", "first-results")])
    result = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert result.exit_code == 0, result.output
    assert "issue-1: 1 sent" in result.output
    issue_mail = smtp.recorder.to(ADDRESS)[-1]
    message = issue_mail.message
    assert message["Subject"] == "Issue 1: first results"
    assert re.fullmatch(r"<[^@\s]+@example\.org>", message["Message-ID"])
    assert message["Date"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    urls = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert urls[0].startswith(f"{SITE}/newsletter/unsubscribe/")
    assert urls[1].startswith("mailto:news@example.org")
    text, html = _parts(message)
    assert "First results are online" in text and "First results are online" in html
    assert urls[0] in text and urls[0] in html
    assert f"{SITE}/newsletter/issue-1/?lang=en" in html
    assert "Co-funded by the European Union" in html and "<script" not in html
    # styles inlined; only the narrow-screen @media rules keep a <style> block
    assert 'style="' in html
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert all(block.strip().startswith("@media") for block in styles), styles
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith(("https://", "mailto:")) for h in hrefs)

    # one-click unsubscribe from a mail client: no cookies, no CSRF token
    mail_client = app.test_client()
    left = mail_client.post(
        local(urls[0]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert left.status_code == 200
    session.refresh(subscriber)
    assert subscriber.status == "unsubscribed"
    consents = session.scalars(select(Consent).order_by(Consent.id)).all()
    assert [(c.action, c.method) for c in consents] == [
        ("requested", "web form"),
        ("confirmed", "confirmation link"),
        ("withdrawn", "one-click (mail client)"),
    ]

    # the next issue does not reach the address
    before = smtp.recorder.count()
    make_issue(session, slug="issue-2", title="Issue 2")
    result = runner.invoke(args=["newsletter", "send", "issue-2"])
    assert result.exit_code == 0, result.output
    assert "issue-2: 0 sent" in result.output
    assert smtp.recorder.count() == before
