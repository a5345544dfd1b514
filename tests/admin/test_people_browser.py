"""In Debian's Chromium: the Subscribers and Videos pages, and adding a video by URL.

Each page is loaded at 375 and 1280 px, checked by axe-core (no serious or critical
violation) and saved under test-artifacts/a11y/. The journey pastes a YouTube
address, confirms the title and thumbnail that the fake oEmbed endpoint gives, and
finds the video on the public site.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from comms.newsletter.models import Consent, Subscriber
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import artifact, axe_source, chromium, served_demo
from tests.videos.fake_oembed import FakeOEmbed

ADMIN = "people-admin@example.org"
SECRET = "people-browser-secret"
VIDEO_ID = "Zx9_-Alps01"
VIEWPORTS = {375: 667, 1280: 800}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture
def fake_oembed() -> Iterator[FakeOEmbed]:
    server = FakeOEmbed().start()
    yield server
    server.stop()


@pytest.fixture
def site(tmp_path: Path, fake_oembed: FakeOEmbed) -> Iterator[dict[str, Any]]:
    """The demo site with an admin, a few subscribers and the fake oEmbed."""
    with served_demo(
        tmp_path, SECRET, youtube_oembed_url=fake_oembed.url, youtube_timeout=5.0
    ) as (app, base):
        with app.extensions["comms"].sessionmaker() as session:
            make_user(session, ADMIN, "admin")
            now = datetime.now(UTC)
            for n, (language, status) in enumerate(
                [("en", "confirmed"), ("de", "confirmed"), ("it", "pending"),
                 ("fr", "unsubscribed"), ("sl", "confirmed")]
            ):  # fmt: skip
                person = Subscriber(
                    email=f"reader{n}@example.net",
                    language=language,
                    topics=["clusters"],
                    regions=[],
                    status=status,
                    source="fair",
                    confirmed_at=now if status == "confirmed" else None,
                )
                person.consents = [Consent(at=now, action="requested", method="form")]
                session.add(person)
            session.commit()
        yield {"app": app, "base": base}


def _axe(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def _check(page: Any, name: str) -> None:
    """At both widths: axe's blocking findings are none; screenshots saved."""
    for width, height in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        violations = _axe(page)
        artifact("a11y", f"{name}-{width}.json").write_text(
            json.dumps(violations, indent=2)
        )
        page.screenshot(
            path=str(artifact("a11y", f"{name}-{width}.png")), full_page=True
        )
        blocking = [
            f"{v['impact']} {v['id']}: {v['help']} "
            f"{[n['target'] for n in v['nodes'][:3]]}"
            for v in violations
            if v["impact"] in BLOCKING
        ]
        assert not blocking, (name, width, blocking)
        sideways = page.evaluate(
            "document.documentElement.scrollWidth"
            " > document.documentElement.clientWidth"
        )
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => "
            "e.getBoundingClientRect().right > document.documentElement.clientWidth)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' '"
            " + (e.textContent || '').slice(0, 40))"
        )
        assert not sideways, f"{name} scrolls sideways at {width} px: {wide}"


def _log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url == f"{base}/admin/"


def test_subscribers_and_videos_pages_pass_axe_at_both_widths(
    site: dict[str, Any], fake_oembed: FakeOEmbed
) -> None:
    base = site["base"]
    fake_oembed.add(VIDEO_ID, "Entrepreneurial discovery in Bayern")
    with chromium(axe=True) as browser:
        page = browser.new_page()
        _log_in(page, base)
        page.goto(f"{base}/admin/subscribers/")
        assert page.locator("h1").inner_text() == "Subscribers"
        assert page.locator('dd[data-status="confirmed"]').inner_text() == "3"
        _check(page, "admin-subscribers")
        page.fill("input[name=q]", "reader2")
        page.click("button:has-text('Filter')")
        assert page.locator("table.people tbody tr").count() == 1
        page.click("text=reader2@example.net")
        assert page.locator("h1").inner_text() == "reader2@example.net"
        _check(page, "admin-subscriber")
        page.click("text=Erase this subscriber")
        _check(page, "admin-subscriber-erase")

        page.goto(f"{base}/admin/subscribers/import")
        csv_file = Path(site["app"].instance_path) / "people.csv"
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        csv_file.write_text(
            "email,language,confirmed_at,source\n"
            "new@example.net,de,2025-01-01T00:00:00Z,fair\n"
            "broken-address,en,,\n"
            "reader0@example.net,en,,\n"
        )
        page.set_input_files("#csv_file", str(csv_file))
        page.click("button:has-text('Preview the import')")
        assert "line 3: " in page.locator(".invalid-rows").inner_text()
        _check(page, "admin-subscribers-import")

        page.goto(f"{base}/admin/videos/")
        assert page.locator("h1").inner_text() == "Videos"
        _check(page, "admin-videos")
        page.fill("#video-url", f"https://youtu.be/{VIDEO_ID}?si=x")
        page.click("button:has-text('Look it up')")
        _check(page, "admin-video-add")


def test_officer_adds_a_video_by_its_address_and_a_visitor_finds_it(
    site: dict[str, Any], fake_oembed: FakeOEmbed
) -> None:
    base = site["base"]
    fake_oembed.add(VIDEO_ID, "edw_bayern_final")
    with chromium() as browser:
        page = browser.new_page()
        _log_in(page, base)
        page.goto(f"{base}/admin/videos/")
        page.fill("#video-url", f"https://www.youtube.com/watch?v={VIDEO_ID}&t=12s")
        page.click("button:has-text('Look it up')")
        assert page.locator("h1").inner_text() == "Add this video?"
        assert page.input_value("#v-title") == "edw_bayern_final"
        thumb = page.locator("img.video-thumb")
        assert thumb.get_attribute("src", timeout=5000).startswith("data:image/jpeg")
        assert page.evaluate("document.querySelector('img.video-thumb').naturalWidth")
        page.fill("#v-title", "Entrepreneurial Discovery Workshop in Bayern")
        page.click("button:has-text('Add and publish')")
        flashes = page.locator(".flashes").inner_text()
        assert "Video added and published" in flashes
        assert "Entrepreneurial Discovery Workshop in Bayern" in flashes

        visitor = browser.new_context().new_page()
        visitor.goto(f"{base}/videos/")
        visitor.click("text=Entrepreneurial Discovery Workshop in Bayern")
        heading = visitor.locator("h1").inner_text()
        assert heading == "Entrepreneurial Discovery Workshop in Bayern"
        poster = visitor.request.get(
            f"{base}/videos/entrepreneurial-discovery-workshop-in-bayern/thumbnail.jpg"
        )
        assert poster.ok and "x-thumbnail" not in poster.headers
        visitor.screenshot(
            path=str(artifact("a11y", "video-added-public.png")), full_page=True
        )
