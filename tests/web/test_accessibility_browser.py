"""Every page in Debian's Chromium: axe-core, EU visibility, own-origin, no sideways.

The demo content (content/) is served by a live server; every public page is loaded
at 375 x 667 px and 1280 x 800 px, checked by axe-core (npm, see package.json) and
saved as a full-page screenshot under test-artifacts/screens/ (admin pages under
test-artifacts/a11y/). On every public page the EU emblem, the acknowledgement and
the programme's logo sit inside the first viewport (Regulation (EU) 2021/1060,
Art. 47 and 50), and nothing scrolls sideways.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from comms.catalogue.models import Item
from comms.newsletter.tokens import confirm_token, unsubscribe_token
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import (
    artifact,
    axe_source,
    chromium,
    served_demo,
)

OFFICER = "officer@example.org"
SECRET = "a11y-test-secret"
PUBLIC_PAGES = {
    "news": "/",
    "press-releases": "/press-releases/",
    "reports": "/reports/",
    "videos": "/videos/",
    "events": "/events/",
    "press-release": "/press-releases/first-results/",
    "report": "/reports/stresstest-lombardia/",
    "video": "/videos/what-is-a-stresstest-report/",
    "event": "/events/edw-lombardia/",
    "region": "/regions/lombardia/",
    "topic": "/topics/clusters/",
    "search": "/search?q=clusters",
    "newsletter-archive": "/newsletter/",
    "newsletter-issue": "/newsletter/newsletter-1/",
    "newsletter-issue-de": "/newsletter/newsletter-1/?lang=de",
    "subscribe": "/newsletter/subscribe",
    "confirm": "/newsletter/confirm/{confirm_token}",
    "unsubscribe": "/newsletter/unsubscribe/{unsubscribe_token}",
    "about": "/about/",
    "privacy": "/privacy/",
    "legal": "/legal/",
    "accessibility": "/accessibility/",
    # filters make the listing's address long: it once scrolled sideways
    "filtered": "/press-releases/?region=western-switzerland&tag=clusters&lang=de",
    "not-found": "/no-such-page/",
    "feed": "/feed.xml",
}  # the admin's login page has the admin's own layout: test_admin_pages_browser.py
STATUS = {"not-found": 404}
OFFICER_PAGES = {
    "item-editor": "/admin/items/{report_id}/",
    "item-editor-new": "/admin/items/new/press-releases",
    "admin-dashboard": "/admin/",
    "admin-items": "/admin/items/",
    "admin-newsletters": "/admin/newsletters/",
    "admin-media": "/admin/media/",
    "admin-accounts": "/admin/users/",
}
# width -> the first viewport's height (a small phone; a laptop)
VIEWPORTS = {375: 667, 1280: 800}
WIDTHS = tuple(VIEWPORTS)
# the acknowledgement, the emblem's text and the programme's logo's (its name) in
# each page's language (after the German issue the language cookie says German)
ACKNOWLEDGEMENT = {
    "en": (
        "Co-funded by the European Union",
        "Flag of the European Union",
        "Interreg Alpine Space",
    ),
    "de": (
        "Kofinanziert von der Europäischen Union",
        "Flagge der Europäischen Union",
        "Interreg Alpenraum",
    ),
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo content on SQLite, served on 127.0.0.1, with an officer's account."""
    with served_demo(tmp_path_factory.mktemp("a11y"), SECRET) as (app, base):
        with app.extensions["comms"].sessionmaker() as session:
            make_user(session, OFFICER, "admin")
            session.commit()
            report_id = session.scalar(
                select(Item.id).where(Item.slug == "stresstest-lombardia")
            )
        yield {
            "base": base,
            "report_id": report_id,
            "confirm_token": confirm_token(SECRET, "reader@example.org", "n1"),
            "unsubscribe_token": unsubscribe_token(SECRET, "reader@example.org"),
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module; axe-core checked before it starts."""
    with chromium(axe=True) as browser:
        yield browser


@pytest.fixture(scope="module")
def visitor(browser: Any) -> Iterator[Any]:
    """A browser context of an anonymous visitor."""
    context = browser.new_context()
    yield context
    context.close()


@dataclass
class Tab:
    """One browser tab, reused from page to page, and the URLs it requested."""

    page: Any
    requested: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, context: Any) -> Tab:
        """A new tab in the context that records its requests."""
        tab = cls(context.new_page())
        tab.page.on("request", lambda request: tab.requested.append(request.url))
        return tab

    def open(self, url: str, width: int, status: int = 200) -> Any:
        """Show ``url`` in the first viewport of ``width``; forget earlier requests."""
        self.page.set_viewport_size({"width": width, "height": VIEWPORTS[width]})
        self.requested.clear()
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == status, url
        # A feed becomes a page through its XSLT stylesheet: Chromium swaps in the
        # transformed document after "load", so wait for an HTML document first.
        self.page.wait_for_function(
            "document.readyState === 'complete' && document.documentElement"
            " .namespaceURI === 'http://www.w3.org/1999/xhtml'"
        )
        return self.page


@pytest.fixture(scope="module")
def visitor_tab(visitor: Any) -> Tab:
    """The visitor's tab for the page checks."""
    return Tab.of(visitor)


@pytest.fixture(scope="module")
def officer_tab(browser: Any, demo_site: dict[str, Any]) -> Iterator[Tab]:
    """A tab of an officer logged in through the login form."""
    context = browser.new_context()
    tab = Tab.of(context)
    tab.open(f"{demo_site['base']}/admin/login", 1280)
    tab.page.fill("#email", OFFICER)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("button[type=submit]")
    assert tab.page.url == f"{demo_site['base']}/admin/"
    yield tab
    context.close()


def _axe(page: Any, iframes: bool = True) -> list[dict[str, Any]]:
    """axe-core's violations on the page (WCAG 2.1 A and AA rules)."""
    # Evaluated over the DevTools protocol: the site's CSP (no inline scripts) stays on.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "([tags, iframes]) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations'], iframes})",
        [AXE_TAGS, iframes],
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}")
            lines.append(f"      {node['failureSummary'].replace(chr(10), ' ')}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def _assert_eu_visibility_above_the_fold(page: Any, name: str, width: int) -> None:
    """The emblem (drawn), the acknowledgement and the programme's logo in view."""
    language = page.evaluate("document.documentElement.lang")
    words, alt, programme = ACKNOWLEDGEMENT[language]
    header = page.locator("header").first
    emblem = header.locator(f"img[alt='{alt}']")
    text = header.get_by_text(words, exact=True)
    logo = header.locator(f"img[alt='{programme}']")
    for element in (emblem, text, logo):
        assert element.count() == 1, f"{name} at {width} px: no {element}"
        box = element.bounding_box()
        assert box is not None, f"{name} at {width} px: {element} is not shown"
        inside = box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORTS[width]
        assert inside, f"{name} at {width} px: {element} at {box}, below the fold"
    for image in (emblem, logo):
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name


def _check_page(
    tab: Tab, base: str, name: str, width: int, folder: str = "a11y"
) -> None:
    """axe finds nothing serious, nothing came from elsewhere, no sideways scroll."""
    page = tab.page
    scroll, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    # Full page: lazy images below the fold load now, and their requests count too.
    page.screenshot(path=str(artifact(folder, f"{name}-{width}.png")), full_page=True)
    violations = _axe(page)
    artifact(folder, f"{name}-{width}.json").write_text(
        json.dumps(violations, indent=2)
    )

    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {page.url}:\n{_describe(blocking)}"
    origin = urlsplit(base)[:2]
    foreign = [
        u
        for u in tab.requested
        if urlsplit(u)[:2] != origin and not u.startswith("data:")
    ]
    assert not foreign, f"{page.url} requested other sites: {foreign}"
    assert scroll <= inner, f"{page.url} scrolls sideways at {width}px: {scroll}"


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page_shows_eu_emblem_passes_axe_and_fits_the_width(
    visitor_tab, demo_site, name, width
):
    base = demo_site["base"]
    path = PUBLIC_PAGES[name].format(**demo_site)
    page = visitor_tab.open(base + path, width, STATUS.get(name, 200))
    _assert_eu_visibility_above_the_fold(page, name, width)
    _check_page(visitor_tab, base, name, width, folder="screens")


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(OFFICER_PAGES))
def test_admin_page_passes_axe_stays_on_site_and_fits_a_phone(
    officer_tab, demo_site, name, width
):
    base = demo_site["base"]
    path = OFFICER_PAGES[name].format(report_id=demo_site["report_id"])
    officer_tab.open(base + path, width)
    _check_page(officer_tab, base, name, width)


