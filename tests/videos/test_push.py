"""YouTube push: subscription at a fake WebSub hub, verification, notifications.

The app serves on a real threaded server on 127.0.0.1 so that the fake hub can
verify our intent and deliver notifications over HTTP, as YouTube's hub does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from comms.catalogue.models import Item
from comms.config import Settings
from comms.errors import ConfigMissing
from comms.videos import push, websub
from comms.videos.models import PushSubscription, SyncRun
from tests.admin.helpers import log_in_as, make_user
from tests.videos.conftest import run_sync, snapshot, videos
from tests.videos.fake_hub import FakeHub, notification, sign, tombstone
from tests.videos.fake_youtube import CHANNEL_ID, FakeVideo, make_videos

OTHER_CHANNEL = "UCotherchannel0000000000"
LEASE = 1000


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """A fake WebSub hub on 127.0.0.1."""
    server = FakeHub().start()
    yield server
    server.stop()


class _Later:
    """A WSGI app set once the app exists (the server's port is in its settings)."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def papp(yt_settings: Settings, make_app: Any, hub: FakeHub) -> Iterator[Any]:
    """The app, served on a real threaded server the hub can call back."""
    later = _Later()
    server = make_server("127.0.0.1", 0, later, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = replace(
        yt_settings,
        websub_youtube_hub=hub.url,
        public_callback_url=f"http://127.0.0.1:{server.server_port}/",
        websub_lease_seconds=LEASE,
        websub_timeout=5.0,
    )
    later.app = make_app(settings)
    yield later.app
    server.shutdown()
    server.server_close()


def cli(app: Any, *args: str) -> Any:
    """Run `comms ARGS`."""
    return app.test_cli_runner().invoke(args=list(args))


def row(app: Any) -> PushSubscription:
    """The push subscription as stored."""
    with app.extensions["comms"].sessionmaker() as session:
        sub = push.current(session)
        assert sub is not None
        return sub


def change(app: Any, **values: Any) -> None:
    """Set columns of the push subscription (time passing, in effect)."""
    with app.extensions["comms"].sessionmaker() as session:
        session.execute(update(PushSubscription).values(**values))
        session.commit()


def subscribed(app: Any, hub: FakeHub) -> PushSubscription:
    """Subscribe through the CLI and wait for the hub's verification."""
    result = cli(app, "videos", "push", "subscribe")
    assert result.exit_code == 0, result.output
    hub.wait_verifications(1)
    return row(app)


def test_subscribe_then_verification_stores_the_lease(papp, hub, fake):
    before = datetime.now(UTC)
    sub = subscribed(papp, hub)

    (form,) = hub.requests
    topic = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={CHANNEL_ID}"
    assert form["hub.mode"] == "subscribe"
    assert form["hub.topic"] == topic
    base = papp.extensions["comms"].settings.callback_base
    assert form["hub.callback"] == f"{base}/websub/youtube/{sub.token}"
    assert len(sub.token) >= 43
    assert form["hub.lease_seconds"] == str(LEASE)
    assert form["hub.secret"] == sub.secret and len(sub.secret) >= 43
    (check,) = hub.verifications
    assert check.confirmed  # our callback echoed the challenge with a 2xx
    assert (sub.state, sub.pending, sub.lease_seconds) == ("active", None, LEASE)
    assert before + timedelta(seconds=LEASE - 5) < sub.expires_at
    assert sub.expires_at < datetime.now(UTC) + timedelta(seconds=LEASE + 5)

    status = cli(papp, "videos", "push", "status")
    assert "state: active; expires " in status.output
    assert f"{sub.expires_at:%Y-%m-%d %H:%M} UTC" in status.output


def test_verification_echoes_the_challenge_as_plain_text(papp, hub, fake):
    sub = subscribed(papp, hub)
    change(papp, pending="subscribe", requested_at=datetime.now(UTC))
    answer = papp.test_client().get(
        f"/websub/youtube/{sub.token}",
        query_string={
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.challenge": "abc123",
            "hub.lease_seconds": "864000",
        },
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True) == "abc123"
    assert row(papp).lease_seconds == 864000


def test_hub_verifying_another_topic_is_refused(papp, hub, fake):
    hub.verify_topic = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCx"
    result = cli(papp, "videos", "push", "subscribe")
    assert result.exit_code == 0
    hub.wait_verifications(1)
    (check,) = hub.verifications
    assert check.status == 404 and not check.confirmed
    sub = row(papp)
    assert (sub.state, sub.expires_at) == ("requested", None)
    assert not hub.subscriptions


@pytest.mark.parametrize(
    "case", ["unknown token", "malformed token", "not asked", "wrong mode", "no lease"]
)
def test_verification_nobody_asked_for_gets_404(papp, hub, fake, case):
    sub = subscribed(papp, hub)  # verified: nothing is pending any more
    token, query = (
        sub.token,
        {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.challenge": "c",
            "hub.lease_seconds": "100",
        },
    )
    if case == "unknown token":
        token = "A" * 43
    elif case == "malformed token":
        token = "x"
    if case in ("wrong mode", "no lease"):
        change(papp, pending="subscribe", requested_at=datetime.now(UTC))
    if case == "wrong mode":
        query["hub.mode"] = "unsubscribe"
    if case == "no lease":
        del query["hub.lease_seconds"]
    answer = papp.test_client().get(f"/websub/youtube/{token}", query_string=query)
    assert answer.status_code == 404
    assert answer.get_data(as_text=True) != "c"
    assert row(papp).lease_seconds == LEASE


@pytest.mark.parametrize("status", [400, 500, 503])
def test_hub_refusing_the_request_is_reported(papp, hub, fake, status):
    hub.refuse = (status, "Invalid value for hub.topic")
    result = cli(papp, "videos", "push", "subscribe")
    assert result.exit_code == 1
    assert f"refused to subscribe (HTTP {status}: Invalid value for hub.topic)" in (
        result.stderr
    )
    sub = row(papp)
    assert (sub.state, sub.pending) == ("requested", None)
    assert f"HTTP {status}" in sub.last_error
    assert not hub.verifications


def test_hub_unreachable_is_reported(papp, hub, fake):
    hub.stop()
    result = cli(papp, "videos", "push", "subscribe")
    assert result.exit_code == 1
    assert "is unreachable" in result.stderr


def test_hub_denial_is_stored(papp, hub, fake):
    hub.deny = "too many subscriptions"
    cli(papp, "videos", "push", "subscribe")
    hub.wait_verifications(1)
    sub = row(papp)
    assert sub.state == "denied"
    assert "too many subscriptions" in sub.last_error


def _synced_channel(papp: Any, fake: Any) -> None:
    fake.videos = make_videos(3)
    assert run_sync(papp).exit_code == 0
    fake.reset_counts()


def test_signed_notification_syncs_exactly_that_video(papp, hub, fake):
    _synced_channel(papp, fake)
    sub = subscribed(papp, hub)
    new = FakeVideo(
        id="-newFilm_01", title="Workshop in Lombardia",
        published_at=datetime(2030, 1, 1, 9, 30, tzinfo=UTC),
    )  # fmt: skip
    fake.videos.insert(0, new)
    old = fake.videos[2]
    old.title = "Renamed film"  # changed too, but not notified: left alone
    with papp.extensions["comms"].sessionmaker() as session:
        runs_before = len(list(session.scalars(select(SyncRun))))
    fake.reset_counts()

    assert hub.publish(notification(new.id)) == [204]

    found = videos(papp)
    assert found[new.id].title == "Workshop in Lombardia"
    assert found[new.id].status == "published"
    assert found[old.id].title != "Renamed film"
    assert {k: v for k, v in fake.calls.items() if k != "thumbnail"} == {"videos": 1}
    (api_call,) = [r for r in fake.requests if r.startswith("/youtube/v3/")]
    assert f"id={new.id}" in api_call
    sub = row(papp)
    assert (sub.notifications, sub.last_video_id) == (1, new.id)
    assert sub.last_notification_at is not None
    with papp.extensions["comms"].sessionmaker() as session:
        runs = list(session.scalars(select(SyncRun).order_by(SyncRun.id.desc())))
    assert len(runs) == runs_before + 1
    assert (runs[0].outcome, runs[0].quota_units, runs[0].new) == ("ok", 1, 1)


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_notification_signed_with_another_sha_is_accepted(papp, hub, fake, algorithm):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    film = fake.videos[0]
    film.title = "Edited title"
    assert hub.publish(notification(film.id), algorithm=algorithm) == [204]
    assert videos(papp)[film.id].title == "Edited title"


def test_notification_keeps_local_overrides(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    film = fake.videos[0]
    with papp.extensions["comms"].sessionmaker() as session:
        session.execute(
            update(Item)
            .where(Item.youtube_id == film.id)
            .values(override_title="Our title", hidden=True)
        )
        session.commit()
    film.title = "Their title"
    hub.publish(notification(film.id))
    item = videos(papp)[film.id]
    assert (item.title, item.override_title, item.hidden) == (
        "Their title",
        "Our title",
        True,
    )


@pytest.mark.parametrize(
    "forgery", ["missing", "wrong secret", "unknown method", "tampered body", "empty"]
)
def test_bad_signature_changes_nothing(papp, hub, fake, forgery):
    _synced_channel(papp, fake)
    sub = subscribed(papp, hub)
    film = fake.videos[0]
    film.title = "Forged title"
    body = notification(film.id)
    before = snapshot(papp)
    fake.reset_counts()
    if forgery == "missing":
        statuses = hub.publish(body, unsigned=True)
    elif forgery == "wrong secret":
        statuses = hub.publish(body, signature=sign("not-the-secret", body))
    elif forgery == "unknown method":
        digest = sign(sub.secret, body).split("=", 1)[1]
        statuses = hub.publish(body, signature=f"md5={digest}")
    elif forgery == "tampered body":
        statuses = hub.publish(
            body, signature=sign(sub.secret, notification(fake.videos[1].id))
        )
    else:
        statuses = hub.publish(body, signature="sha1=")
    assert statuses == [204]  # WebSub: acknowledge, but ignore it
    assert snapshot(papp) == before
    assert fake.units == 0
    assert row(papp).notifications == 0


def test_other_channels_notification_is_ignored(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    stranger = FakeVideo(
        id="strangeVid1",
        title="Not ours",
        published_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    fake.videos.insert(0, stranger)
    before = snapshot(papp)
    fake.reset_counts()
    assert hub.publish(notification(stranger.id, OTHER_CHANNEL)) == [204]
    assert snapshot(papp) == before
    assert fake.units == 0
    assert stranger.id not in videos(papp)


def test_deleted_entry_marks_the_video_deleted_and_keeps_it(papp, hub, fake, client):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    film = fake.videos[1]
    item_id = videos(papp)[film.id].id
    film.privacy = "deleted"
    fake.reset_counts()

    assert hub.publish(tombstone(film.id)) == [204]

    item = videos(papp)[film.id]
    assert item.id == item_id
    assert item.availability == "deleted"
    assert fake.calls["videos"] == 1


def test_tombstone_of_another_channel_is_ignored(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    film = fake.videos[1]
    film.privacy = "deleted"
    fake.reset_counts()
    hub.publish(tombstone(film.id, OTHER_CHANNEL))
    assert videos(papp)[film.id].availability == "available"
    assert fake.units == 0


def test_unknown_callback_token_gets_410_and_large_bodies_413(papp, hub, fake):
    sub = subscribed(papp, hub)
    client = papp.test_client()
    body = notification("abcdefghijk")
    answer = client.post(
        "/websub/youtube/" + "B" * 43,
        data=body,
        headers={"X-Hub-Signature": sign(sub.secret, body)},
    )
    assert answer.status_code == 410
    big = b"<feed>" + b" " * websub.MAX_BODY + b"</feed>"
    answer = client.post(
        f"/websub/youtube/{sub.token}",
        data=big,
        headers={"X-Hub-Signature": sign(sub.secret, big)},
    )
    assert answer.status_code == 413
    assert row(papp).notifications == 0


def test_signed_body_that_is_not_atom_gets_400(papp, hub, fake):
    sub = subscribed(papp, hub)
    client = papp.test_client()
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom">&x;</feed>'
    )
    statuses = []
    for body in (b"not xml", b"<rss/>", entity):
        answer = client.post(
            f"/websub/youtube/{sub.token}",
            data=body,
            headers={"X-Hub-Signature": sign(sub.secret, body)},
        )
        statuses.append(answer.status_code)
        assert "root:" not in answer.get_data(as_text=True)
    # The external entity is neither fetched nor expanded: an empty feed.
    assert statuses == [400, 400, 204]
    assert websub.parse_notification(entity) == []


def test_pushed_video_that_cannot_be_synced_makes_the_next_sync_poll(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    new = FakeVideo(
        id="-newFilm_02", title="New", published_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    fake.videos.insert(0, new)
    fake.fail("server", on="videos")
    assert hub.publish(notification(new.id)) == [204]
    assert new.id not in videos(papp)
    assert row(papp).poll_due is True

    fake.failures.clear()
    result = run_sync(papp)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 videos: 1 new")
    assert new.id in videos(papp)
    assert row(papp).poll_due is False


def test_renewal_when_due_and_not_before(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    now = datetime.now(UTC)

    result = cli(papp, "videos", "push", "renew")
    assert "not due" in result.output
    assert run_sync(papp).exit_code == 0
    assert len(hub.requests) == 1

    # 21% of the lease left: still not due
    change(papp, expires_at=now + timedelta(seconds=LEASE * 0.21))
    assert run_sync(papp).exit_code == 0
    assert len(hub.requests) == 1

    # under 20% left: the scheduled sync renews (one timer does both)
    change(papp, expires_at=now + timedelta(seconds=LEASE * 0.19))
    result = run_sync(papp)
    assert result.exit_code == 0, result.output
    hub.wait_verifications(2)
    assert len(hub.requests) == 2
    assert hub.requests[1]["hub.mode"] == "subscribe"
    sub = row(papp)
    assert sub.state == "active"
    assert sub.expires_at > now + timedelta(seconds=LEASE * 0.9)

    # asked but not verified yet: not asked again within the hour
    change(papp, pending="subscribe", requested_at=now, expires_at=now)
    assert run_sync(papp).exit_code == 0
    assert len(hub.requests) == 2


def test_failed_renewal_does_not_stop_the_poll(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    change(papp, expires_at=datetime.now(UTC) + timedelta(seconds=10))
    hub.refuse = (503, "try later")
    result = run_sync(papp)
    assert result.exit_code == 0
    assert "push lease not renewed" in result.stderr
    assert "HTTP 503" in row(papp).last_error


def test_scheduled_sync_skips_the_poll_while_push_is_recent(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    fake.reset_counts()
    result = run_sync(papp)
    assert result.stdout == "push is active and recent: no poll needed\n"
    assert fake.units == 0
    full = run_sync(papp, "--full")
    assert full.stdout.startswith("3 videos")


@pytest.mark.parametrize("why", ["silent", "lease expired", "unsubscribed"])
def test_scheduled_sync_polls_when_push_is_silent_or_lapsed(papp, hub, fake, why):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    now = datetime.now(UTC)
    if why == "silent":
        long_ago = now - timedelta(hours=25)
        change(papp, last_notification_at=long_ago)
        with papp.extensions["comms"].sessionmaker() as session:
            session.execute(update(SyncRun).values(started_at=long_ago))
            session.commit()
    elif why == "lease expired":
        change(papp, expires_at=now - timedelta(seconds=1), pending="subscribe",
               requested_at=now)  # fmt: skip
    else:
        change(papp, state="unsubscribed", expires_at=None)
    result = run_sync(papp)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 videos: 0 new, 3 updated")
    assert fake.units > 0
    plan = cli(papp, "videos", "push", "status").output.splitlines()[-1]
    assert plan.startswith("scheduled sync: ")


def test_notification_for_a_replaced_subscription_gets_410(papp, hub, fake):
    _synced_channel(papp, fake)
    old = subscribed(papp, hub)
    other = "UCanotherchannel00000000"
    result = cli(papp, "videos", "push", "subscribe", "--channel-id", other)
    assert result.exit_code == 0, result.output
    hub.wait_verifications(2)
    assert row(papp).channel_id == other
    fake.reset_counts()
    statuses = hub.publish(notification(fake.videos[0].id), topic=old.topic)
    assert statuses == [410]
    assert fake.units == 0


def test_unsubscribe_is_verified_then_the_sync_polls(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    result = cli(papp, "videos", "push", "unsubscribe")
    assert result.exit_code == 0, result.output
    hub.wait_verifications(2)
    assert hub.requests[1]["hub.mode"] == "unsubscribe"
    assert row(papp).state == "unsubscribed"
    assert not hub.subscriptions
    fake.reset_counts()
    assert run_sync(papp).stdout.startswith("3 videos: 0 new, 3 updated")
    assert fake.units > 0


def test_admin_dashboard_shows_the_lease_and_last_notification(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    hub.publish(notification(fake.videos[0].id))
    sub = row(papp)
    with papp.extensions["comms"].sessionmaker() as session:
        officer = make_user(session, "editor@example.org", "editor")
    client = papp.test_client()
    log_in_as(client, officer)
    page = client.get("/admin/").get_data(as_text=True)
    assert "YouTube push" in page
    assert f'datetime="{sub.expires_at.isoformat()}"' in page
    assert f'datetime="{sub.last_notification_at.isoformat()}"' in page
    assert "active" in page
    assert sub.secret not in page and sub.token not in page


def test_admin_dashboard_says_when_push_is_not_set_up(app, session):
    officer = make_user(session, "editor@example.org", "editor")
    client = app.test_client()
    log_in_as(client, officer)
    assert "Push is not set up" in client.get("/admin/").get_data(as_text=True)


def test_signature_check_accepts_the_four_sha_methods_only():
    body = b"<feed/>"
    for method in ("sha1", "sha256", "sha384", "sha512"):
        assert websub.signature_ok("s", body, sign("s", body, method))
        assert (
            websub.signature_ok("s", body, sign("s", body, method).upper()) is (False)
            or method
        )
    assert not websub.signature_ok("s", body, None)
    assert not websub.signature_ok("s", body, "sha1")
    assert not websub.signature_ok("s", body, sign("s", body, "md5"))


def test_settings_read_the_push_variables():
    settings = Settings.from_env(
        {
            "COMMS_WEBSUB_YOUTUBE_HUB": "https://hub.example.org/subscribe/",
            "COMMS_PUBLIC_CALLBACK_URL": "https://cb.example.org/",
            "COMMS_WEBSUB_LEASE_SECONDS": "86400",
            "COMMS_WEBSUB_SILENCE_HOURS": "6",
        }
    )
    assert settings.websub_youtube_hub == "https://hub.example.org/subscribe"
    assert settings.callback_base == "https://cb.example.org"
    assert (settings.websub_lease_seconds, settings.websub_silence_hours) == (86400, 6)
    default = Settings.from_env({"COMMS_SITE_URL": "https://news.example.org"})
    assert default.websub_youtube_hub == "https://pubsubhubbub.appspot.com/subscribe"
    assert default.callback_base == "https://news.example.org"
    with pytest.raises(ConfigMissing, match="COMMS_WEBSUB_YOUTUBE_HUB"):
        Settings.from_env({"COMMS_WEBSUB_YOUTUBE_HUB": "ftp://hub"})


def test_secret_never_sent_to_a_plain_http_hub():
    with pytest.raises(websub.HubError, match="not https"):
        websub.request(
            "http://hub.example.org/subscribe", mode="subscribe", topic="t",
            callback="c", secret="s", lease_seconds=1, timeout=1,
        )  # fmt: skip


def _run_sync_job(app: Any) -> Any:
    """Queue the worker's periodic video sync and wait for its job row to finish."""
    from comms.jobs import queue
    from comms.jobs.models import Job
    from comms.jobs.service import NewJob

    with app.extensions["comms"].sessionmaker() as session:
        job = queue.submit(app, session, NewJob("video-sync", {}, "Video sync"))
        session.commit()
        assert job is not None
        job_id = job.id
    assert queue.wait_idle(app, 30)
    with app.extensions["comms"].sessionmaker() as session:
        done = session.get(Job, job_id)
        assert done is not None
        session.expunge(done)
        return done


def test_the_workers_sync_job_skips_the_poll_while_push_is_recent(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    fake.reset_counts()
    job = _run_sync_job(papp)
    assert job.state == "done", job.error
    assert fake.units == 0
    change(papp, state="unsubscribed", expires_at=None)  # push lapsed: poll again
    job = _run_sync_job(papp)
    assert job.state == "done", job.error
    assert fake.units > 0


def test_the_workers_sync_job_renews_the_lease_when_due(papp, hub, fake):
    _synced_channel(papp, fake)
    subscribed(papp, hub)
    now = datetime.now(UTC)
    change(papp, expires_at=now + timedelta(seconds=LEASE * 0.19))
    job = _run_sync_job(papp)
    assert job.state == "done", job.error
    assert "push lease renewal asked of the hub" in job.summary
    hub.wait_verifications(2)
    assert len(hub.requests) == 2
    assert row(papp).expires_at > now + timedelta(seconds=LEASE * 0.9)
