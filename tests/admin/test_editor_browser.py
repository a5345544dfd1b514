"""The item editor in Debian's Chromium, on SQLite and PostgreSQL: publish with an
image in at most 4 clicks, schedule through the picker in the site's zone, restore
an older revision; live preview, autosave, Ctrl+S and the unsaved-changes guard;
axe on every editor page at 375 and 1280 px."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from comms.catalogue.models import Item
from tests.admin.helpers import PASSWORD, make_user, png_bytes
from tests.browser import artifact, axe_source, chromium, serve

ZONE = "Europe/Zurich"
OFFICER = "officer@example.org"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture
def content_dir(content_dir: Path) -> Path:
    """The test site in Zurich's time zone, so that local time is not UTC."""
    site = content_dir / "site.yml"
    site.write_text(site.read_text() + f"timezone: {ZONE}\n")
    return content_dir


@pytest.fixture
def site(app: Any, session: Any) -> Iterator[str]:
    """The app (on the test's database) served on 127.0.0.1, with an officer."""
    make_user(session, OFFICER, "editor")
    with serve(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    """One headless Chromium (axe-core required)."""
    with chromium(axe=True) as launched:
        yield launched


class Clicks:
    """Counts what the officer clicks (choosing a file counts as one)."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def choose_file(self, selector: str, path: Path) -> None:
        self.count += 1
        self.page.set_input_files(selector, str(path))


def _log_in(browser: Any, base: str, width: int = 1280) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/admin/login")
    page.fill("#email", OFFICER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url == f"{base}/admin/"
    return page


def _axe_clean(page: Any, name: str) -> None:
    """No serious or critical axe finding, no sideways scroll, at 375 and 1280 px."""
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(
            path=str(artifact("a11y", f"{name}-{width}.png")), full_page=True
        )
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source())
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            AXE_TAGS,
        )
        blocking = [
            f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in BLOCKING
        ]
        assert not blocking, f"{name} at {width}px: {blocking}"
        scroll, inner = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        wide = page.evaluate(
            "(w) => [...document.querySelectorAll('body *')].filter(e =>"
            " e.getBoundingClientRect().right > w).slice(0, 8).map(e =>"
            " e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)",
            inner,
        )
        assert scroll <= inner, f"{name} scrolls sideways at {width}px: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


def _visitor_sees(browser: Any, url: str, text: str, seconds: float = 0) -> Any:
    """A new visitor's page at ``url`` once it shows ``text`` (polling briefly)."""
    context = browser.new_context()
    page = context.new_page()
    deadline = time.monotonic() + seconds
    while True:
        response = page.goto(url)
        if response.status == 200 and text in page.content():
            return page
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} does not show {text!r} ({response.status})")
        page.wait_for_timeout(250)


# --- (a) write and publish a press release with an image ---------------------------


def test_press_release_with_image_is_published_in_at_most_four_clicks(
    site: str, browser: Any, session: Any, tmp_path: Path
) -> None:
    image = tmp_path / "partners.png"
    image.write_bytes(png_bytes((64, 40)))
    page = _log_in(browser, site)
    officer = Clicks(page)

    officer.click("text=New press release")
    _axe_clean(page, "item-editor-new-press-release")
    page.fill("#f-title", "Zürich Ökonomie meets the Alps")
    page.fill("#f-summary", "Eleven regions tested how clusters help their S3.")
    page.fill("#f-body", "## Findings\n\nClusters **matter**.")
    # The live preview follows the text, rendered by the server.
    page.locator("#live-preview h2", has_text="Findings").wait_for()
    assert page.locator("#live-preview strong").inner_text() == "matter"
    assert "zurich-okonomie-meets-the-alps" in page.inner_text("#slug-from-title")
    officer.choose_file("#f-image", image)
    page.fill("#f-image_alt", "Partners around a map of the Alps")
    officer.click(".publish-actions button[value=publish]")

    assert officer.count <= 4, officer.count
    assert "Published." in page.inner_text(".flashes")
    assert "Image saved." in page.inner_text(".flashes")
    # What was typed before the upload is all there after it.
    assert page.input_value("#f-title") == "Zürich Ökonomie meets the Alps"
    assert page.input_value("#f-body") == "## Findings\n\nClusters **matter**."
    assert page.input_value("#f-slug") == "zurich-okonomie-meets-the-alps"
    assert page.locator("img.thumb").get_attribute("alt") == (
        "Partners around a map of the Alps"
    )
    _axe_clean(page, "item-editor-published")

    url = f"{site}/press-releases/zurich-okonomie-meets-the-alps/"
    visitor = _visitor_sees(browser, url, "Zürich Ökonomie meets the Alps")
    assert visitor.locator("h1").inner_text() == "Zürich Ökonomie meets the Alps"
    assert visitor.locator(".body strong").inner_text() == "matter"
    src = visitor.locator(".item-image img").get_attribute("src")
    assert src and visitor.request.get(f"{site}{src}").ok