def _focused(page: Any) -> dict[str, Any]:
    """The focused element, its outline and the background the outline sits on."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          let under = el.parentElement, background = 'rgb(255, 255, 255)';
          for (; under; under = under.parentElement) {
            const color = getComputedStyle(under).backgroundColor;
            if (color !== 'rgba(0, 0, 0, 0)') { background = color; break; }
          }
          return {
            tag: el.tagName.toLowerCase(), id: el.id, cls: String(el.className),
            href: el.getAttribute('href'), text: el.textContent.trim().slice(0, 60),
            inHeader: !!el.closest('header'),
            outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
            outlineColor: style.outlineColor, background,
          };
        }"""
    )


def _luminance(css_rgb: str) -> float:
    channels = [
        int(c) / 255 for c in css_rgb[css_rgb.index("(") + 1 : -1].split(",")[:3]
    ]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _assert_focus_visible(el: dict[str, Any]) -> None:
    """A solid ring of 2 px or more, 3:1 against what it is drawn on (WCAG 1.4.11)."""
    assert el["outline"] != "none" and el["outlineWidth"] >= 2, el
    if "skip-link" in el["cls"]:
        return  # drawn over the header, not over its DOM parent
    lighter, darker = sorted(
        (_luminance(el["outlineColor"]), _luminance(el["background"])), reverse=True
    )
    assert (lighter + 0.05) / (darker + 0.05) >= 3, el


