"""Bad input on the public newsletter pages: a clear page, and nothing changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from comms import create_app
from comms.newsletter.models import Consent, Subscriber
from comms.newsletter.tokens import confirm_token, unsubscribe_token
from tests.factories import past
from tests.newsletter.helpers import csrf_of, link_in, local, make_subscribers


def _count(session, model=Subscriber) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _subscribe(client, email: str, **extra):
    token = csrf_of(client.get("/newsletter/subscribe").text)
    return client.post(
        "/newsletter/subscribe",
        data={"csrf_token": token, "email": email, "language": "en", **extra},
    )


def test_every_page_links_to_the_subscribe_form(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/newsletter/subscribe"' in page.text


def test_subscribe_without_csrf_token_is_refused_and_stores_nothing(
    client, session, smtp
):
    client.get("/newsletter/subscribe")
    answer = client.post(
        "/newsletter/subscribe", data={"email": "a@example.net", "language": "en"}
    )
    assert answer.status_code == 400
    assert "reload the page" in answer.text
    forged = client.post(
        "/newsletter/subscribe",
        data={"email": "a@example.net", "language": "en", "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    assert _count(session) == 0
    assert smtp.recorder.count() == 0


def test_invalid_address_shows_the_form_again_and_stores_nothing(client, session, smtp):
    for email in (
        "not-an-address",
        "a@b",
        "x y@example.net",
        "a@example.net\r\nBcc: z@q.io",
    ):
        answer = _subscribe(client, email)
        assert answer.status_code == 400
        assert "is not a valid e-mail address" in answer.text
        assert 'name="email"' in answer.text
    assert _count(session) == 0
    assert smtp.recorder.count() == 0


def test_subscribing_a_confirmed_address_looks_the_same_and_changes_nothing(
    client, session, smtp
):
    """Both get the same answer and the same mail; the subscription stays as it is."""
    [known] = make_subscribers(session, 1)
    fresh = _subscribe(client, "new@example.net")
    again = _subscribe(client, known, topic="nonsense")
    assert again.status_code == 400  # topics are checked before anything else
    again = _subscribe(client, known)
    assert fresh.status_code == again.status_code == 200
    assert fresh.text == again.text
    assert len(smtp.recorder.to("new@example.net")) == 1
    [mail] = smtp.recorder.to(known)
    assert (
        mail.message["Subject"]
        == (smtp.recorder.to("new@example.net")[0].message["Subject"])
    )
    link = link_in(
        mail.message.get_body(("plain",)).get_content(), "/newsletter/confirm/"
    )
    assert client.post(local(link)).status_code == 200
    session.expire_all()
    subscriber = session.scalars(
        select(Subscriber).where(Subscriber.email == known)
    ).one()
    assert subscriber.status == "confirmed"
    assert [c.action for c in subscriber.consents] == ["requested"]
    assert "already confirmed" in subscriber.consents[0].detail


def test_repeated_requests_do_not_flood_a_mailbox(client, session, smtp):
    answers = [_subscribe(client, "flood@example.net") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert len(smtp.recorder.to("flood@example.net")) == 3


def test_subscribe_without_smtp_configured_says_so_and_stores_nothing(settings):
    app = create_app(replace(settings, smtp_url=None))
    from comms.db import init_db

    init_db(app.extensions["comms"].engine)
    client = app.test_client()
    answer = _subscribe(client, "a@example.net")
    assert answer.status_code == 503
    assert "cannot take subscriptions" in answer.text
    with app.extensions["comms"].sessionmaker() as session:
        assert _count(session) == 0
    app.extensions["comms"].engine.dispose()


def test_refused_confirmation_mail_stores_nothing(client, session, smtp):
    smtp.recorder.rcpt_answers["gone@example.net"] = "550 5.1.1 no such mailbox"
    answer = _subscribe(client, "gone@example.net")
    assert answer.status_code == 503
    assert "could not be sent" in answer.text
    assert _count(session) == 0


def _pending(client, smtp, session, email="p@example.net"):
    _subscribe(client, email)
    return session.scalars(select(Subscriber).where(Subscriber.email == email)).one()


def test_tampered_confirmation_link_is_refused_and_changes_nothing(
    client, session, smtp, settings
):
    subscriber = _pending(client, smtp, session)
    token = confirm_token(settings.secret_key, subscriber.key, subscriber.nonce)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for method in (client.get, client.post):
        answer = method(f"/newsletter/confirm/{tampered}")
        assert answer.status_code == 400
        assert "not valid" in answer.text
    other_key = confirm_token("another-secret", subscriber.key, subscriber.nonce)
    assert client.post(f"/newsletter/confirm/{other_key}").status_code == 400
    session.refresh(subscriber)
    assert subscriber.status == "pending"


def test_expired_confirmation_link_is_refused(client, session, smtp, settings):
    subscriber = _pending(client, smtp, session)
    with freeze_time(past(8)):
        token = confirm_token(settings.secret_key, subscriber.key, subscriber.nonce)
    answer = client.post(f"/newsletter/confirm/{token}")
    assert answer.status_code == 400
    assert "expired" in answer.text
    session.refresh(subscriber)
    assert subscriber.status == "pending"


def test_an_older_confirmation_link_stops_working_after_a_new_request(
    client, session, smtp, settings
):
    subscriber = _pending(client, smtp, session)
    old = confirm_token(settings.secret_key, subscriber.key, subscriber.nonce)
    subscriber.confirmation_sent_at = subscriber.confirmation_sent_at - timedelta(
        hours=1
    )
    session.commit()
    _subscribe(client, subscriber.email)
    assert client.post(f"/newsletter/confirm/{old}").status_code == 400
    session.refresh(subscriber)
    new = confirm_token(settings.secret_key, subscriber.key, subscriber.nonce)
    assert client.post(f"/newsletter/confirm/{new}").status_code == 200
    session.refresh(subscriber)
    assert subscriber.status == "confirmed"


def test_get_of_the_unsubscribe_link_changes_nothing(client, session, settings):
    [email] = make_subscribers(session, 1)
    subscriber = session.scalars(select(Subscriber)).one()
    token = unsubscribe_token(settings.secret_key, subscriber.key)
    url = f"/newsletter/unsubscribe/{token}"
    for _ in range(3):
        page = client.get(url)
        assert page.status_code == 200
        assert page.text.count("<button") == 1
    session.refresh(subscriber)
    assert subscriber.status == "confirmed"
    assert _count(session, Consent) == 0
    assert client.post(url).status_code == 200  # the button
    session.refresh(subscriber)
    assert subscriber.status == "unsubscribed"
    assert [c.method for c in subscriber.consents] == ["unsubscribe page"]


def test_tampered_unsubscribe_link_is_refused_and_changes_nothing(
    client, session, settings
):
    make_subscribers(session, 1)
    subscriber = session.scalars(select(Subscriber)).one()
    token = unsubscribe_token(settings.secret_key, subscriber.key)
    for bad in (
        token[:-2] + "xx",
        "nonsense",
        unsubscribe_token("other", subscriber.key),
    ):
        answer = client.post(f"/newsletter/unsubscribe/{bad}")
        assert answer.status_code == 400
        assert "not valid" in answer.text
    session.refresh(subscriber)
    assert subscriber.status == "confirmed"
