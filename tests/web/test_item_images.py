"""An item's uploaded image on its page and card, in og:image, feeds, API and export."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest

from comms.admin.attachments import Limits, set_image
from comms.static_export import export_site
from tests.admin.helpers import make_user, png_bytes
from tests.factories import make_item
from tests.feeds.helpers import parse_json_feed, parse_xml_feed
from tests.web.helpers import KINDS, listing_url, make, page_url

SITE = "http://127.0.0.1:5000"
ALT = "Partners around a map of the Alps"


@pytest.fixture
def pictured(session, store):
    """A press release with an image uploaded in the admin, and the image's path."""
    item = make_item(session, slug="with-image", title="With an image")
    officer = make_user(session, "officer@example.org", "editor")
    set_image(
        session, officer, store, item.id, data=png_bytes((64, 40)), alt=ALT,
        limits=Limits(1024 * 1024, 40_000_000), now=datetime.now(UTC),
    )  # fmt: skip
    session.refresh(item)
    assert item.image and item.image.startswith("/media/images/")
    return item, item.image


def _img_alts(html: str, src: str) -> list[str]:
    tags = [t for t in re.findall(r"<img\b[^>]*>", html) if f'src="{src}"' in t]
    return [unescape(re.search(r'alt="([^"]*)"', t)[1]) for t in tags]  # type: ignore[index]


def test_item_page_and_card_show_the_image_with_its_alt_text(client, pictured):
    item, src = pictured
    page = client.get(page_url(item)).get_data(as_text=True)
    assert _img_alts(page, src) == [ALT]
    for listing in ("/", listing_url(item.kind)):
        html = client.get(listing).get_data(as_text=True)
        assert _img_alts(html, src) == [ALT], listing
    with client.get(src) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_image_is_the_pages_og_and_twitter_image(client, pictured):
    item, src = pictured
    page = client.get(page_url(item)).get_data(as_text=True)
    assert f'<meta property="og:image" content="{SITE}{src}">' in page
    assert f'<meta property="og:image:alt" content="{ALT}">' in page
    assert f'<meta name="twitter:image" content="{SITE}{src}">' in page
    assert f'"image":"{SITE}{src}"' in page  # JSON-LD


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_its_image(client, session, store, pictured, kind):
    _item, src = pictured
    other = make(session, store, kind, image=src, details={"image_alt": "A chart"})
    page = client.get(page_url(other)).get_data(as_text=True)
    if kind == "video":  # the image is the poster of the click-to-load player
        assert f'class="video-poster" src="{src}" alt="A chart"' in page
    else:
        assert _img_alts(page, src) == ["A chart"]


def test_feeds_carry_the_image(client, pictured):
    _item, src = pictured
    for fmt in ("xml", "atom"):
        entry = parse_xml_feed(client.get(f"/feed.{fmt}").data).entries[0]
        media = entry.media_content[0]
        assert media["url"] == f"{SITE}{src}"
        assert media["medium"] == "image" and media["type"] == "image/png"
    doc = parse_json_feed(client.get("/feed.json").data)
    assert doc["items"][0]["image"] == f"{SITE}{src}"


def test_api_gives_the_image_url_and_alt(client, pictured):
    item, src = pictured
    data = json.loads(client.get(f"/api/v1/items/{item.kind}/{item.slug}").data)
    assert data["image"] == f"{SITE}{src}"
    assert data["image_alt"] == ALT


def test_static_export_copies_the_image(app, client, pictured, tmp_path):
    item, src = pictured
    out = tmp_path / "site"
    export_site(app, out)
    with client.get(src) as live:
        assert (out / src.lstrip("/")).read_bytes() == live.data
    assert src in (out / page_url(item).lstrip("/") / "index.html").read_text()


def test_a_draft_items_image_is_not_published_through_its_page(client, session, store):
    draft = make_item(session, status="draft", image="/media/images/x.png")
    assert client.get(page_url(draft)).status_code == 404
    assert "/media/images/x.png" not in client.get("/feed.xml").get_data(as_text=True)
