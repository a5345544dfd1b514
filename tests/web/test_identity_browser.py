"""A feed opened in Debian's Chromium reads as a page of the site.

The demo content is served by a live server; screenshots go to
test-artifacts/identity/. The EU emblem above the fold of every page (feeds
included) is checked with axe-core in test_accessibility_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import artifact, chromium, served_demo

VIEWPORTS = {375: 667, 1280: 800}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo content on SQLite, served on 127.0.0.1."""
    # a real site's address: long enough to show a page that scrolls sideways
    address = "https://www.s3-4alpclusters.example"
    tmp = tmp_path_factory.mktemp("identity")
    with served_demo(tmp, "identity-test-secret", site_url=address) as (_app, base):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module."""
    with chromium() as browser:
        yield browser


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


@pytest.mark.parametrize("path", ["/feed.xml", "/reports/feed.atom"])
def test_a_feed_opened_in_the_browser_reads_as_a_page(
    site_url: str, tab: Any, path: str
) -> None:
    _show(tab, site_url + path, 375)
    name = path.strip("/").replace("/", "-")
    tab.screenshot(path=str(artifact("identity", f"{name}-375.png")))
    # transformed by /feed.xsl: a heading and a linked card per item
    assert tab.locator("h1").first.inner_text().startswith("S3-4AlpClusters")
    links = tab.locator("article.card h2 a")
    assert links.count() > 3
    href = links.first.get_attribute("href")
    assert href is not None and href.startswith("https://www.s3-4alpclusters.example/")
    # the site's own stylesheet applies (CSP: no inline style)
    assert tab.locator("main").evaluate("m => getComputedStyle(m).maxWidth") != "none"
    assert _sideways(tab) <= 0
