"""The admin's newsletter composer and its send buttons, against a real SMTP server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from comms import create_app
from comms.admin.models import AuditEntry
from comms.catalogue.models import Newsletter
from comms.config import Settings
from comms.jobs.queue import wait_idle
from comms.newsletter import compose, dispatch
from comms.newsletter.models import Delivery
from tests.admin.helpers import log_in_as, post
from tests.factories import future, make_item, past
from tests.newsletter.conftest import MAIL_FROM
from tests.newsletter.helpers import make_issue, make_subscribers
from tests.newsletter.smtp import SmtpServer

WAIT = 60.0  # seconds a background send may take at most in these tests


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """Mail goes to the test server, unthrottled."""
    return replace(
        settings,
        smtp_url=smtp.url,
        mail_from=MAIL_FROM,
        mail_rate=1000.0,
        site_url="https://news.example.org",
    )


@pytest.fixture(autouse=True)
def _no_job_outlives_the_test(app) -> Iterator[None]:
    yield
    assert wait_idle(app, WAIT), "a background job did not finish"


def _catalogue(session):
    """A sent issue three days ago, and items on either side of it."""
    make_issue(session, slug="issue-0", title="Issue 0", published_at=past(3))
    return {
        "old": make_item(session, title="Old news", published_at=past(5)),
        "new": make_item(session, title="Fresh results", published_at=past(1)),
        "report": make_item(
            session, kind="report", title="StressTest Lombardia", published_at=past(2)
        ),
        "draft": make_item(session, title="Unfinished draft", status="draft"),
        "scheduled": make_item(session, title="Autumn plan", published_at=future(2)),
        "archived": make_item(
            session, title="Withdrawn note", status="archived", published_at=past(1)
        ),
    }


def _rows(html: str) -> dict[str, int]:
    """The item rows of the editor: ``kind:slug`` -> row number."""
    return {
        ref: int(n) for n, ref in re.findall(r'name="row-(\d+)" value="([^"]+)"', html)
    }


def _form(values: dict[str, str], rows: dict[str, int], picks: dict[str, int]):
    data = {f"row-{n}": ref for ref, n in rows.items()}
    data.update({f"pick-{rows[ref]}": "1" for ref in picks})
    data.update({f"order-{rows[ref]}": str(order) for ref, order in picks.items()})
    return {**values, **data}


def _new_issue(editor_client, picks: dict[str, int], **values: str):
    page = editor_client.get("/admin/newsletters/new").get_data(as_text=True)
    fields = {"slug": "issue-1", "title": "Issue 1", "language": "en",
              "number": "1", "intro": "Hello *readers*.", "action": "save"}  # fmt: skip
    fields.update(values)
    return post(editor_client, "/admin/newsletters/new",
                _form(fields, _rows(page), picks))  # fmt: skip


def _issue(session, slug: str = "issue-1", language: str = "en") -> Newsletter:
    session.expire_all()
    return session.scalars(
        select(Newsletter).where(
            Newsletter.slug == slug, Newsletter.language == language
        )
    ).one()


def test_proposals_are_public_items_published_since_the_last_sent_issue(session):
    items = _catalogue(session)
    proposed = compose.proposals(
        session, language="en", default_language="en", now=past(0)
    )
    assert [i.title for i in proposed] == ["Fresh results", "StressTest Lombardia"]
    assert items["old"] not in proposed


def test_proposals_offer_one_language_version_of_each_item(session):
    make_item(session, slug="results", translation="results", title="Results")
    make_item(session, slug="ergebnisse", translation="results", language="de",
              title="Ergebnisse")  # fmt: skip
    make_item(session, slug="only-english", title="Only English")

    def titles(language: str) -> list[str]:
        found = compose.proposals(
            session, language=language, default_language="en", now=past(0)
        )
        return [i.title for i in found]

    assert titles("de") == ["Ergebnisse", "Only English"]
    assert titles("en") == ["Results", "Only English"]
    assert titles("fr") == ["Results", "Only English"]


def test_new_issue_form_lists_the_proposals_only(editor_client, session):
    items = _catalogue(session)
    response = editor_client.get("/admin/newsletters/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert set(_rows(html)) == {
        f"press_release:{items['new'].slug}",
        f"report:{items['report'].slug}",
    }
    for absent in ("Old news", "Unfinished draft", "Autumn plan", "Withdrawn note"):
        assert absent not in html
    assert 'name="number" type="number" value="2"' in html  # after issue-0's 1


def test_saving_stores_the_picked_items_in_the_given_order(
    editor_client, session, editor
):
    items = _catalogue(session)
    new, report = (f"press_release:{items['new'].slug}",
                   f"report:{items['report'].slug}")  # fmt: skip
    response = _new_issue(editor_client, {report: 1, new: 2})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    letter = _issue(session)
    assert (letter.status, letter.number, letter.title) == ("draft", 1, "Issue 1")
    assert "<em>readers</em>" in letter.intro_html
    assert [f"{e.kind}:{e.slug}" for e in letter.entries] == [report, new]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "newsletter")
    ).one()
    assert (entry.action, entry.user_email) == ("create", editor.email)

    only_one = _new_issue(editor_client, {new: 1}, slug="issue-2", number="2")
    assert only_one.status_code == 303
    assert [e.slug for e in _issue(session, "issue-2").entries] == [items["new"].slug]


def test_invalid_issue_is_refused_with_422_keeping_what_was_typed(editor_client):
    response = _new_issue(
        editor_client, {}, slug="Not a slug!", title="", intro="Kept *intro* text"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "title: required" in html
    assert "slug: lowercase letters, digits and hyphens only" in html
    assert "Kept *intro* text" in html and 'value="Not a slug!"' in html


def test_preview_renders_the_intro_without_saving(editor_client, session):
    response = _new_issue(editor_client, {}, action="preview")
    assert response.status_code == 200
    assert "Hello <em>readers</em>." in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Newsletter)) == 0


def test_a_stale_save_gets_a_conflict_not_an_overwrite(editor_client, session):
    _new_issue(editor_client, {})
    letter = _issue(session)
    url = f"/admin/newsletters/{letter.id}/"
    html = editor_client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    fields = {"slug": "issue-1", "language": "en", "version": version,
              "action": "save"}  # fmt: skip
    first = post(editor_client, url, {**fields, "title": "First save"})
    second = post(editor_client, url, {**fields, "title": "Second save"})
    assert first.status_code == 303
    assert second.status_code == 409
    assert "Someone else saved this issue" in second.get_data(as_text=True)
    assert _issue(session).title == "First save"


def test_a_sent_issue_is_read_only(editor_client, session):
    letter = make_issue(session)
    url = f"/admin/newsletters/{letter.id}/"
    page = editor_client.get(url).get_data(as_text=True)
    assert "can no longer be changed" in page
    assert 'name="version"' not in page
    response = post(editor_client, url, {"slug": "issue-1", "title": "Changed",
                    "language": "en", "version": "x", "action": "save"})  # fmt: skip
    assert response.status_code == 409
    assert _issue(session).title == "Issue 1: first results"


def test_send_test_to_me_arrives_and_records_no_delivery(
    editor_client, session, smtp, editor
):
    _new_issue(editor_client, {})
    letter = _issue(session)
    make_subscribers(session, 2)
    response = post(editor_client, f"/admin/newsletters/{letter.id}/test")
    assert response.status_code == 303
    assert "Proof (en) sent to editor@example.org" in editor_client.get(
        response.location
    ).get_data(as_text=True)
    [proof] = smtp.recorder.messages
    assert proof.rcpt_tos == [editor.email]
    assert proof.message["Subject"] == "[Proof] Issue 1"
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert _issue(session).status == "draft"


def _wait_for_deliveries(session, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        session.expire_all()
        done = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        )
        if done >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} deliveries after {WAIT} s")


def test_send_button_reaches_every_confirmed_subscriber_in_the_background(
    app, editor_client, session, smtp
):
    items = _catalogue(session)
    _new_issue(editor_client, {f"press_release:{items['new'].slug}": 1})
    letter = _issue(session)
    emails = make_subscribers(session, 5)
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert "Send to 5 confirmed subscribers" in page
    assert app.test_client().get("/newsletter/issue-1/").status_code == 404

    response = post(
        editor_client, f"/admin/newsletters/{letter.id}/send", {"confirm": "1"}
    )
    assert response.status_code == 303
    assert wait_idle(app, WAIT)
    _wait_for_deliveries(session, 5)
    assert sorted(m.rcpt_tos[0] for m in smtp.recorder.messages) == sorted(emails)
    assert smtp.recorder.to(emails[0])[0].message["Subject"] == "Issue 1"
    assert _issue(session).status == "published"
    public = app.test_client().get("/newsletter/issue-1/")
    assert public.status_code == 200
    assert "Fresh results" in public.get_data(as_text=True)
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert re.search(r"<dt>Sent</dt>\s*<dd>5</dd>", page)
    assert re.search(r"<dt>Bounced</dt>\s*<dd>0</dd>", page)
    assert re.search(r"<dt>Failed</dt>\s*<dd>0</dd>", page)
    assert "issue-1: 5 sent" in page
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"create", "publish", "send"} <= actions


def test_send_needs_the_confirmation_box(editor_client, session, smtp):
    _new_issue(editor_client, {})
    letter = _issue(session)
    make_subscribers(session, 1)
    response = post(editor_client, f"/admin/newsletters/{letter.id}/send")
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)
    assert _issue(session).status == "draft"
    assert smtp.recorder.count() == 0


def test_a_second_send_while_one_runs_is_refused(app, editor_client, session, smtp):
    _new_issue(editor_client, {})
    letter = _issue(session)
    emails = make_subscribers(session, 4)
    smtp.recorder.delay = 0.3  # the first run takes over a second
    url = f"/admin/newsletters/{letter.id}/send"
    assert post(editor_client, url, {"confirm": "1"}).status_code == 303
    second = post(editor_client, url, {"confirm": "1"})
    assert second.status_code == 409
    assert "is being sent right now" in second.get_data(as_text=True)
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert "Sending now." in page
    assert wait_idle(app, WAIT)
    assert [len(smtp.recorder.to(e)) for e in emails] == [1, 1, 1, 1]


def test_a_send_from_the_command_line_blocks_the_button(
    app, editor_client, session, smtp
):
    _new_issue(editor_client, {})
    letter = _issue(session)
    make_subscribers(session, 1)
    state = app.extensions["comms"]
    lock = dispatch.lock_issue(state.engine, "issue-1", state.settings.instance_path)
    try:
        response = post(
            editor_client, f"/admin/newsletters/{letter.id}/send", {"confirm": "1"}
        )
    finally:
        lock.release()
    assert response.status_code == 409
    assert _issue(session).status == "draft"
    assert smtp.recorder.count() == 0


def test_without_a_mail_server_nothing_is_sent_or_changed(settings, session, editor):
    bare = create_app(replace(settings, smtp_url=None))
    try:
        client = bare.test_client()
        log_in_as(client, editor)
        letter = make_issue(session, status="draft", published_at=None)
        make_subscribers(session, 1)
        for path, data in (("send", {"confirm": "1"}), ("test", {})):
            response = post(client, f"/admin/newsletters/{letter.id}/{path}", data)
            assert response.status_code == 422
            assert "no mail server configured" in response.get_data(as_text=True)
        assert _issue(session).status == "draft"
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    finally:
        bare.extensions["comms"].engine.dispose()


def test_send_without_csrf_token_is_refused(editor_client, session, smtp):
    letter = make_issue(session, status="draft", published_at=None)
    make_subscribers(session, 1)
    response = editor_client.post(
        f"/admin/newsletters/{letter.id}/send", data={"confirm": "1"}
    )
    assert response.status_code == 400
    assert _issue(session).status == "draft"
    assert smtp.recorder.count() == 0


def test_language_version_is_a_draft_copy_in_the_same_issue(editor_client, session):
    _new_issue(editor_client, {})
    letter = _issue(session)
    response = post(
        editor_client, f"/admin/newsletters/{letter.id}/translations",
        {"language": "de"},
    )  # fmt: skip
    assert response.status_code == 303
    german = _issue(session, language="de")
    assert (german.translation, german.status) == ("issue-1", "draft")
    listing = editor_client.get("/admin/newsletters/").get_data(as_text=True)
    assert 'hreflang="de">de</a>' in listing and "Issue 1" in listing


def test_the_command_line_refuses_a_send_the_admin_is_running(
    app, runner, session, smtp
):
    make_issue(session)
    make_subscribers(session, 1)
    state = app.extensions["comms"]
    lock = dispatch.lock_issue(state.engine, "issue-1", state.settings.instance_path)
    try:
        refused = runner.invoke(args=["newsletter", "send", "issue-1"])
    finally:
        lock.release()
    assert refused.exit_code == 1
    assert "is being sent right now" in refused.output
    assert smtp.recorder.count() == 0
    again = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert again.exit_code == 0, again.output
    assert smtp.recorder.count() == 1


def _send_and_wait(app, editor_client, letter, count: int, session) -> None:
    response = post(
        editor_client, f"/admin/newsletters/{letter.id}/send", {"confirm": "1"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert wait_idle(app, WAIT)
    _wait_for_deliveries(session, count)


def test_a_sent_issue_shows_its_report_and_refuses_a_second_send(
    app, editor_client, session, smtp
):
    items = _catalogue(session)
    _new_issue(editor_client, {f"press_release:{items['new'].slug}": 1})
    letter = _issue(session)
    make_subscribers(session, 2)
    _send_and_wait(app, editor_client, letter, 2, session)
    url = f"/admin/newsletters/{letter.id}/"

    page = editor_client.get(url).get_data(as_text=True)
    assert "Send to 2 confirmed subscribers" not in page
    assert f'action="/admin/newsletters/{letter.id}/send"' not in page
    assert "Delivery report" in page
    assert re.search(r"<dt>Sent</dt>\s*<dd>2</dd>", page)

    again = post(editor_client, f"{url}send", {"confirm": "1"})
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "Sending started" not in html
    assert "has already been sent" in html
    assert smtp.recorder.count() == 2
    assert wait_idle(app, WAIT)
    assert smtp.recorder.count() == 2


def test_the_report_names_bounced_and_failed_recipients_with_their_error(
    app, editor_client, session, smtp
):
    _new_issue(editor_client, {})
    letter = _issue(session)
    emails = make_subscribers(session, 3)
    smtp.recorder.rcpt_answers[emails[1]] = "550 5.1.1 No such mailbox"
    _send_and_wait(app, editor_client, letter, 2, session)
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert re.search(r"<dt>Sent</dt>\s*<dd>2</dd>", page)
    assert re.search(r"<dt>Bounced</dt>\s*<dd>1</dd>", page)
    row = re.search(r"<tr class=\"status-bounced\">(.*?)</tr>", page, re.S).group(1)
    assert emails[1] in row and "550 5.1.1 No such mailbox" in row
    assert "Send to 3 confirmed subscribers" not in page
    listing = editor_client.get("/admin/newsletters/").get_data(as_text=True)
    assert "1 bounced · 2 sent" in listing


def test_while_an_issue_is_being_sent_the_page_shows_progress_not_a_button(
    app, editor_client, session, smtp
):
    _new_issue(editor_client, {})
    letter = _issue(session)
    make_subscribers(session, 4)
    smtp.recorder.delay = 0.3
    url = f"/admin/newsletters/{letter.id}/"
    assert post(editor_client, f"{url}send", {"confirm": "1"}).status_code == 303
    page = editor_client.get(url).get_data(as_text=True)
    assert "Sending now." in page
    assert "Send to 4 confirmed subscribers" not in page
    assert wait_idle(app, WAIT)


def test_the_preview_is_the_mail_a_subscriber_gets_in_the_chosen_language(
    editor_client, session
):
    items = _catalogue(session)
    _new_issue(editor_client, {f"press_release:{items['new'].slug}": 1})
    letter = _issue(session)
    post(editor_client, f"/admin/newsletters/{letter.id}/translations",
         {"language": "de"})  # fmt: skip
    german = _issue(session, language="de")
    german.title, german.intro_html = "Ausgabe 1", "<p>Hallo Leserinnen.</p>"
    session.commit()

    page = editor_client.get(f"/admin/newsletters/{letter.id}/preview?version=de")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<option value="de" selected>' in html
    assert "<dd>Ausgabe 1</dd>" in html  # the Subject header
    assert "Fresh results" in html  # the text part
    assert "/newsletter/preferences/" in html
    part = editor_client.get(
        f"/admin/newsletters/{letter.id}/preview/mail.html?version=de"
    )
    assert part.status_code == 200
    assert part.headers["Content-Security-Policy"].startswith("sandbox")
    body = part.get_data(as_text=True)
    assert '<html lang="de">' in body and "Hallo Leserinnen." in body
    assert "Fresh results" in body
    english = editor_client.get(f"/admin/newsletters/{letter.id}/preview/mail.html")
    assert "Hello <em>readers</em>." in english.get_data(as_text=True)
    missing = editor_client.get(f"/admin/newsletters/{letter.id}/preview?version=sl")
    assert missing.status_code == 404
    assert "no Slovenian version" in missing.get_data(as_text=True)


def test_before_sending_a_warning_names_languages_without_a_version(
    editor_client, session
):
    _new_issue(editor_client, {})
    letter = _issue(session)
    make_subscribers(session, 2)
    make_subscribers(session, 12, language="sl", prefix="bralec")
    make_subscribers(session, 1, language="it", prefix="lettore")
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert (
        "12 subscribers read Slovenian; this issue has no Slovenian version: "
        "they will get the English version." in page
    )
    assert "1 subscriber reads Italian" in page
    post(editor_client, f"/admin/newsletters/{letter.id}/translations",
         {"language": "sl"})  # fmt: skip
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert "read Slovenian" not in page and "1 subscriber reads Italian" in page
