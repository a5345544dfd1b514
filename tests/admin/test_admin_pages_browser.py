"""Every admin page in Debian's Chromium, signed in, at 375 and 1280 px.

The pages are every GET route under /admin that takes no argument (read from the
app's url_map, so a new page is checked as soon as it exists) plus the pages
listed in PAGES_WITH_ARGUMENTS. On each: axe-core finds nothing serious or
critical, nothing scrolls sideways, and a full-page screenshot is saved as
test-artifacts/admin/<page>-<width>.png.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin import audit, revisions
from comms.admin.models import ItemRevision, ReviewRequest, User
from comms.catalogue.models import (
    Deliverable,
    Item,
    Newsletter,
    ReportFile,
    WorkPackage,
)
from comms.jobs.models import Job
from comms.newsletter.models import Delivery, Subscriber
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import artifact, axe_source, chromium, served_demo
from tests.conftest import postgres_schema

OFFICER = "officer@example.org"
SECRET = "admin-pages-test-secret"
WIDTHS = {375: 667, 1280: 800}  # width -> height of the first viewport
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
# Routes without arguments that are no page to look at.
NOT_PAGES = {"admin.login"}  # signed in, it sends the officer on; checked signed out


def _item_id(kind: str, slug: str) -> Callable[[Session], int | None]:
    def find(session: Session) -> int | None:
        return session.scalar(
            select(Item.id).where(Item.kind == kind, Item.slug == slug)
        )

    return find


def _issue_id(slug: str) -> Callable[[Session], int | None]:
    def find(session: Session) -> int | None:
        return session.scalar(
            select(Newsletter.id).where(
                Newsletter.slug == slug, Newsletter.language == "en"
            )
        )

    return find


def _first(column: Any, *where: Any) -> Callable[[Session], Any]:
    def find(session: Session) -> Any:
        return session.scalars(select(column).where(*where).limit(1)).first()

    return find


def add_rows(session: Session, officer: User) -> None:
    """What the demo content does not bring: revisions, a draft issue and the
    deliveries of a sent one, subscribers, a pending review, audit entries, a
    failed job."""
    now = datetime.now(UTC)
    report = session.scalars(
        select(Item).where(Item.kind == "report", Item.slug == "stresstest-lombardia")
    ).one()
    older = revisions.editable_fields(report)
    older["title"] = "StressTest Lombardia (first draft)"
    older["body"] = "An earlier text.\n\n" + older.get("body", "")
    for fields, note in (
        (older, "first draft"),
        (revisions.editable_fields(report), ""),
    ):
        session.add(
            ItemRevision(
                item_id=report.id,
                version=report.version,
                user_id=officer.id,
                user_email=officer.email,
                at=now,
                note=note,
                fields=fields,
            )
        )
    session.add(
        Newsletter(
            slug="newsletter-2",
            language="en",
            translation="newsletter-2",
            number=2,
            title="Newsletter 2: towards the action plan",
            intro="The project prepares its joint action plan.",
            intro_html="<p>The project prepares its joint action plan.</p>",
            status="draft",
        )
    )
    sent = session.scalars(
        select(Newsletter).where(Newsletter.slug == "newsletter-1").limit(1)
    ).first()
    assert sent is not None
    outcomes = [  # status, SMTP code, error: as sending.py leaves them
        ("sent", 250, None),
        ("sent", 250, None),
        ("failed", 421, "421 4.7.0 try again later (5 attempts)"),
        ("failed", 550, "550 5.1.1 mailbox unavailable"),
        ("unmatched", None, None),
    ]
    for n, (status, code, error) in enumerate(outcomes):
        person = Subscriber(
            email=f"reader{n}@example.org",
            language=("en", "de", "fr", "it", "sl")[n],
            topics=["clusters"] if n % 2 else [],
            regions=["lombardia"] if n == 1 else [],
            status="confirmed",
            confirmed_at=now,
        )
        session.add(person)
        session.flush()
        session.add(
            Delivery(
                issue=sent.translation,
                subscriber_id=person.id,
                language=person.language,
                status=status,
                attempts=1,
                smtp_code=code,
                error=error,
                sent_at=now if status == "sent" else None,
            )
        )
    draft = session.scalars(
        select(Item).where(Item.slug == "action-plan-consultation")
    ).one()
    session.add(
        ReviewRequest(
            item_id=draft.id,
            action="publish",
            requested_by_id=officer.id,
            requested_by="editor@example.org",
            item_version=draft.version,
        )
    )
    before = {"title": older["title"], "status": "draft"}
    after = {"title": report.title, "status": report.status}
    audit.record(
        session, officer, "update", report, before=before, after=after, now=now
    )
    audit.record(session, officer, "status", draft, before=None, after=None, now=now)
    session.add(
        Job(
            kind="video-sync",
            title="Video sync",
            state="failed",
            attempts=3,
            finished_at=now,
            error="YouTube answered 403: the API key is not valid",
            actor_id=officer.id,
        )
    )
    session.commit()


# Values the pages with arguments need, each found in the demo database.
TARGETS: dict[str, Callable[[Session], Any]] = {
    "press_release": _item_id("press_release", "first-results"),
    "report": _item_id("report", "stresstest-lombardia"),
    "video": _item_id("video", "what-is-a-stresstest-report"),
    "event": _item_id("event", "edw-lombardia"),
    "issue": _issue_id("newsletter-1"),
    "draft_issue": _issue_id("newsletter-2"),
    "pdf": _first(ReportFile.sha256, ReportFile.filename.like("%.pdf")),
    "subscriber": _first(Subscriber.id, Subscriber.email == "reader2@example.org"),
    "revision": _first(
        ItemRevision.id,
        ItemRevision.note == "first draft",
    ),
    "deliverable": _first(Deliverable.id, Deliverable.code == "D.T1.2.1"),
    "deliverable_code": _first(Deliverable.code, Deliverable.code == "D.T1.2.1"),
    "work_package": _first(WorkPackage.id, WorkPackage.code == "T1"),
}

# name -> path; {placeholders} are TARGETS. Add a part's pages here.
PAGES_WITH_ARGUMENTS: dict[str, str] = {
    "item-press-release": "/admin/items/{press_release}/",
    "item-report": "/admin/items/{report}/",
    "item-video": "/admin/items/{video}/",
    "item-event": "/admin/items/{event}/",
    "new-press-release": "/admin/items/new/press-releases",
    "new-report": "/admin/items/new/reports",
    "new-event": "/admin/items/new/events",
    "items-filtered": "/admin/items/?kind=report&status=published&lang=en"
    "&region=lombardia&sort=title",
    "items-page-2": "/admin/items/?page=2",
    "newsletter-issue": "/admin/newsletters/{issue}/",
    "newsletter-draft": "/admin/newsletters/{draft_issue}/",
    "newsletter-preview": "/admin/newsletters/{issue}/preview",
    "newsletter-preview-de": "/admin/newsletters/{issue}/preview?version=de",
    "newsletter-mail-html": "/admin/newsletters/{issue}/preview/mail.html",
    "item-revisions": "/admin/items/{report}/revisions/",
    "item-revision-diff": "/admin/items/{report}/revisions/{revision}",
    "media-entry-pdf": "/admin/media/{pdf}/",
    "media-pdfs": "/admin/media/?show=files",
    "subscriber": "/admin/subscribers/{subscriber}/",
    "subscriber-erase": "/admin/subscribers/{subscriber}/erase",
    "subscribers-search": "/admin/subscribers/?q=reader",
    "deliverable-edit": "/admin/deliverables/{deliverable}/edit",
    "deliverable-figures": "/admin/kpi/deliverables/{deliverable_code}/",
    "work-package-edit": "/admin/deliverables/work-packages/{work_package}/",
    "audit-of-an-item": "/admin/audit/?target=item:{report}",
    "kpi-period": "/admin/kpi/?from=2018-01-01&to=2018-12-31",
    "error-refused-filter": "/admin/items/?sort=price",
}
# Pages whose CSP sandbox runs no script, so not axe: checked in a tab that
# bypasses the CSP (the mail's HTML part, framed by the newsletter preview).
SANDBOXED = {"newsletter-mail-html"}
# name -> the status a page answers with, when it is not 200
STATUS = {"error-refused-filter": 422}


def pages_without_arguments(app: Flask) -> dict[str, str]:
    """name -> path of every GET route under /admin that takes no argument."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in (rule.methods or ()):
            continue
        if rule.arguments or rule.endpoint in NOT_PAGES:
            continue
        if "." in rule.rule.rsplit("/", 1)[-1]:
            continue  # a file to download (export.csv), not a page
        name = rule.endpoint.removeprefix("admin.").replace(".", "-")
        found[name] = rule.rule
    return found


