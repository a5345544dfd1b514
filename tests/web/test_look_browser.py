"""The site's look in Debian's Chromium, at a phone's and a desktop's width: touch
targets of 44 px, 16 px text in inputs, no sideways scrolling, axe-core clean.

The demo content (its logo, colours and report covers) is served by a live server;
screenshots of each page go to test-artifacts/look/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from comms.newsletter.tokens import confirm_token, unsubscribe_token
from tests.browser import (
    artifact,
    axe_source,
    chromium,
    served_demo,
)

WIDTHS = (375, 1280)
SECRET = "look-test-secret"
PAGES = {
    "home": "/",
    "reports": "/reports/",
    "report": "/reports/stresstest-lombardia/",
    "video": "/videos/what-is-a-stresstest-report/",
    "event": "/events/edw-lombardia/",
    "press-release": "/press-releases/first-results/",
    "search": "/search?q=clusters",
    "subscribe": "/newsletter/subscribe",
    "confirm": f"/newsletter/confirm/{confirm_token(SECRET, 'key', 'nonce')}",
    "unsubscribe": f"/newsletter/unsubscribe/{unsubscribe_token(SECRET, 'key')}",
    "topic": "/topics/clusters/",
}
# What a finger must be able to hit: the menus, forms, pages, chips, ways to
# follow, the footer, breadcrumbs and the item page's sidebar. Links inside
# running text are exempt (WCAG 2.5.8 "inline"); a checkbox is hit through its
# label, which is measured instead.
TARGETS = ", ".join(
    [
        "header a",
        "main form input:not([type=hidden]):not([type=checkbox])",
        "main form select",
        "main button",
        "main form label:has(input[type=checkbox])",
        ".pagination a",
        ".chips a",
        ".follow a",
        "footer a",
        ".breadcrumbs a",
        ".item-side a",
        ".intro a",
    ]
)
TAP = 44
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

_MEASURE = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getClientRects().length
                && getComputedStyle(el).visibility !== 'hidden')
  .map(el => {
    const box = el.getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 90), width: box.width, height: box.height};
  })"""
_INPUT_FONTS = """() => [
    ...document.querySelectorAll('main input, main select, main textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'checkbox'
                && el.getClientRects().length)
  .map(el => ({what: el.outerHTML.slice(0, 90),
               size: parseFloat(getComputedStyle(el).fontSize)}))"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo content on SQLite, served on 127.0.0.1."""
    with served_demo(tmp_path_factory.mktemp("look"), SECRET) as (_app, base):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module."""
    with chromium(axe=True) as browser:
        yield browser


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A fresh tab."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def _check(page: Any, name: str, width: int) -> None:
    """Targets of 44 px, inputs of 16 px, no sideways scroll, axe clean."""
    page.screenshot(path=str(artifact("look", f"{name}-{width}.png")), full_page=True)
    small = [
        t
        for t in page.evaluate(_MEASURE, TARGETS)
        if t["width"] < TAP - 0.5 or t["height"] < TAP - 0.5
    ]
    assert not small, f"{name} at {width}px: targets under {TAP}px: {small}"
    tiny = [f for f in page.evaluate(_INPUT_FONTS) if f["size"] < 16]
    assert not tiny, f"{name} at {width}px: inputs under 16px: {tiny}"
    scroll, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner, f"{name} scrolls sideways at {width}px: {scroll}"
    page.evaluate(axe_source())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    blocking = [
        f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"axe on {name} at {width}px: {blocking}"


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_big_targets_readable_inputs_and_fits(tab, site_url, name, width):
    tab.set_viewport_size({"width": width, "height": 800})
    response = tab.goto(site_url + PAGES[name], wait_until="load")
    assert response is not None and response.status == 200
    _check(tab, name, width)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_subscribe_form_shows_its_error_clearly(tab, site_url, width):
    tab.set_viewport_size({"width": width, "height": 800})
    tab.goto(site_url + "/newsletter/subscribe", wait_until="load")
    # the browser's own check would stop the form: the server's answer is tested
    tab.eval_on_selector("form.subscribe-form", "form => { form.noValidate = true; }")
    tab.fill("#email", "not an address")
    tab.click("form.subscribe-form button[type=submit]")
    tab.wait_for_selector("#form-errors")
    field = tab.evaluate(
        """() => { const el = document.querySelector('#email');
                   const s = getComputedStyle(el);
                   return {invalid: el.getAttribute('aria-invalid'),
                           border: parseFloat(s.borderTopWidth),
                           colour: s.borderTopColor}; }"""
    )
    assert field["invalid"] == "true"
    assert field["border"] >= 2 and field["colour"] == "rgb(179, 38, 30)", field
    _check(tab, "subscribe-error", width)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_cards_show_pictures_or_placeholders_of_equal_height(tab, site_url, width):
    tab.set_viewport_size({"width": width, "height": 800})
    tab.goto(site_url + "/", wait_until="load")
    cards = tab.evaluate(
        """() => [...document.querySelectorAll('.cards .card')].map(card => {
             const media = card.querySelector('.card-media');
             const box = media && media.getBoundingClientRect();
             return {media: !!media, height: box ? box.height : 0,
                     width: box ? box.width : 0,
                     placeholder: !!card.querySelector('.media-placeholder svg'),
                     image: !!card.querySelector('.card-media img')};
           })"""
    )
    assert cards and all(c["media"] for c in cards), cards
    # every card's picture is 16:9 and as wide as the card: no blank gap
    for card in cards:
        assert abs(card["width"] * 9 / 16 - card["height"]) <= 1.5, card
        assert card["placeholder"] != card["image"], card
    assert any(c["placeholder"] for c in cards) and any(c["image"] for c in cards)


@pytest.mark.slow
def test_item_page_uses_the_right_of_a_desktop_for_its_sidebar(tab, site_url):
    tab.set_viewport_size({"width": 1280, "height": 800})
    tab.goto(site_url + PAGES["report"], wait_until="load")
    main, side = tab.evaluate(
        """() => ['.item-main', '.item-side'].map(s => {
             const b = document.querySelector(s).getBoundingClientRect();
             return {left: b.left, right: b.right, top: b.top, width: b.width};
           })"""
    )
    assert side["left"] > main["right"] and abs(side["top"] - main["top"]) < 2
    assert 0.33 <= side["width"] / (side["right"] - main["left"]) <= 0.45
    cover = tab.locator(".download-cover")
    assert cover.evaluate("img => img.complete && img.naturalWidth") == 480