def test_a_refused_image_keeps_what_was_typed(
    site: str, browser: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "not-a-picture.png"
    bad.write_bytes(b"this is text, not an image")
    page = _log_in(browser, site)
    page.click("text=New press release")
    page.fill("#f-title", "Typed before a refused upload")
    page.fill("#f-body", "Every word *kept*.")
    page.check("#f-region-bayern")
    page.set_input_files("#f-image", str(bad))
    page.fill("#f-image_alt", "A map")
    page.click(".publish-actions button[value=publish]")
    assert "not an image Pillow can read" in page.inner_text(".problems")
    assert page.input_value("#f-title") == "Typed before a refused upload"
    assert page.input_value("#f-body") == "Every word *kept*."
    assert page.is_checked("#f-region-bayern")
    assert page.input_value("#f-image_alt") == "A map"


# --- (b) schedule through the picker, in the site's time zone ---------------------


def test_scheduled_item_appears_on_the_site_when_due(
    site: str, browser: Any, session: Any
) -> None:
    page = _log_in(browser, site)
    page.click("text=New press release")
    page.fill("#f-title", "Due in a few seconds")
    page.fill("#f-body", "Scheduled *text*.")
    page.click(".publish-actions button[value=save]")
    assert "Draft saved." in page.inner_text(".flashes")

    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    local = due.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#f-publish_at", local)
    page.click(".schedule button[value=schedule]")
    shown = local[:16].replace("T", " ")
    assert f"Scheduled for {shown} ({ZONE} time)" in page.inner_text(".flashes")
    session.expire_all()
    item = session.scalars(select(Item).where(Item.slug == "due-in-a-few-seconds"))
    assert item.one().published_at == due  # stored as UTC

    url = f"{site}/press-releases/due-in-a-few-seconds/"
    early = browser.new_context().new_page()
    assert early.goto(url).status == 404  # not public before its time
    remaining = (due - datetime.now(UTC)).total_seconds()
    visitor = _visitor_sees(browser, url, "Due in a few seconds", remaining + 5)
    assert datetime.now(UTC) >= due
    assert visitor.locator(".body em").inner_text() == "text"


# --- (c) restore an older revision -------------------------------------------------


def test_restored_revision_shows_on_the_public_page(site: str, browser: Any) -> None:
    page = _log_in(browser, site)
    page.click("text=New press release")
    page.fill("#f-title", "Revised release")
    page.fill("#f-body", "The original wording.")
    page.click(".publish-actions button[value=publish]")
    assert "Published." in page.inner_text(".flashes")
    page.fill("#f-body", "A hasty rewrite.")
    page.keyboard.press("Control+s")  # the shortcut saves
    page.wait_for_selector(".flashes:has-text('Saved.')")
    url = f"{site}/press-releases/revised-release/"
    _visitor_sees(browser, url, "A hasty rewrite.")

    page.click("text=Revisions (2)")
    _axe_clean(page, "item-revisions")
    page.locator("a", has_text="Compare and restore").last.click()
    removed = page.locator("ol.diff li.removed").inner_text()
    added = page.locator("ol.diff li.added").inner_text()
    assert "The original wording." in removed and "A hasty rewrite." in added
    _axe_clean(page, "item-revision-diff")
    page.click("button:has-text('Restore this revision')")
    assert "Restored the revision" in page.inner_text(".flashes")
    assert page.input_value("#f-body") == "The original wording."
    assert "Revisions (3)" in page.inner_text(".item-links")
    _visitor_sees(browser, url, "The original wording.")


# --- the editor's script: guard, autosave -------------------------------------------


def test_unsaved_changes_guard_and_autosave_of_a_draft(
    site: str, browser: Any, session: Any
) -> None:
    page = _log_in(browser, site)
    page.click("text=New press release")
    page.fill("#f-title", "Autosaved draft")
    page.click(".publish-actions button[value=save]")
    edit_url = page.url
    page.clock.install()
    page.goto(edit_url)
    page.fill("#f-body", "Typed, never saved by hand.")
    page.clock.run_for(21_000)  # the autosave's interval
    page.wait_for_selector("#autosave-state:has-text('Draft saved automatically')")
    session.expire_all()
    item = session.scalars(select(Item).where(Item.slug == "autosaved-draft")).one()
    assert (item.status, item.body) == ("draft", "Typed, never saved by hand.")

    # Someone else saves meanwhile: the next autosave shows a conflict, saves nothing.
    other = _log_in(browser, site)
    other.goto(edit_url)
    other.fill("#f-title", "Someone else's title")
    other.click(".publish-actions button[value=save]")
    page.fill("#f-body", "A stale change.")
    page.clock.run_for(21_000)
    page.wait_for_selector("#autosave-state:has-text('Someone else saved this item')")
    session.expire_all()
    assert item.title == "Someone else's title"
    assert item.body == "Typed, never saved by hand."

    # Leaving with unsaved changes asks first; after a save it does not.
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    fresh = other.context.new_page()
    fresh.on("dialog", dismiss)
    fresh.goto(edit_url)
    fresh.fill("#f-body", "Saved before leaving.")
    fresh.click(".publish-actions button[value=save]")
    fresh.close(run_before_unload=True)
    other.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]


def test_a_new_item_is_autosaved_as_one_draft_then_published(
    site: str, browser: Any, session: Any
) -> None:
    page = _log_in(browser, site)
    page.clock.install()
    page.click("text=New press release")
    page.fill("#f-title", "Never saved by hand")
    page.fill("#f-body", "Written in one sitting.")
    page.clock.run_for(21_000)
    page.wait_for_selector("#autosave-state:has-text('Draft saved automatically')")
    assert page.url.endswith("/")  # the address is now the draft's editor
    assert "/admin/items/new/" not in page.url
    page.fill("#f-body", "Written in one sitting, then published.")
    page.click(".publish-actions button[value=publish]")
    assert "Published." in page.inner_text(".flashes")
    session.expire_all()
    (item,) = session.scalars(select(Item)).all()
    assert (item.status, item.body) == (
        "published",
        "Written in one sitting, then published.",
    )