@dataclass(frozen=True)
class Site:
    """The served demo and the pages to visit on it."""

    base: str
    pages: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The demo content on SQLite or PostgreSQL, served on 127.0.0.1, with an
    admin's account, the review step on and the rows add_rows() makes."""
    with ExitStack() as stack:
        url = None
        if request.param == "postgresql":
            url = stack.enter_context(postgres_schema())
        app, base = stack.enter_context(
            served_demo(
                tmp_path_factory.mktemp("admin-pages"),
                SECRET,
                database_url=url,
                review_required=True,
            )
        )
        with app.extensions["comms"].sessionmaker() as session:
            add_rows(session, make_user(session, OFFICER, "admin"))
            values = {name: find(session) for name, find in TARGETS.items()}
        missing = [name for name, value in values.items() if value is None]
        assert not missing, f"not in the demo content: {missing}"
        pages = pages_without_arguments(app)
        pages |= {n: p.format(**values) for n, p in PAGES_WITH_ARGUMENTS.items()}
        yield Site(base, pages)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module; axe-core checked before it starts."""
    with chromium(axe=True) as browser:
        yield browser


@pytest.fixture(scope="module")
def officer(browser: Any, site: Site) -> Iterator[Any]:
    """A tab of an officer signed in through the login form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.base}/admin/login")
    page.fill("#email", OFFICER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url == f"{site.base}/admin/"
    yield page
    context.close()


@pytest.fixture(scope="module")
def officer_without_csp(browser: Any, officer: Any) -> Iterator[Any]:
    """A tab with the officer's sign-in that ignores CSP, for SANDBOXED pages."""
    context = browser.new_context(bypass_csp=True)
    context.add_cookies(officer.context.cookies())
    yield context.new_page()
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (WCAG 2.1 A and AA rules).

    Frames are left out: axe waits forever for one whose sandbox runs no script
    (the newsletter preview's mail), which is checked as a page of its own."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())  # over DevTools: the CSP stays on
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations'], iframes: false})",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """axe's findings, one rule and its first elements a line."""
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines += [f"      {', '.join(map(str, n['target']))}" for n in v["nodes"][:4]]
    return "\n".join(lines)


def check_page(
    page: Any, url: str, name: str, width: int, expected: int = 200
) -> list[str]:
    """Open ``url`` at ``width``; what is wrong with it (nothing: an empty list)."""
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    response = page.goto(url, wait_until="load")
    status = response.status if response is not None else 0
    problems = []
    if status != expected:
        problems.append(f"{name} at {width} px: status {status}, not {expected}")
    scroll, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll > inner:
        problems.append(f"{name} at {width} px scrolls sideways: {scroll} > {inner}")
    page.screenshot(path=str(artifact("admin", f"{name}-{width}.png")), full_page=True)
    violations = axe_violations(page)
    artifact("admin", f"{name}-{width}.json").write_text(
        json.dumps(violations, indent=2)
    )
    if violations:
        problems.append(f"{name} at {width} px, axe:\n{describe(violations)}")
    if page.locator(".site-header, .site-footer").count():
        problems.append(f"{name} at {width} px wears the public site's header")
    return problems


def test_the_pages_read_from_the_url_map_include_the_known_ones(site: Site) -> None:
    for name in ("dashboard", "items", "newsletters", "jobs", "users", "kpi-index"):
        assert name in site.pages, sorted(site.pages)


@pytest.mark.slow
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_admin_page_passes_axe_fits_the_width_and_is_pictured(
    officer: Any, officer_without_csp: Any, site: Site, width: int
) -> None:
    problems = []
    for name, path in sorted(site.pages.items()):
        expected = STATUS.get(name, 200)
        tab = officer_without_csp if name in SANDBOXED else officer
        problems += check_page(tab, site.base + path, name, width, expected)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("width", list(WIDTHS))
def test_login_page_uses_the_shell_without_navigation(
    browser: Any, site: Site, width: int
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        problems = check_page(page, f"{site.base}/admin/login", "login", width)
        assert not problems, "\n".join(problems)
        assert page.locator("nav").count() == 0
        assert page.locator("html").get_attribute("lang") == "en"
        robots = page.locator("meta[name=robots]").get_attribute("content")
        assert robots == "noindex, nofollow"
    finally:
        context.close()


@pytest.mark.slow
def test_phone_menu_opens_from_its_button_and_marks_the_current_section(
    officer: Any, site: Site
) -> None:
    page = officer
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(f"{site.base}/admin/newsletters/")
    nav = page.locator("#admin-nav")
    button = page.get_by_role("button", name="Menu")
    assert not nav.is_visible()  # folded behind the button
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert nav.is_visible()
    assert button.get_attribute("aria-expanded") == "true"
    current = nav.locator("a[aria-current=page]")
    assert current.inner_text() == "Newsletters"
    for box in (button, current):
        size = box.bounding_box()
        assert size is not None and size["height"] >= 44, size
    page.screenshot(path=str(artifact("admin", "menu-open-375.png")), full_page=True)
    assert not axe_violations(page)
    page.keyboard.press("Escape")
    assert not nav.is_visible()

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{site.base}/admin/items/new/reports")
    assert nav.is_visible() and not button.is_visible()
    assert nav.locator("a[aria-current=true]").first.inner_text() == "Items"
    labels = nav.locator(".nav-list > li > a").all_inner_texts()
    assert labels[:3] == ["Dashboard", "Items", "Newsletters"]
    assert {"Figures", "Jobs", "Accounts", "Audit log"} <= set(labels)
    assert "Signed in as" in nav.inner_text() and OFFICER in nav.inner_text()
