"""In Debian's Chromium: an officer filters the item list and archives three reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from comms.catalogue.models import Item
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import artifact, chromium, served_demo

OFFICER = "officer@example.org"


def test_officer_bulk_archives_three_filtered_reports(tmp_path: Path) -> None:
    with (
        served_demo(tmp_path, "bulk-journey-secret") as (app, base),
        chromium() as browser,
    ):
        state = app.extensions["comms"]
        with state.sessionmaker() as session:
            make_user(session, OFFICER, "editor")
        page: Any = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/admin/login")
        page.fill("#email", OFFICER)
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Log in')")
        assert page.url == f"{base}/admin/"
        before = page.request.get(f"{base}/reports/feed.xml").text()

        page.locator("#admin-nav").get_by_role("link", name="Items", exact=True).click()
        page.fill("#q", "StressTest")
        page.select_option("#filter-kind", "report")
        page.select_option("#filter-status", "published")
        page.select_option("#filter-lang", "en")
        page.select_option("#filter-sort", "title")
        page.click("button:has-text('Filter')")
        assert "kind=report" in page.url and "q=StressTest" in page.url

        rows = page.locator("table.items-list tbody tr")
        assert rows.count() >= 3
        chosen = [rows.nth(n).locator("td").nth(1).inner_text() for n in range(3)]
        for n in range(3):
            rows.nth(n).locator("input[name=ids]").check()
        page.select_option("#bulk-action", "archive")
        page.click("button:has-text('Apply')")

        flash = page.locator(".flashes").inner_text()
        assert f"Archived 3 items: {'; '.join(chosen)}." in flash
        assert "kind=report" in page.url  # back on the same filtered list
        page.select_option("#filter-status", "archived")
        page.click("button:has-text('Filter')")
        shown = {
            row.locator("td").nth(1).inner_text(): row.locator(
                "[data-status]"
            ).get_attribute("data-status")
            for row in page.locator("table.items-list tbody tr").all()
        }
        assert {title: shown.get(title) for title in chosen} == dict.fromkeys(
            chosen, "archived"
        )
        page.screenshot(path=str(artifact("admin", "journey-bulk-archived-1280.png")))

        with state.sessionmaker() as session:
            stored = session.scalars(
                select(Item).where(Item.title.in_(chosen), Item.language == "en")
            ).all()
            assert sorted(i.status for i in stored) == ["archived"] * 3
            slugs = [i.slug for i in stored]

        # Archived: gone from the listing and the feed; the page itself
        # stays reachable with a notice, as the site promises for bookmarks.
        visitor = browser.new_context().new_page()
        assert all(f":report/{slug}/en</guid>" in before for slug in slugs)
        listing = visitor.goto(f"{base}/reports/?lang=en")
        assert listing is not None and listing.ok
        listed = visitor.content()
        feed = visitor.request.get(f"{base}/reports/feed.xml").text()
        for slug in slugs:
            assert f'href="/reports/{slug}/' not in listed
            assert f":report/{slug}/en</guid>" not in feed
            answer = visitor.goto(f"{base}/reports/{slug}/?lang=en")
            assert answer is not None and answer.status == 200
            assert visitor.locator(".notice").count() == 1
