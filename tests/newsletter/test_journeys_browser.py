"""In Debian's Chromium, on both databases, against a real SMTP server: an officer
composes, proofs and sends an issue and reads its delivery report; a subscriber
changes their preferences from the link in a mail, and the next issue follows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from comms.catalogue.models import Newsletter
from comms.jobs.queue import wait_idle
from comms.newsletter.models import Subscriber
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import artifact, axe_source, chromium, serve
from tests.factories import make_item, past
from tests.newsletter.helpers import SITE, link_in, make_issue

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VIEWPORTS = {375: 667, 1280: 800}
WAIT = 60.0


@pytest.fixture
def live(app) -> Iterator[str]:
    """The app (on this test's database, mail to the test SMTP server), served."""
    with serve(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    """One Chromium, axe-core checked first."""
    with chromium(axe=True) as browser:
        yield browser


def _subscriber(session, email, *, language="en", topics=(), regions=()):
    session.add(
        Subscriber(
            email=email, language=language, topics=list(topics),
            regions=list(regions), status="confirmed",
            confirmed_at=datetime.now(UTC), source="test",
        )
    )  # fmt: skip
    session.commit()


def _blocking(page: Any) -> list[str]:
    """axe's serious and critical violations on the page, described."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations'], iframes: false})",
        AXE_TAGS,
    )
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def _check_widths(page: Any, name: str) -> None:
    """0 serious or critical axe findings at 375 and 1280 px; a screenshot each."""
    for width, height in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        found = _blocking(page)
        assert not found, f"axe on {page.url} at {width} px: {found}"
        page.screenshot(
            path=str(artifact("newsletter", f"{name}-{width}.png")), full_page=True
        )


def _text_part(received: Any) -> str:
    return str(
        next(
            p.get_content()
            for p in received.message.iter_parts()
            if p.get_content_type() == "text/plain"
        )
    )


def test_officer_composes_proofs_sends_and_reads_the_delivery_report(
    app, live, browser, session, smtp
):
    make_item(session, slug="lombardia", title="StressTest Lombardia",
              regions=["lombardia"], published_at=past(1))  # fmt: skip
    make_item(session, slug="bayern", title="Workshop in Bayern",
              regions=["bayern"], published_at=past(1))  # fmt: skip
    officer = make_user(session, "officer@example.org", "editor")
    _subscriber(session, "all@example.net")
    _subscriber(session, "lomb@example.net", regions=["lombardia"])
    _subscriber(session, "gone@example.net")
    _subscriber(session, "slovenija@example.net", regions=["slovenija"])
    _subscriber(session, "bralec@example.net", language="sl")
    smtp.recorder.rcpt_answers["gone@example.net"] = "550 5.1.1 No such mailbox"

    page = browser.new_page()
    page.goto(f"{live}/admin/newsletters/")
    page.fill("#email", officer.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto(f"{live}/admin/newsletters/")
    page.click("text=New issue")
    page.fill("#f-title", "Issue 1: first results")
    page.fill("#f-slug", "issue-1")
    page.fill("#f-intro", "Welcome to *the first* issue.")
    page.click("button:has-text('Save draft')")
    assert "Draft issue saved." in page.content()
    assert (
        "1 subscriber reads Slovenian; this issue has no Slovenian version: "
        "this subscriber will get the English version." in page.inner_text("main")
    )
    page.select_option("#f-translation", "de")
    page.click("button:has-text('Create draft translation')")
    page.fill("#f-title", "Ausgabe 1: erste Ergebnisse")
    page.click("button:has-text('Save')")
    issue_url = page.url

    # proof: the real e-mail in a chosen language, then a test mail to me
    page.click("text=Preview the e-mail")
    page.select_option("#f-version", "en")
    page.click("button:has-text('Show')")
    assert "English version" in page.locator("h1").inner_text()
    frame = page.frame_locator("iframe")
    assert frame.locator("h1").inner_text() == "Issue 1: first results"
    assert frame.locator("text=StressTest Lombardia").count() == 1
    assert "Workshop in Bayern" in page.locator("pre.text-part").inner_text()
    page.select_option("#f-version", "de")
    page.click("button:has-text('Show')")
    assert frame.locator("h1").inner_text() == "Ausgabe 1: erste Ergebnisse"
    assert not _blocking(page)
    page.screenshot(path=str(artifact("newsletter", "admin-preview.png")))
    page.click("button:has-text('Send this version as a test to me')")
    assert "Proof (de) sent to officer@example.org" in page.content()
    [proof] = smtp.recorder.to(officer.email)
    assert proof.message["Subject"] == "[Proof] Ausgabe 1: erste Ergebnisse"

    # send, then the delivery report in place of the button
    page.goto(issue_url)
    page.check("#f-confirm")
    page.click("button:has-text('Send to 5 confirmed subscribers')")
    assert wait_idle(app, WAIT)
    page.goto(issue_url)
    report = page.locator(".delivery-report")
    counts = dict(
        zip(
            report.locator("dt").all_inner_texts(),
            report.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert counts == {
        "Sent": "3",
        "Bounced": "1",
        "Failed": "0",
        "Skipped: nothing matching": "1",
    }
    bounced = report.locator("tr.status-bounced")
    assert "gone@example.net" in bounced.inner_text()
    assert "550 5.1.1 No such mailbox" in bounced.inner_text()
    assert page.locator("button", has_text="Send to").count() == 0
    assert page.locator("#f-confirm").count() == 0
    assert not _blocking(page)
    page.screenshot(
        path=str(artifact("newsletter", "admin-delivery-report.png")), full_page=True
    )
    lomb = _text_part(smtp.recorder.to("lomb@example.net")[0])
    assert "StressTest Lombardia" in lomb and "Workshop in Bayern" not in lomb
    assert smtp.recorder.to("slovenija@example.net") == []


def test_subscriber_changes_preferences_from_the_mail_and_the_next_issue_follows(
    app, live, browser, runner, session, smtp
):
    make_item(session, slug="clusters-note", title="Clusters at work",
              tags=["clusters"], published_at=past(3))  # fmt: skip
    make_item(session, slug="general", title="Project news", published_at=past(3))
    make_issue(session, items=[("press_release", "clusters-note"),
                               ("press_release", "general")])  # fmt: skip
    _subscriber(session, "anna@example.net")
    sent = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert "1 sent" in sent.output, sent.output
    url = link_in(_text_part(smtp.recorder.to("anna@example.net")[0]),
                  "/newsletter/preferences/")  # fmt: skip

    page = browser.new_page()
    page.goto(live + url.removeprefix(SITE))
    assert page.locator("h1").inner_text() == "Your newsletter preferences"
    _check_widths(page, "preferences")
    page.select_option("#language", "it")
    page.check("input[name=topic][value=clusters]")
    page.check("input[name=region][value=lombardia]")
    page.click("button[value=save]")
    assert page.locator("[role=status]").inner_text() == (
        "Le tue preferenze sono salvate."
    )
    assert page.locator("input[value=lombardia]").is_checked()
    _check_widths(page, "preferences-it")

    session.expire_all()
    anna = session.scalars(select(Subscriber)).one()
    assert (anna.language, anna.topics, anna.regions) == (
        "it",
        ["clusters"],
        ["lombardia"],
    )

    # the next issue: its Italian version, only what matches her choices
    make_item(session, slug="lombardia-2", title="Lombardia results",
              regions=["lombardia"], published_at=past(1))  # fmt: skip
    make_item(session, slug="bayern-2", title="Bayern results",
              regions=["bayern"], published_at=past(1))  # fmt: skip
    items = [("press_release", "lombardia-2"), ("press_release", "bayern-2")]
    make_issue(session, slug="issue-2", title="Issue 2", items=items)
    make_issue(session, slug="numero-2", language="it", translation="issue-2",
               title="Numero 2", items=items)  # fmt: skip
    assert session.scalars(select(Newsletter).where(
        Newsletter.translation == "issue-2")).all()  # fmt: skip
    result = runner.invoke(args=["newsletter", "send", "issue-2"])
    assert "1 sent" in result.output, result.output
    second = smtp.recorder.to("anna@example.net")[-1]
    assert second.message["Subject"] == "Numero 2"
    assert second.message["Content-Language"] == "it"
    text = _text_part(second)
    assert "Lombardia results" in text and "Bayern results" not in text
