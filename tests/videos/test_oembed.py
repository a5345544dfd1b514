"""A video's id from any YouTube address, and its title from oEmbed (no API key)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from comms.errors import ValidationFailed
from comms.videos import oembed
from tests.videos.fake_oembed import FakeOEmbed

ID = "dQw4w9WgXcQ"


@pytest.fixture
def fake_oembed() -> Iterator[FakeOEmbed]:
    server = FakeOEmbed().start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("url", "short"),
    [
        (f"https://www.youtube.com/watch?v={ID}", False),
        (f"https://www.youtube.com/watch?v={ID}&t=42s&list=PL123", False),
        (f"https://www.youtube.com/watch?feature=share&v={ID}", False),
        (f"http://youtube.com/watch?v={ID}", False),
        (f"https://m.youtube.com/watch?v={ID}", False),
        (f"www.youtube.com/watch?v={ID}", False),
        (f"https://youtu.be/{ID}", False),
        (f"https://youtu.be/{ID}?si=AbCdEf&t=10", False),
        (f"https://www.youtube.com/shorts/{ID}", True),
        (f"https://youtube.com/shorts/{ID}?feature=share", True),
        (f"https://www.youtube.com/embed/{ID}?start=30&rel=0", False),
        (f"https://www.youtube-nocookie.com/embed/{ID}", False),
        (f"https://www.youtube.com/live/{ID}?si=x", False),
        (f"  {ID}  ", False),
        ("https://youtu.be/-a_B9c-D_e0", False),
    ],
)
def test_video_ref_reads_the_id_from_every_address_form(url, short):
    ref = oembed.video_ref(url)
    expected = url.strip().rsplit("/", 1)[-1].split("?")[0]
    if "watch" in url:
        expected = ID
    assert ref.youtube_id == expected
    assert ref.short is short
    assert ref.watch_url == f"https://www.youtube.com/watch?v={ref.youtube_id}"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://vimeo.com/123456",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQX",  # 12 characters
        "https://www.youtube.com/watch?v=dQw4w9WgXc%21",
        "https://youtu.be/",
        "https://www.youtube.com/@alpclusters",
        "https://www.youtube.com/playlist?list=PL123",
        "javascript:alert(1)//youtu.be/dQw4w9WgXcQ",
        "https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ extra",
    ],
)
def test_video_ref_refuses_what_is_not_a_video_address(url):
    with pytest.raises(ValidationFailed) as caught:
        oembed.video_ref(url)
    assert caught.value.problems[0].startswith("url: ")


def test_fetch_reads_title_and_thumbnail(fake_oembed):
    fake_oembed.add(ID, "Smart specialisation in the Alps")
    found = oembed.fetch(fake_oembed.url, oembed.video_ref(ID), 5.0)
    assert found.title == "Smart specialisation in the Alps"
    assert found.author_name == "S3-4AlpClusters"
    assert found.thumbnail_url == f"{fake_oembed.base}/vi/{ID}/hqdefault.jpg"
    assert (found.thumbnail_width, found.thumbnail_height) == (480, 360)


@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "private or may not be embedded"), (404, "may have been removed")],
)
def test_fetch_says_why_a_private_or_removed_video_has_no_answer(
    fake_oembed, status, says
):
    fake_oembed.add(ID, "Gone", status=status)
    with pytest.raises(oembed.OEmbedUnavailable, match=says):
        oembed.fetch(fake_oembed.url, oembed.video_ref(ID), 5.0)


def test_fetch_says_when_the_endpoint_cannot_be_reached():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(oembed.OEmbedUnavailable, match="cannot be reached"):
        oembed.fetch(f"http://127.0.0.1:{port}/oembed", oembed.video_ref(ID), 2.0)


@pytest.mark.parametrize(
    "body", [[], {"title": ""}, {"title": 3}, {"author_name": "x"}, "text"]
)
def test_parse_answer_refuses_an_answer_without_a_title(body):
    with pytest.raises(oembed.OEmbedUnavailable):
        oembed.parse_answer(body)
