"""The rules the W3C feed validator found broken, over every feed variant of the demo.

MediaGroupWithoutAlternatives: a media:group must hold several media:content.
DuplicateUpdated: two Atom entries of one document with the same atom:updated.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from comms.config import Settings
from tests.conftest import CONTENT
from tests.feeds.helpers import ATOM, fetch, strict_xml

MEDIA = "{http://search.yahoo.com/mrss/}"
KIND_PATHS = ["", "/press-releases", "/reports", "/videos", "/events", "/newsletter"]
LANGUAGES = ["en", "de", "fr", "it", "sl"]


@pytest.fixture(params=[5, 50], ids=["paged", "whole"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Small feed pages (second and third pages), and the default size."""
    return replace(settings, feed_size=request.param)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _every_feed(client) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every RSS and Atom document of the site, found by following its links."""
    todo = [
        f"{path}/feed.{fmt}" + (f"?lang={lang}" if lang != "en" else "")
        for fmt in ("xml", "atom")
        for path in KIND_PATHS
        for lang in LANGUAGES
    ]
    seen: dict[str, object] = {}
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        root = strict_xml(fetch(client, url))
        seen[url] = root
        fmt = "atom" if url.split("?")[0].endswith(".atom") else "xml"
        for link in root.iter(f"{ATOM}link"):
            if link.get("rel") == "next":
                todo.append(_local(link.get("href")))
        for category in root.iter("category", f"{ATOM}category"):
            scheme = category.get("scheme") or category.get("domain") or ""
            term = category.get("term") or category.text
            for kind in ("tags", "regions"):
                if scheme.endswith(f"/{kind}/"):
                    todo.append(f"/{kind}/{term}/feed.{fmt}")
    return seen


def _import_demo(runner, content_dir) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(CONTENT / "site.yml", content_dir / "site.yml")
    result = runner.invoke(args=["import", str(CONTENT)])
    assert result.exit_code == 0, result.output


def test_no_feed_wraps_a_single_media_content_in_a_media_group(
    client, runner, content_dir, settings
) -> None:
    _import_demo(runner, content_dir)
    feeds = _every_feed(client)
    assert any("page=3" in url for url in feeds) == (settings.feed_size == 5)
    assert any(url.startswith("/tags/") for url in feeds)
    assert any(url.startswith("/regions/") for url in feeds)
    assert "/newsletter/feed.atom?lang=de" in feeds
    with_media = 0
    for url, root in feeds.items():
        for group in root.iter(f"{MEDIA}group"):  # type: ignore[attr-defined]
            assert len(group.findall(f"{MEDIA}content")) > 1, url
        with_media += len(list(root.iter(f"{MEDIA}content")))  # type: ignore[attr-defined]
    assert with_media  # the videos' players and the items' images are still there


def test_no_two_atom_entries_of_one_feed_share_their_updated_time(
    client, runner, content_dir
) -> None:
    _import_demo(runner, content_dir)
    feeds = _every_feed(client)
    atom = {url: root for url, root in feeds.items() if ".atom" in url}
    assert len(atom) > 20
    for url, root in atom.items():
        stamps = [e.findtext(f"{ATOM}updated") for e in root.iterfind(f"{ATOM}entry")]  # type: ignore[attr-defined]
        assert len(stamps) == len(set(stamps)), url
