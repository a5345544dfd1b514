"""`comms newsletter send`: languages, 4xx and 5xx answers, reruns, dry runs, proofs."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from comms import create_app
from comms.newsletter.models import Delivery, Subscriber
from tests.factories import future, make_item
from tests.newsletter.helpers import make_issue, make_subscribers
from tests.newsletter.smtp import free_port


def _send(runner, *args: str):
    return runner.invoke(args=["newsletter", "send", *args])


def _statuses(session) -> dict[str, str]:
    rows = session.execute(
        select(Subscriber.email, Delivery.status).join(
            Delivery, Delivery.subscriber_id == Subscriber.id
        )
    )
    return dict(rows.all())


def _bilingual(session):
    make_item(session, slug="first-results", title="First results")
    make_item(session, slug="erste-ergebnisse", language="de", title="Erste Ergebnisse")
    items = [("press_release", "first-results"), ("press_release", "erste-ergebnisse")]
    make_issue(session, items=items[:1], translation="issue-1")
    make_issue(
        session,
        language="de",
        title="Ausgabe 1: erste Ergebnisse",
        intro="Willkommen zur ersten Ausgabe.",
        items=items[1:],
        translation="issue-1",
    )


def test_each_subscriber_gets_the_issue_in_their_language_else_the_default(
    runner, session, smtp
):
    _bilingual(session)
    [en] = make_subscribers(session, 1, language="en", prefix="en")
    [de] = make_subscribers(session, 1, language="de", prefix="de")
    [fr] = make_subscribers(session, 1, language="fr", prefix="fr")
    result = _send(runner, "issue-1")
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output
    german = smtp.recorder.to(de)[0].message
    assert german["Subject"] == "Ausgabe 1: erste Ergebnisse"
    assert german["Content-Language"] == "de"
    text = german.get_body(("plain",)).get_content()
    assert "Willkommen zur ersten Ausgabe." in text and "Erste Ergebnisse" in text
    assert "?lang=de" in text
    for address in (en, fr):
        message = smtp.recorder.to(address)[0].message
        assert message["Subject"] == "Issue 1: first results"
        assert (
            "Welcome to the first issue." in message.get_body(("plain",)).get_content()
        )
    assert session.scalar(select(func.count()).select_from(Delivery)) == 3


def test_a_second_run_sends_nothing_again(runner, session, smtp):
    make_issue(session)
    make_subscribers(session, 5)
    assert "5 sent" in _send(runner, "issue-1").output
    again = _send(runner, "issue-1")
    assert again.exit_code == 0
    assert "0 sent" in again.output
    assert smtp.recorder.count() == 5


def test_4xx_answer_is_deferred_then_delivered_by_a_later_run(runner, session, smtp):
    make_issue(session)
    emails = make_subscribers(session, 3)
    smtp.recorder.rcpt_answers[emails[1]] = "450 4.2.0 greylisted, try again later"
    first = _send(runner, "issue-1")
    assert first.exit_code == 0, first.output
    assert "2 sent" in first.output and "1 deferred" in first.output
    delivery = session.scalars(
        select(Delivery).join(Subscriber).where(Subscriber.email == emails[1])
    ).one()
    assert (delivery.status, delivery.smtp_code) == ("deferred", 450)
    assert delivery.attempts == 2  # the first try and the run's retry pass
    del smtp.recorder.rcpt_answers[emails[1]]
    second = _send(runner, "issue-1")
    assert "1 sent" in second.output
    assert [len(smtp.recorder.to(e)) for e in emails] == [1, 1, 1]
    assert set(_statuses(session).values()) == {"sent"}


def test_4xx_on_data_is_deferred_too(runner, session, smtp):
    make_issue(session)
    [email] = make_subscribers(session, 1)
    smtp.recorder.data_answers[email] = "452 4.3.1 insufficient storage"
    assert "1 deferred" in _send(runner, "issue-1").output
    assert _statuses(session) == {email: "deferred"}


def test_5xx_answer_is_recorded_as_failed_and_not_retried(runner, session, smtp):
    make_issue(session)
    emails = make_subscribers(session, 2)
    smtp.recorder.rcpt_answers[emails[0]] = "550 5.1.1 mailbox unavailable"
    result = _send(runner, "issue-1")
    assert "1 sent" in result.output and "1 failed (5xx)" in result.output
    delivery = session.scalars(
        select(Delivery).join(Subscriber).where(Subscriber.email == emails[0])
    ).one()
    assert (delivery.status, delivery.smtp_code, delivery.attempts) == (
        "failed",
        550,
        1,
    )
    assert "mailbox unavailable" in delivery.error
    subscriber = session.scalars(
        select(Subscriber).where(Subscriber.email == emails[0])
    ).one()
    assert (subscriber.status, subscriber.bounce_count) == ("confirmed", 1)
    del smtp.recorder.rcpt_answers[emails[0]]
    assert "0 sent" in _send(runner, "issue-1").output


def test_repeated_bounces_suspend_the_address(runner, session, smtp):
    [email] = make_subscribers(session, 1)
    smtp.recorder.rcpt_answers[email] = "550 5.1.1 mailbox unavailable"
    for n in (1, 2, 3):
        make_issue(session, slug=f"issue-{n}", title=f"Issue {n}")
        _send(runner, f"issue-{n}")
    subscriber = session.scalars(select(Subscriber)).one()
    session.refresh(subscriber)
    assert (subscriber.status, subscriber.bounce_count) == ("suspended", 3)
    make_issue(session, slug="issue-4", title="Issue 4")
    del smtp.recorder.rcpt_answers[email]
    assert "0 sent" in _send(runner, "issue-4").output
    assert smtp.recorder.count() == 0


def test_a_delivery_resets_the_bounce_count(runner, session, smtp):
    make_issue(session)
    make_subscribers(session, 1)
    subscriber = session.scalars(select(Subscriber)).one()
    subscriber.bounce_count = 2
    session.commit()
    _send(runner, "issue-1")
    session.refresh(subscriber)
    assert subscriber.bounce_count == 0


def test_dry_run_counts_and_changes_nothing(runner, session, smtp):
    _bilingual(session)
    make_subscribers(session, 2, language="de", prefix="de")
    make_subscribers(session, 3, language="sl", prefix="sl")
    result = _send(runner, "issue-1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would send 5 messages (de 2, en 3)" in result.output
    assert smtp.recorder.count() == 0
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_test_to_sends_one_proof_and_records_nothing(runner, session, smtp):
    make_issue(session)
    make_subscribers(session, 3)
    result = _send(runner, "issue-1", "--test-to", "officer@example.org")
    assert result.exit_code == 0, result.output
    [proof] = smtp.recorder.messages
    assert proof.rcpt_tos == ["officer@example.org"]
    assert proof.message["Subject"] == "[Proof] Issue 1: first results"
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_unknown_draft_or_scheduled_issue_is_refused(runner, session, smtp):
    make_subscribers(session, 1)
    make_issue(session, slug="draft", status="draft")
    make_issue(session, slug="later", published_at=future(2))
    for slug, reason in [
        ("nope", "no newsletter issue 'nope'"),
        ("draft", "is not published"),
        ("later", "scheduled for later"),
    ]:
        result = _send(runner, slug)
        assert result.exit_code != 0
        assert reason in result.output
    assert smtp.recorder.count() == 0
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_send_without_smtp_configured_says_what_is_missing_and_changes_nothing(
    settings, smtp
):
    app = create_app(replace(settings, smtp_url=None))
    from comms.db import init_db

    init_db(app.extensions["comms"].engine)
    with app.extensions["comms"].sessionmaker() as session:
        make_issue(session)
        make_subscribers(session, 2)
        result = app.test_cli_runner().invoke(args=["newsletter", "send", "issue-1"])
        assert result.exit_code != 0
        assert "COMMS_SMTP_URL" in result.output
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    app.extensions["comms"].engine.dispose()


def test_unreachable_smtp_server_leaves_every_delivery_pending(settings):
    app = create_app(replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}"))
    from comms.db import init_db

    init_db(app.extensions["comms"].engine)
    with app.extensions["comms"].sessionmaker() as session:
        make_issue(session)
        make_subscribers(session, 2)
        result = app.test_cli_runner().invoke(args=["newsletter", "send", "issue-1"])
        assert result.exit_code != 0
        assert "cannot reach the mail server" in result.output
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    app.extensions["comms"].engine.dispose()


def _stuck_in_flight(session, emails):
    """Rows as a run killed mid-transaction leaves them: one sent, one in flight."""
    make_issue(session)
    subscribers = session.scalars(select(Subscriber).order_by(Subscriber.id)).all()
    session.add_all(
        [
            Delivery(issue="issue-1", subscriber_id=subscribers[0].id, status="sent"),
            Delivery(
                issue="issue-1",
                subscriber_id=subscribers[1].id,
                status="sending",
                attempts=1,
            ),
        ]
    )
    session.commit()


def test_a_message_in_flight_at_a_crash_is_resent_by_default(runner, session, smtp):
    emails = make_subscribers(session, 3)
    _stuck_in_flight(session, emails)
    result = _send(runner, "issue-1")
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output
    assert "1 resent after an interrupted run" in result.output
    assert [len(smtp.recorder.to(e)) for e in emails] == [0, 1, 1]
    delivery = session.scalars(
        select(Delivery)
        .where(Delivery.subscriber_id == Subscriber.id)
        .join(Subscriber)
        .where(Subscriber.email == emails[1])
    ).one()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_skip_uncertain_records_the_message_in_flight_and_does_not_resend(
    runner, session, smtp
):
    emails = make_subscribers(session, 3)
    _stuck_in_flight(session, emails)
    result = _send(runner, "issue-1", "--skip-uncertain")
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output and "1 uncertain" in result.output
    assert [len(smtp.recorder.to(e)) for e in emails] == [0, 0, 1]
    assert _statuses(session)[emails[1]] == "uncertain"


def test_the_last_outcome_is_recorded_before_the_pacer_sleeps(
    runner, session, monkeypatch
):
    """A throttled send holds no open write while it waits (SQLite: the lock).

    Seen from another connection during each pause, no delivery is still
    "sending": the previous message's outcome is committed before the sleep, so a
    job's heartbeat (or any writer) is never kept waiting for the pacer.
    """
    from sqlalchemy.orm import Session

    from comms.newsletter import sending

    make_issue(session)
    make_subscribers(session, 4)
    seen: list[dict[str, int]] = []
    # the pacer's own clock moves only when it sleeps: every message after the first
    # waits however long sending takes on a loaded machine
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds
        with Session(session.get_bind()) as other:
            rows = other.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            seen.append({str(status): int(n) for status, n in rows})

    class Watched(sending.Pacer):
        def __init__(self, rate: float) -> None:
            super().__init__(20.0, clock=lambda: clock[0], sleep=sleep)

    monkeypatch.setattr(sending, "Pacer", Watched)
    result = _send(runner, "issue-1")
    assert result.exit_code == 0, result.output
    assert len(seen) >= 3
    assert all("sending" not in counts for counts in seen), seen
    assert seen[-1].get("sent") == 3
