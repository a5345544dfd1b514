"""WebSub: feeds name the hub, and an import that changes the catalogue pings it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from comms import create_app
from comms.db import init_db
from comms.feeds.websub import ping_hub
from comms.jobs.queue import stop_jobs, wait_idle
from tests.factories import make_item, write_content
from tests.feeds.helpers import ATOM, SITE, fetch, parse_json_feed, strict_xml


class Hub:
    """A WebSub hub stand-in on 127.0.0.1 recording every publish ping."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hub.pings.append(parse_qs(self.rfile.read(length).decode()))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"

    def topics(self) -> list[str]:
        """The topic URLs pinged so far."""
        assert all(p["hub.mode"] == ["publish"] for p in self.pings)
        return [url for p in self.pings for url in p["hub.url"]]


@contextmanager
def running_hub() -> Iterator[Hub]:
    """A hub stand-in serving on loopback in a thread, stopped on exit."""
    stand_in = Hub()
    thread = threading.Thread(
        target=stand_in.server.serve_forever, args=(0.05,), daemon=True
    )
    thread.start()
    try:
        yield stand_in
    finally:
        stand_in.server.shutdown()
        stand_in.server.server_close()
        thread.join()


@pytest.fixture
def hub() -> Iterator[Hub]:
    with running_hub() as stand_in:
        yield stand_in


@pytest.fixture
def hub_app(settings, hub):
    app = create_app(replace(settings, websub_hub=hub.url))
    init_db(app.extensions["comms"].engine)
    yield app
    stop_jobs(app)
    app.extensions["comms"].engine.dispose()


def test_every_feed_format_names_the_hub(hub_app, hub):
    client = hub_app.test_client()
    with hub_app.extensions["comms"].sessionmaker() as session:
        make_item(session)
    rss = strict_xml(fetch(client, "/feed.xml"))
    assert rss.find(f"channel/{ATOM}link[@rel='hub']").get("href") == hub.url
    atom = strict_xml(fetch(client, "/reports/feed.atom"))
    assert atom.find(f"{ATOM}link[@rel='hub']").get("href") == hub.url
    doc = parse_json_feed(fetch(client, "/feed.json"))
    assert doc["hubs"] == [{"type": "WebSub", "url": hub.url}]


def test_feeds_name_no_hub_when_none_is_set(client, session):
    make_item(session)
    assert b'rel="hub"' not in fetch(client, "/feed.xml")
    assert "hubs" not in parse_json_feed(fetch(client, "/feed.json"))


def test_import_that_changes_the_catalogue_pings_the_hub(hub_app, hub, content_dir):
    write_content(
        content_dir,
        "press-releases/first-results.en.md",
        "---\ntitle: First results\npublished_at: 2018-05-15T09:00:00Z\n---\nBody.\n",
    )
    runner = hub_app.test_cli_runner()
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code == 0, result.output
    assert "1 public items announced" in result.output
    assert wait_idle(hub_app, 30)
    topics = hub.topics()
    assert f"{SITE}/feed.xml" in topics
    assert f"{SITE}/press-releases/feed.atom" in topics
    assert len(topics) == 6  # site and kind feeds, three formats each
    pinged = len(hub.pings)
    again = runner.invoke(args=["import", str(content_dir)])
    assert again.exit_code == 0, again.output
    assert wait_idle(hub_app, 30)
    assert len(hub.pings) == pinged
    assert "announced" not in again.output


def test_ping_hub_posts_each_topic_and_survives_a_dead_hub(settings, hub):
    topics = [f"{SITE}/feed.xml", f"{SITE}/feed.atom"]
    assert ping_hub(replace(settings, websub_hub=hub.url), topics) == 2
    assert hub.topics() == topics
    assert ping_hub(settings, topics) == 0
    dead = "http://127.0.0.1:9/hub"
    assert ping_hub(replace(settings, websub_hub=dead), topics) == 0
