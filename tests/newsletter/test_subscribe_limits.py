"""The subscribe form's limits: per client and per mailbox, offered choices only."""

from __future__ import annotations

import re
import statistics
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from comms import create_app
from comms.db import init_db
from comms.errors import ConfigMissing
from comms.newsletter.models import Consent, Subscriber
from tests.factories import make_item, past
from tests.newsletter.helpers import csrf_of, make_subscribers
from tests.redis_server import reachable_redis

REDIS_URL = "redis://127.0.0.1:6379/0"
TOO_MANY = "too many subscription requests"


def _count(session, model=Subscriber) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _subscribe(client, email: str, address: str = "127.0.0.1", **extra):
    environ = {"REMOTE_ADDR": address}
    token = csrf_of(client.get("/newsletter/subscribe", environ_base=environ).text)
    return client.post(
        "/newsletter/subscribe",
        data={"csrf_token": token, "email": email, "language": "en", **extra},
        environ_base=environ,
    )


def _mails(smtp, domain: str) -> int:
    return sum(
        1
        for m in smtp.recorder.messages
        if any(r.endswith(f"@{domain}") for r in m.rcpt_tos)
    )


def test_thirty_plus_addresses_from_one_client_reach_the_mailbox_three_times(
    client, session, smtp
):
    answers = [_subscribe(client, f"victim+{n}@example.net") for n in range(1, 31)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    refused = answers[3:]
    assert {a.status_code for a in refused} == {429}
    assert TOO_MANY in refused[0].text and "Nothing was sent" in refused[0].text
    assert 0 < int(refused[0].headers["Retry-After"]) <= 3600
    assert _mails(smtp, "example.net") == 3
    # stored as given (lower-cased as ever), not folded to the mailbox
    assert {s.email for s in session.scalars(select(Subscriber))} == {
        "victim+1@example.net", "victim+2@example.net", "victim+3@example.net",
    }  # fmt: skip


def test_one_client_gets_five_mails_in_ten_minutes_and_another_client_is_served(
    client, session, smtp
):
    answers = [_subscribe(client, f"person{n}@example.net") for n in range(30)]
    assert [a.status_code for a in answers].count(200) == 5
    assert answers[5].status_code == 429
    assert int(answers[5].headers["Retry-After"]) <= 600
    assert _mails(smtp, "example.net") == 5
    assert _count(session) == 5
    other = _subscribe(client, "someone@example.org", address="192.0.2.77")
    assert other.status_code == 200
    assert _mails(smtp, "example.org") == 1


def test_the_mailbox_limit_holds_across_clients_and_letter_case(client, smtp):
    addresses = ["Victim@Example.com", "victim+a@example.com", "VICTIM+b@example.com"]
    for n, email in enumerate(addresses):
        assert _subscribe(client, email, address=f"198.51.100.{n}").status_code == 200
    fourth = _subscribe(client, "victim+c@EXAMPLE.com", address="203.0.113.9")
    assert fourth.status_code == 429
    assert _mails(smtp, "example.com") == 3
    other = _subscribe(client, "other@example.com", address="203.0.113.9")
    assert other.status_code == 200


def test_one_ipv6_network_counts_as_one_client(client, smtp):
    codes = [
        _subscribe(client, f"v6-{n}@example.net", address=f"2001:db8:1:2::{n + 1}")
        for n in range(6)
    ]
    assert [c.status_code for c in codes] == [200] * 5 + [429]
    elsewhere = _subscribe(client, "v6-x@example.net", address="2001:db8:1:3::1")
    assert elsewhere.status_code == 200


def test_ipv4_clients_on_a_dual_stack_socket_are_told_apart(client, smtp):
    # A server bound to [::] sees IPv4 clients as ::ffff:a.b.c.d, whose /64 is ::/64:
    # one client used up the allowance of every IPv4 visitor.
    codes = [
        _subscribe(client, f"m-{n}@example.net", address="::ffff:198.51.100.1")
        for n in range(6)
    ]
    assert [c.status_code for c in codes] == [200] * 5 + [429]
    same = _subscribe(client, "m-x@example.net", address="198.51.100.1")
    assert same.status_code == 429  # one client, whichever socket it came through
    other = _subscribe(client, "m-y@example.net", address="::ffff:203.0.113.5")
    assert other.status_code == 200


def test_topics_and_regions_must_be_among_those_offered(client, session, smtp):
    make_item(session, tags=["energy", "mobility"])
    form = client.get("/newsletter/subscribe").text
    assert 'value="energy"' in form and 'value="bayern"' in form
    cases = [
        {"topic": ["energy", "nonsense"]},
        {"topic": [f"t{n}-{'x' * 90}" for n in range(2000)]},  # ~200 KB
        {"topic": ["energy"] * 60},
        {"region": ["atlantis"]},
    ]
    for extra in cases:
        answer = _subscribe(client, "a@example.net", **extra)
        assert answer.status_code == 400
        assert "choose only among the" in answer.text
        assert len(answer.text) < 50_000
    assert _count(session) == 0 and smtp.recorder.count() == 0
    good = _subscribe(
        client, "a@example.net", topic=["mobility", "energy"], region=["bayern"]
    )
    assert good.status_code == 200
    subscriber = session.scalars(select(Subscriber)).one()
    assert subscriber.topics == ["energy", "mobility"]
    assert subscriber.regions == ["bayern"]


def test_the_form_offers_the_topics_public_items_carry_and_no_other(client, session):
    make_item(session, tags=["mobility", "energy"])
    make_item(session, tags=["energy", "secret"], status="draft", published_at=None)
    make_item(session, tags=["tomorrow"], published_at=past(-1))  # not yet due
    form = client.get("/newsletter/subscribe").text
    offered = re.findall(r'name="topic" value="([^"]+)"', form)
    assert offered == ["energy", "mobility"]


def _pending(session, email: str, sent_days_ago: float | None) -> None:
    subscriber = Subscriber(
        email=email, language="en", topics=[], regions=[], status="pending",
        source="web form", created_at=past(sent_days_ago or 0),
        confirmation_sent_at=(
            None if sent_days_ago is None else past(0) - timedelta(days=sent_days_ago)
        ),
    )  # fmt: skip
    subscriber.consents = [
        Consent(action="requested", method="web form", detail="language=en")
    ]
    session.add(subscriber)
    session.commit()


def _rows(session) -> tuple[set[str], int]:
    session.expire_all()
    emails = set(session.scalars(select(Subscriber.email)))
    return emails, _count(session, Consent)


def test_purge_command_deletes_expired_pending_subscriptions_and_consents(
    runner, session
):
    _pending(session, "expired@example.net", 8)
    _pending(session, "fresh@example.net", 6)
    _pending(session, "imported@example.net", None)
    [confirmed] = make_subscribers(session, 1)
    assert _rows(session) == (
        {"expired@example.net", "fresh@example.net", "imported@example.net", confirmed},
        3,
    )
    result = runner.invoke(args=["subscribers", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1 pending subscriptions not confirmed within 7 days" in (
        result.output
    )
    assert _rows(session) == (
        {"fresh@example.net", "imported@example.net", confirmed},
        2,
    )


def test_a_new_subscription_purges_expired_ones_without_cron(client, session, smtp):
    _pending(session, "expired@example.net", 7.1)
    _pending(session, "fresh@example.net", 1)
    assert _subscribe(client, "new@example.net").status_code == 200
    emails, consents = _rows(session)
    assert emails == {"fresh@example.net", "new@example.net"}
    assert consents == 2


def test_known_and_new_addresses_get_the_same_answer_in_about_the_same_time(
    client, session, smtp
):
    """Both paths write a row and send a mail; the figures are printed (-s)."""
    known = make_subscribers(session, 21, prefix="known")
    times: dict[str, list[float]] = {"known": [], "new": []}
    bodies: dict[str, set[tuple[int, str]]] = {"known": set(), "new": set()}
    for n in range(21):
        for kind, email in (("new", f"new{n}@example.org"), ("known", known[n])):
            environ = {"REMOTE_ADDR": f"10.{n}.{len(kind)}.1"}
            token = csrf_of(
                client.get("/newsletter/subscribe", environ_base=environ).text
            )
            data = {"csrf_token": token, "email": email, "language": "en"}
            start = time.perf_counter()
            answer = client.post(
                "/newsletter/subscribe", data=data, environ_base=environ
            )
            elapsed = time.perf_counter() - start
            if n:  # the first round warms caches up
                times[kind].append(elapsed)
            bodies[kind].add((answer.status_code, answer.text))
    assert bodies["known"] == bodies["new"]
    [(status, _text)] = bodies["new"]
    assert status == 200
    assert smtp.recorder.count() == 42
    known_ms = statistics.median(times["known"]) * 1000
    new_ms = statistics.median(times["new"]) * 1000
    print(f"\nsubscribe median over 20: known {known_ms:.1f} ms, new {new_ms:.1f} ms")
    assert 0.5 < known_ms / new_ms < 2.0


def _redis_settings(settings):
    return replace(settings, ratelimit_storage_url=reachable_redis(REDIS_URL))


def test_two_app_instances_share_the_limits_through_redis(settings, smtp):
    shared = _redis_settings(settings)
    first, second = create_app(shared), create_app(shared)
    try:
        init_db(first.extensions["comms"].engine)
        # Fresh clients and mailbox for each run: Redis keeps counts between runs.
        run = uuid.uuid4().hex
        domain = f"{run[:10]}.example.net"
        net = f"fd{run[:2]}:{run[2:6]}:{run[6:10]}"
        one, two = first.test_client(), second.test_client()
        for n in range(3):
            answer = _subscribe(one, f"victim+{n}@{domain}", f"{net}:{n}::1")
            assert answer.status_code == 200
        refused = _subscribe(two, f"victim+x@{domain}", f"{net}:99::1")
        assert refused.status_code == 429
        codes = [
            _subscribe(app_client, f"p{n}@{domain}", f"{net}:aaaa::1").status_code
            for n, app_client in enumerate([one, two, one, two, one, two])
        ]
        assert codes == [200] * 5 + [429]
        assert _mails(smtp, domain) == 8
    finally:
        for app in (first, second):
            app.extensions["comms"].engine.dispose()


def test_unreachable_limit_storage_closes_the_form_and_sends_nothing(settings, smtp):
    app = create_app(replace(settings, ratelimit_storage_url="redis://127.0.0.1:1/0"))
    try:
        init_db(app.extensions["comms"].engine)
        answer = _subscribe(app.test_client(), "a@example.net")
        assert answer.status_code == 503
        assert "cannot check how often" in answer.text
        assert answer.headers["Retry-After"] == "60"
        assert smtp.recorder.count() == 0
        with app.extensions["comms"].sessionmaker() as session:
            assert _count(session) == 0
    finally:
        app.extensions["comms"].engine.dispose()


def test_an_unknown_limit_storage_is_refused_at_start(settings):
    with pytest.raises(ConfigMissing, match="COMMS_RATELIMIT_STORAGE_URL"):
        create_app(replace(settings, ratelimit_storage_url="memcache:/nowhere"))
