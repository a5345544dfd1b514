"""In Debian's Chromium: an officer posts a press release; a visitor finds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from comms import create_app
from comms.config import Settings
from comms.db import init_db
from tests.admin.helpers import PASSWORD, make_user, png_bytes
from tests.browser import ARTIFACTS, launch, serve, sync_playwright


@pytest.fixture
def live_site(tmp_path: Path, content_dir: Path) -> Iterator[tuple[str, Any]]:
    """The app served by a real HTTP server on 127.0.0.1, and its state."""
    settings = Settings(
        instance_path=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        secret_key="browser-test-secret",
        content_dir=content_dir,
        media_dir=tmp_path / "media",
        testing=True,
    )
    app = create_app(settings)
    init_db(app.extensions["comms"].engine)
    try:
        with serve(app) as base:
            yield base, app.extensions["comms"]
    finally:
        app.extensions["comms"].engine.dispose()


def test_officer_posts_a_press_release_and_a_visitor_finds_it(
    live_site: tuple[str, Any], tmp_path: Path
) -> None:
    start = sync_playwright()
    base, state = live_site
    with state.sessionmaker() as session:
        make_user(session, "officer@example.org", "editor")
    image = tmp_path / "partners.png"
    image.write_bytes(png_bytes((64, 40)))
    ARTIFACTS.mkdir(exist_ok=True)
    title = "First results of the StressTest"
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    with start() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.goto(f"{base}/admin/")
            assert "/admin/login" in page.url
            page.fill("#email", "officer@example.org")
            page.fill("#password", PASSWORD)
            page.click("button:has-text('Log in')")
            assert page.url == f"{base}/admin/"
            assert page.locator("h1").inner_text() == "Dashboard"

            page.click("text=New press release")
            page.fill("#f-title", title)
            page.fill("#f-summary", "Eleven regions tested how clusters help their S3.")
            page.fill("#f-body", "## Findings\n\nClusters **matter**.")
            page.fill("#f-tags", "clusters")
            page.click("button:has-text('Preview')")
            preview = page.locator(".preview")
            assert preview.locator("h2", has_text="Findings").count() == 1
            assert preview.locator("strong").inner_text() == "matter"
            assert page.input_value("#f-title") == title  # the preview keeps the text
            page.screenshot(path=str(ARTIFACTS / "admin-editor.png"), full_page=True)
            page.click("button:has-text('Save draft')")
            assert "Draft saved." in page.locator(".flashes").inner_text()

            page.set_input_files("#f-image", str(image))
            page.fill("#f-image_alt", "Partners around a map of the Alps")
            page.click("button:has-text('Upload image')")
            assert "Image saved." in page.locator(".flashes").inner_text()
            img = page.locator("img.thumb")
            assert img.get_attribute("alt") == "Partners around a map of the Alps"
            image_url = img.get_attribute("src")

            page.fill("#f-publish_at", when)
            page.click("button:has-text('Schedule')")
            assert "Scheduled for" in page.locator(".flashes").inner_text()
            edit_url = page.url
            page.click("text=Dashboard")
            scheduled = page.locator("section[aria-labelledby=scheduled-h]")
            assert title in scheduled.inner_text()
            page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)

            early = browser.new_context()
            early_page = early.new_page()
            early_page.goto(f"{base}/")
            assert title not in early_page.content()  # scheduled: not public yet
            early.close()

            page.goto(edit_url)
            page.click("button:has-text('Publish now')")
            assert "Published." in page.locator(".flashes").inner_text()

            visitor = browser.new_context().new_page()  # a new visitor, cold cache
            visitor.goto(f"{base}/")
            visitor.click(f"text={title}")
            assert visitor.locator("h1").inner_text() == title
            assert visitor.locator(".body strong").inner_text() == "matter"
            feed = visitor.request.get(f"{base}/feed.xml")
            assert feed.ok and title in feed.text()
            public_src = visitor.locator(".item-image img").get_attribute("src")
            assert (
                public_src
                and public_src.rsplit("/", 1)[-1] == image_url.rsplit("/", 1)[-1]
            )
            picture = visitor.request.get(f"{base}{public_src}")
            assert picture.ok and picture.headers["content-type"] == "image/png"
        finally:
            browser.close()
    assert (ARTIFACTS / "admin-editor.png").stat().st_size > 0
    assert (ARTIFACTS / "admin-dashboard.png").stat().st_size > 0
