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
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.catalogue.models import Item, Newsletter
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import artifact, axe_source, chromium, served_demo

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
        return session.scalar(select(Newsletter.id).where(Newsletter.slug == slug))

    return find


# Values the pages with arguments need, each found in the demo database.
TARGETS: dict[str, Callable[[Session], Any]] = {
    "press_release": _item_id("press_release", "first-results"),
    "report": _item_id("report", "stresstest-lombardia"),
    "video": _item_id("video", "what-is-a-stresstest-report"),
    "event": _item_id("event", "edw-lombardia"),
    "issue": _issue_id("newsletter-1"),
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
    "audit-of-an-item": "/admin/audit/?target=item:{report}",
    "kpi-period": "/admin/kpi/?from=2018-01-01&to=2018-12-31",
    "error-refused-filter": "/admin/items/?sort=price",
}
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
        name = rule.endpoint.removeprefix("admin.").replace(".", "-")
        found[name] = rule.rule
    return found


@dataclass(frozen=True)
class Site:
    """The served demo and the pages to visit on it."""

    base: str
    pages: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo content on SQLite, served on 127.0.0.1, with an admin's account."""
    with served_demo(tmp_path_factory.mktemp("admin-pages"), SECRET) as (app, base):
        with app.extensions["comms"].sessionmaker() as session:
            make_user(session, OFFICER, "admin")
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


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (WCAG 2.1 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())  # over DevTools: the CSP stays on
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
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
    officer: Any, site: Site, width: int
) -> None:
    problems = []
    for name, path in sorted(site.pages.items()):
        expected = STATUS.get(name, 200)
        problems += check_page(officer, site.base + path, name, width, expected)
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
