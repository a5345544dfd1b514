"""What subscribers chose decides what they get; the preferences link in every mail."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from comms.newsletter import audience
from comms.newsletter.models import Consent, Delivery, Subscriber
from comms.newsletter.tokens import preferences_token, unsubscribe_token
from tests.factories import make_item
from tests.newsletter.helpers import link_in, local, make_issue


def _subscriber(session, email, *, language="en", topics=(), regions=()):
    subscriber = Subscriber(
        email=email, language=language, topics=list(topics), regions=list(regions),
        status="confirmed", confirmed_at=datetime.now(UTC), source="test",
    )  # fmt: skip
    session.add(subscriber)
    session.commit()
    return subscriber


def _issue_with_entries(session, slug="issue-1"):
    make_item(session, slug="lombardia-report", title="Lombardia StressTest",
              regions=["lombardia"], tags=["clusters"])  # fmt: skip
    make_item(session, slug="bayern-workshop", title="Bayern workshop",
              regions=["bayern"], tags=["workshops"])  # fmt: skip
    make_item(session, slug="general-news", title="Project news")
    return make_issue(session, slug=slug, items=[
        ("press_release", "lombardia-report"),
        ("press_release", "bayern-workshop"),
        ("press_release", "general-news"),
    ])  # fmt: skip


def _text(received) -> str:
    message = received.message
    return next(
        p.get_content()
        for p in message.iter_parts()
        if p.get_content_type() == "text/plain"
    )


def test_an_entry_matches_when_it_shares_a_topic_or_a_region():
    assert audience.matches(["a"], ["x"], [], [])  # no choice: everything
    assert audience.matches(["a"], [], ["a", "b"], [])
    assert audience.matches([], ["x"], ["a"], ["x"])
    assert not audience.matches(["c"], ["y"], ["a"], ["x"])
    assert not audience.matches([], [], ["a"], [])  # an untagged entry


def test_each_subscriber_gets_the_entries_matching_their_choices(runner, session, smtp):
    _issue_with_entries(session)
    _subscriber(session, "all@example.net")
    _subscriber(session, "lomb@example.net", regions=["lombardia"])
    _subscriber(session, "both@example.net", topics=["workshops"],
                regions=["lombardia"])  # fmt: skip
    _subscriber(session, "none@example.net", topics=["tourism"])

    dry = runner.invoke(args=["newsletter", "send", "issue-1", "--dry-run"])
    assert "would send 3 messages (en 3); 1 skipped (nothing matching" in dry.output
    result = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output
    assert "1 skipped (nothing matching their topics or regions)" in result.output

    every = _text(smtp.recorder.to("all@example.net")[0])
    assert all(t in every for t in ("Lombardia StressTest", "Bayern workshop",
                                    "Project news"))  # fmt: skip
    lomb = _text(smtp.recorder.to("lomb@example.net")[0])
    assert "Lombardia StressTest" in lomb
    assert "Bayern workshop" not in lomb and "Project news" not in lomb
    both = _text(smtp.recorder.to("both@example.net")[0])
    assert "Lombardia StressTest" in both and "Bayern workshop" in both
    assert "Project news" not in both
    assert smtp.recorder.to("none@example.net") == []
    statuses = dict(
        session.execute(
            select(Subscriber.email, Delivery.status).join(
                Delivery, Delivery.subscriber_id == Subscriber.id
            )
        ).all()
    )
    assert statuses["none@example.net"] == "unmatched"
    assert statuses["lomb@example.net"] == "sent"


def test_every_mail_links_to_its_own_preferences_page(
    app, client, runner, session, smtp
):
    _issue_with_entries(session)
    anna = _subscriber(session, "anna@example.net", language="de")
    runner.invoke(args=["newsletter", "send", "issue-1"])
    text = _text(smtp.recorder.to("anna@example.net")[0])
    url = link_in(text, "/newsletter/preferences/")
    assert url.endswith("?lang=de")
    page = client.get(local(url))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Ihre Newsletter-Einstellungen" in page.text
    assert 'value="lombardia"' in page.text and 'value="de" selected' in page.text

    saved = client.post(local(url), data={
        "action": "save", "language": "it", "region": ["lombardia", "bayern"],
        "topic": [],
    })  # fmt: skip
    assert saved.status_code == 303
    assert "lang=it" in saved.location and "saved=1" in saved.location
    session.refresh(anna)
    assert (anna.language, anna.topics, anna.regions) == (
        "it",
        [],
        ["bayern", "lombardia"],
    )
    consent = session.scalars(select(Consent).order_by(Consent.id.desc())).first()
    assert (consent.action, consent.method) == ("preferences changed",
                                                "preferences page")  # fmt: skip
    assert "regions=bayern,lombardia" in consent.detail
    shown = client.get(saved.location)
    assert "Le tue preferenze sono salvate." in shown.text


def test_preferences_refuse_what_the_form_does_not_offer(client, session):
    anna = _subscriber(session, "anna@example.net", regions=["bayern"])
    token = preferences_token(client.application.secret_key, anna.key)
    url = f"/newsletter/preferences/{token}"
    bad = client.post(url, data={"language": "xx", "region": ["atlantis"]})
    assert bad.status_code == 400
    assert "choose only among the regions offered" in bad.text
    assert "choose one of en, de, fr, it, sl" in bad.text
    session.refresh(anna)
    assert (anna.language, anna.regions) == ("en", ["bayern"])


def test_a_bad_or_foreign_token_opens_nothing(client, session):
    anna = _subscriber(session, "anna@example.net")
    secret = client.application.secret_key
    forged = client.get("/newsletter/preferences/not-a-token")
    assert forged.status_code == 400
    assert "This preferences link is not valid" in forged.text
    other = client.get(f"/newsletter/preferences/{unsubscribe_token(secret, anna.key)}")
    assert other.status_code == 400


def test_unsubscribing_from_the_preferences_page(client, session):
    anna = _subscriber(session, "anna@example.net")
    token = preferences_token(client.application.secret_key, anna.key)
    left = client.post(f"/newsletter/preferences/{token}",
                       data={"action": "unsubscribe"})  # fmt: skip
    assert left.status_code == 200
    assert "You are unsubscribed" in left.text
    session.refresh(anna)
    assert anna.status == "unsubscribed"
    again = client.get(f"/newsletter/preferences/{token}")
    assert again.status_code == 404
    assert "This address is not subscribed" in again.text