@pytest.mark.slow
def test_keyboard_skip_link_first_focus_visible_and_menus_reachable(visitor, demo_site):
    base = demo_site["base"]
    page = Tab.of(visitor).open(base + "/", 1280)
    try:
        page.keyboard.press("Tab")
        first = _focused(page)
        assert "skip-link" in first["cls"], first
        _assert_focus_visible(first)
        assert page.locator(".skip-link").bounding_box()["x"] >= 0  # shown on focus
        page.keyboard.press("Enter")
        assert _focused(page)["id"] == "main"

        page.goto(base + "/")
        menu_links = set(
            page.eval_on_selector_all(
                "header nav a", "links => links.map(a => a.getAttribute('href'))"
            )
        )
        reached: set[str] = set()
        for _ in range(40):  # Tab through the header's menus into the content
            page.keyboard.press("Tab")
            el = _focused(page)
            _assert_focus_visible(el)
            if el["inHeader"]:
                reached.add(el["href"])
            elif "skip-link" not in el["cls"]:
                break
        assert menu_links <= reached, menu_links - reached
        page.screenshot(path=str(artifact("a11y", "focus-1280.png")))
    finally:
        page.close()


@pytest.mark.slow
def test_video_player_loads_only_after_keyboard_activation(visitor, demo_site):
    base = demo_site["base"]
    blocked: list[str] = []

    def block(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page = visitor.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.route("**/*", lambda route: _only_site(route, base, block))
    try:
        page.goto(base + PUBLIC_PAGES["video"], wait_until="load")
        assert page.locator("iframe").count() == 0
        assert blocked == []
        note = page.locator(".video figcaption").inner_text()
        assert "youtube-nocookie.com" in note

        button = page.locator(".video button")
        assert button.count() == 1
        for _ in range(60):  # reach the button with Tab, as a keyboard user does
            page.keyboard.press("Tab")
            if button.evaluate("el => el === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the video's play button")
        with page.expect_event(
            "requestfailed", lambda request: "youtube-nocookie.com" in request.url
        ):  # blocked by the route: nothing leaves the machine
            page.keyboard.press("Enter")

        frame = page.locator(".video iframe")
        frame.wait_for(state="attached")
        src = frame.get_attribute("src") or ""
        assert src.startswith("https://www.youtube-nocookie.com/embed/Z4nW8pKc1sY")
        assert frame.get_attribute("title")
        assert page.evaluate("document.activeElement.tagName") == "IFRAME"
        assert blocked and all("youtube-nocookie.com" in u for u in blocked), blocked
        blocking = [v for v in _axe(page, iframes=False) if v["impact"] in BLOCKING]
        assert not blocking, _describe(blocking)
        page.screenshot(path=str(artifact("a11y", "video-playing-1280.png")))
    finally:
        page.close()


def _only_site(route: Any, base: str, block: Any) -> None:
    if route.request.url.startswith(base):
        route.continue_()
    else:
        block(route)


def test_axe_core_is_pinned_in_package_lock_without_registry_hosts():
    root = Path(__file__).resolve().parents[2]
    package = json.loads((root / "package.json").read_text())
    lock_text = (root / "package-lock.json").read_text()
    lock = json.loads(lock_text)
    pinned = package["devDependencies"]["axe-core"]
    assert pinned[0].isdigit(), "pin an exact axe-core version"
    assert lock["packages"]["node_modules/axe-core"]["version"] == pinned
    # no registry's address: npm ci uses whichever registry the machine names
    assert "registry" not in lock_text
    assert not [name for name, p in lock["packages"].items() if "resolved" in p]
