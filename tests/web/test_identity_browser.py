"""A feed opened in Debian's Chromium reads as a page of the site.

The demo content is served by a live server; screenshots go to
test-artifacts/identity/. The EU emblem above the fold of every page (feeds
included) is checked with axe-core in test_accessibility_browser.py.
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

VIEWPORTS = {375: 667, 1280: 800}


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
