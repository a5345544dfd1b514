"""EU visibility in Debian's Chromium: the emblem and acknowledgement above the fold.

The demo content is served by a live server and each page is shown at a phone's
and a desktop's size; screenshots go to test-artifacts/identity/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from comms import create_app
from comms.catalogue.content_files import import_tree
from comms.config import Settings
from comms.db import init_db
from tests.browser import artifact, launch, serve, sync_playwright
from tests.conftest import CONTENT

# width -> the first viewport's height (a small phone; a laptop)
VIEWPORTS = {375: 667, 1280: 800}
PAGES = {
    "home": "/",
    "listing": "/reports/",
    "item": "/reports/stresstest-lombardia/",
    "subscribe": "/newsletter/subscribe",
    "about": "/about/",
    "privacy": "/privacy/",
    "legal": "/legal/",
    # filters make the listing's address long: it once scrolled sideways
    "filtered": "/press-releases/?region=western-switzerland&tag=clusters&lang=de",
}
# the acknowledgement, the emblem's alt and the programme's name in each page's
# language (the filtered listing is German)
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


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo content on SQLite, served on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("identity")
    settings = Settings(
        instance_path=tmp / "instance",
        database_url=f"sqlite:///{tmp / 'identity.sqlite3'}",
        secret_key="identity-test-secret",
        content_dir=CONTENT,
        media_dir=tmp / "media",
        # a real site's address: long enough to show a page that scrolls sideways
        site_url="https://www.s3-4alpclusters.example",
        testing=True,
    )
    app = create_app(settings)
    state = app.extensions["comms"]
    init_db(state.engine)
    with state.sessionmaker() as session:
        report = import_tree(session, state.store, CONTENT)
        assert not report.problems, report.problems
        session.commit()
    try:
        with serve(app) as base:
            yield base
    finally:
        state.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module."""
    start = sync_playwright()
    with start() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A fresh tab with an empty cache (every page answers 200, not 304)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def _show(tab: Any, url: str, width: int) -> None:
    tab.set_viewport_size({"width": width, "height": VIEWPORTS[width]})
    response = tab.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url


def _sideways(tab: Any) -> int:
    """How many pixels the page scrolls sideways (0 when it does not)."""
    overflow: int = tab.evaluate(
        "document.scrollingElement.scrollWidth - window.innerWidth"
    )
    return overflow


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_the_eu_emblem_and_acknowledgement_are_seen_without_scrolling(
    site_url: str, tab: Any, name: str, width: int
) -> None:
    _show(tab, site_url + PAGES[name], width)
    tab.screenshot(path=str(artifact("identity", f"{name}-{width}.png")))
    height = VIEWPORTS[width]
    words, alt, programme = ACKNOWLEDGEMENT["de" if "lang=de" in PAGES[name] else "en"]
    emblem = tab.locator(f"header img[alt='{alt}']")
    text = tab.locator("header").get_by_text(words, exact=True)
    logo = tab.locator(f"header img[alt='{programme}']")
    for element in (emblem, text, logo):
        box = element.bounding_box()
        assert box is not None, f"{name} at {width} px: {element} is not shown"
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (name, box)
    # the emblem is drawn (its file loaded), not a broken image
    assert emblem.evaluate("img => img.complete && img.naturalWidth > 0")
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    assert _sideways(tab) <= 0, f"{name} scrolls sideways at {width} px"


@pytest.mark.parametrize("path", ["/feed.xml", "/reports/feed.atom"])
def test_a_feed_opened_in_the_browser_reads_as_a_page(
    site_url: str, tab: Any, path: str
) -> None:
    _show(tab, site_url + path, 375)
    name = path.strip("/").replace("/", "-")
    tab.screenshot(path=str(artifact("identity", f"{name}-375.png")))
    # transformed by static/feed.xsl: a heading and a linked card per item
    assert tab.locator("h1").first.inner_text().startswith("S3-4AlpClusters")
    links = tab.locator("article.card h2 a")
    assert links.count() > 3
    href = links.first.get_attribute("href")
    assert href is not None and href.startswith("https://www.s3-4alpclusters.example/")
    # the site's own stylesheet applies (CSP: no inline style)
    assert tab.locator("main").evaluate("m => getComputedStyle(m).maxWidth") != "none"
    assert _sideways(tab) <= 0
