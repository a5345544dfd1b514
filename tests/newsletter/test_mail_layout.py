"""The newsletter mail on a phone: fluid up to 600 px, a PNG emblem that loads.

The mail is sent for real (comms newsletter send, to aiosmtpd); its HTML part is
opened in Chromium beside the site that serves its images, at phone and desktop
widths.
"""

from __future__ import annotations

import math
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from werkzeug.serving import make_server

from comms.admin.attachments import Limits, set_image
from comms.checks import check_newsletter
from comms.site import load_site
from tests.admin.helpers import make_user, png_bytes
from tests.browser import artifact, launch, sync_playwright
from tests.conftest import CONTENT
from tests.factories import make_item
from tests.newsletter.helpers import make_issue, make_subscribers
from tests.newsletter.smtp import free_port

ALT = "Flag of the European Union"
WIDTHS = (320, 375, 600, 1280)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def content_dir(content_dir: Path) -> Path:
    """The test site with the demo's emblems: the SVG for pages, the PNG for mail."""
    media = content_dir / "media"
    media.mkdir()
    for name in ("eu-emblem.svg", "eu-emblem.png"):
        shutil.copy(CONTENT / "media" / name, media / name)
    path = content_dir / "site.yml"
    path.write_text(
        path.read_text().replace(
            "funding: {text: Co-funded by the European Union}",
            "funding: {text: Co-funded by the European Union, "
            "emblem: media/eu-emblem.svg, mail_emblem: media/eu-emblem.png}",
        )
    )
    return content_dir


@pytest.fixture
def settings(settings, port: int):  # type: ignore[no-untyped-def]
    """Links and images in mail point at the test server below."""
    return replace(settings, site_url=f"http://127.0.0.1:{port}")


@pytest.fixture
def live(app, port: int) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def received(runner, session, store, smtp) -> EmailMessage:  # type: ignore[no-untyped-def]
    """The issue as the SMTP server received it: items with a picture and a long
    unbroken title, which must wrap rather than widen the mail."""
    pictured = make_item(
        session,
        slug="with-picture",
        title="Cluster policy across eleven Alpine regions",
        summary="A summary long enough to wrap over several lines on a phone. " * 3,
    )
    officer = make_user(session, "officer@example.org", "editor")
    set_image(
        session, officer, store, pictured.id, data=png_bytes((640, 360)),
        alt="A map", limits=Limits(1024 * 1024, 40_000_000), now=datetime.now(UTC),
    )  # fmt: skip
    make_item(session, slug="long-title", title="Smart" + "specialisation" * 6)
    make_issue(
        session,
        items=[("press_release", "with-picture"), ("press_release", "long-title")],
    )
    [reader] = make_subscribers(session, 1)
    result = runner.invoke(args=["newsletter", "send", "issue-1"])
    assert result.exit_code == 0, result.output
    [mail] = smtp.recorder.to(reader)
    return mail.message


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_the_mail_is_fluid_and_names_the_eu_in_text_and_a_png(received, port):
    html = _html(received)
    emblem = re.search(r"<img\b[^>]*\balt=\"" + ALT + r"\"[^>]*>", html)
    assert emblem is not None
    tag = emblem[0]
    assert f'src="http://127.0.0.1:{port}/media/eu-emblem.png"' in tag
    assert 'width="75"' in tag and 'height="50"' in tag
    assert "<strong>Co-funded by the European Union</strong>" in html
    assert 'width="600"' not in html.replace("<!--[if mso]>", "\n").split("\n", 1)[0]
    assert "max-width: 600px" in html
    assert "@media" in html  # the narrow-screen rules survive the inlining
    text = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Co-funded by the European Union" in text


def test_the_mail_fits_a_phone_and_its_emblem_loads(received, live):
    html = _html(received)
    start = sync_playwright()
    with start() as playwright:
        browser = launch(playwright)
        try:
            for width in WIDTHS:
                _check_width(browser, html, width)
        finally:
            browser.close()


def _check_width(browser: Any, html: str, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    loaded: dict[str, tuple[int, str]] = {}
    page.on(
        "response",
        lambda r: loaded.__setitem__(
            r.url, (r.status, r.headers.get("content-type", ""))
        ),
    )
    page.set_content(html, wait_until="load")
    page.screenshot(
        path=str(artifact("newsletter", f"mail-{width}.png")), full_page=True
    )
    sideways = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"the mail scrolls {sideways} px sideways at {width} px"
    emblem = page.locator(f"img[alt='{ALT}']")
    state = emblem.evaluate(
        "img => ({src: img.currentSrc, complete: img.complete, natural: "
        "[img.naturalWidth, img.naturalHeight], shown: [img.width, img.height]})"
    )
    assert state["src"].endswith("/media/eu-emblem.png")
    assert state["complete"] and state["natural"] == [150, 100], state
    assert state["shown"] == [75, 50], state  # its declared size, at 2x density
    assert loaded[state["src"]] == (200, "image/png")
    # everything stays inside the window: no element is cut off at the right
    overflow = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => "
        "e.getBoundingClientRect().right > window.innerWidth + 0.5).length"
    )
    assert overflow == 0, f"{overflow} elements overflow at {width} px"
    if width <= 375:  # stacked: the picture above its text, the text full width
        thumb = page.locator("img.thumb").bounding_box()
        title = page.locator("h3 a", has_text="Cluster policy").bounding_box()
        assert thumb and title and title["y"] >= thumb["y"] + thumb["height"]
    page.close()


def _near(pixel: Any, colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 16 for a, b in zip(pixel, colour, strict=True))


def test_the_emblem_png_is_the_flag_at_twice_its_shown_size():
    blue, gold = (0x00, 0x33, 0x99), (0xFF, 0xDD, 0x00)
    with Image.open(CONTENT / "media" / "eu-emblem.png") as image:
        assert image.format == "PNG" and image.size == (150, 100)  # 3:2, 2 x 75x50
        rgb = image.convert("RGB")
    assert rgb.getpixel((4, 4)) == blue
    assert rgb.getpixel((75, 50)) == blue  # the circle of stars is empty inside
    # twelve stars where the hours are, on a circle of a third of the height
    for hour in range(12):
        angle = math.radians(-90 + 30 * hour)
        x, y = 75 + 100 / 3 * math.cos(angle), 50 + 100 / 3 * math.sin(angle)
        assert _near(rgb.getpixel((int(x), int(y))), gold), hour
        # between two stars: blue again
        between = angle + math.radians(15)
        x, y = 75 + 100 / 3 * math.cos(between), 50 + 100 / 3 * math.sin(between)
        assert _near(rgb.getpixel((int(x), int(y))), blue), hour
    # the stars' area (a pixel's red channel: 0 on blue, 255 on gold) is that of
    # twelve stars of radius h/18: 12 x 5 R r sin 36 degrees, r the inner radius
    area = sum(p[0] for p in rgb.get_flattened_data()) / 255
    radius = 100 / 18
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    expected = 12 * 5 * radius * inner * math.sin(math.radians(36))
    assert abs(area - expected) / expected < 0.1, (area, expected)
    site = load_site(CONTENT)
    assert site.emblem_for_mail() == "media/eu-emblem.png"


def test_check_fails_a_mail_whose_emblem_is_an_svg(app, tmp_path):
    site = replace(app.extensions["comms"].site, mail_emblem=None)
    assert site.emblem == "media/eu-emblem.svg"
    problems, _notes = check_newsletter(app, site)
    assert any("SVG" in p and "mail_emblem" in p for p in problems), problems
    problems, _notes = check_newsletter(app, app.extensions["comms"].site)
    assert problems == []
