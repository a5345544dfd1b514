"""The news page says what the project is and features its newest item."""

from __future__ import annotations

import re

from tests.factories import make_item, past
from tests.web.helpers import cards, text

_INTRO = re.compile(r'<section class="intro".*?</section>', re.S)
_FEATURED = re.compile(r'<div class="featured">.*?</div>', re.S)


def test_home_shows_the_site_description_and_features_the_newest_item(client, session):
    make_item(session, slug="older", title="Older news", published_at=past(5))
    make_item(session, slug="newest", title="Newest news", published_at=past(1))
    make_item(session, slug="middle", title="Middle news", published_at=past(3))
    html = text(client.get("/"))
    intro = _INTRO.search(html)
    assert intro is not None
    assert '<p class="intro-text">A test site</p>' in intro.group(0)  # site.yml
    assert 'href="/about/"' in intro.group(0)
    featured = _FEATURED.search(html)
    assert featured is not None
    assert cards(featured.group(0)) == ["/press-releases/newest/"]
    assert "card-featured" in featured.group(0)
    # the others follow, each once
    assert cards(html) == [
        "/press-releases/newest/",
        "/press-releases/middle/",
        "/press-releases/older/",
    ]


def test_listings_and_filtered_pages_have_no_intro_or_featured_item(client, session):
    make_item(session, tags=["clusters"])
    for url in ("/press-releases/", "/?tag=clusters", "/?page=1&kind=report"):
        html = text(client.get(url))
        assert _INTRO.search(html) is None, url
        assert _FEATURED.search(html) is None, url
