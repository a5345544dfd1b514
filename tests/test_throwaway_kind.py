"""A fifth kind is one module and its templates: a podcast, registered for the test.

The podcast kind below is all a project writes to add a kind (its fields, their
checks, its partials); everything else (content files, the admin editor, the
listings, the feeds, the API and both exports) must take it from the registry.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import select

from comms import create_app, kinds, links
from comms.catalogue.content_files import import_tree
from comms.catalogue.models import Item
from comms.db import init_db
from comms.errors import ValidationFailed
from comms.jobs.queue import stop_jobs
from comms.kinds import values
from comms.static_export import export_site
from comms.text import duration_seconds
from tests.admin.helpers import log_in_as, make_user, post

ATOM = "{http://www.w3.org/2005/Atom}"
AUDIO = "https://media.example.org/alpine-clusters-ep1.mp3"
EPISODE = (
    "---\n"
    "title: Clusters in the Alps, episode one\n"
    "summary: Two cluster managers on smart specialisation.\n"
    "published_at: 2026-03-02T08:00:00Z\n"
    "tags: [clusters]\n"
    f"audio_url: {AUDIO}\n"
    "duration: PT42M10S\n"
    "---\n"
    "Show notes with *Markdown*.\n"
)


def iso_duration(value: Any) -> str:
    """An ISO 8601 duration such as PT42M10S."""
    text = values.text(value)
    if duration_seconds(text) is None:
        raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. PT42M)")
    return text


PODCAST = kinds.Kind(
    name="podcast",
    plural="podcasts",
    label="Podcast",
    plural_label="Podcasts",
    in_sentence="podcasts",
    archived_notice="This episode is archived.",
    fields=(
        kinds.Field(
            "audio_url",
            values.url,
            label="Audio file",
            widget="url",
            required=True,
            schema={"type": ["string", "null"], "format": "uri"},
            shown=links.shown_url,
        ),
        kinds.Field(
            "duration",
            iso_duration,
            label="Duration",
            hint="ISO 8601, e.g. PT42M",
            limit=40,
            schema={"type": ["string", "null"]},
        ),
    ),
)
PARTIALS = {
    "_before_body.html": (
        '<audio class="podcast-audio" controls preload="none" '
        "src=\"{{ item.details.get('audio_url')|public_url }}\"></audio>\n"
    ),
    "_card_meta.html": (
        "{% include 'kinds/_card_meta.html' %}"
        "{% if item.details.get('duration') %} · "
        "<span class=\"podcast-length\">{{ item.details['duration']|duration }}</span>"
        "{% endif %}\n"
    ),
}


@pytest.fixture
def podcast_kind():  # type: ignore[no-untyped-def]
    """The podcast kind, registered for one test only."""
    kinds.register(PODCAST)
    yield PODCAST
    kinds.unregister(PODCAST.name)
    assert "podcast" not in kinds.KINDS


@pytest.fixture
def app(podcast_kind, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The app built after the kind is registered, with its partials on the path."""
    folder = tmp_path / "templates" / "kinds" / "podcast"
    folder.mkdir(parents=True)
    for name, text in PARTIALS.items():
        (folder / name).write_text(text, encoding="utf-8")
    app = create_app(settings)
    assert app.jinja_env.loader is not None
    app.jinja_env.loader = ChoiceLoader(
        [FileSystemLoader(str(tmp_path / "templates")), app.jinja_env.loader]
    )
    init_db(app.extensions["comms"].engine)
    yield app
    stop_jobs(app)
    app.extensions["comms"].engine.dispose()


def _write(content_dir: Path, name: str, text: str) -> Path:
    path = content_dir / "podcasts" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def episode(session, store, content_dir) -> Item:
    """One published episode, imported from its content file."""
    _write(content_dir, "episode-one.en.md", EPISODE)
    import_tree(session, store, content_dir)
    session.commit()
    return session.scalars(select(Item).where(Item.kind == "podcast")).one()


def test_podcast_is_imported_from_its_content_file(episode) -> None:
    assert episode.slug == "episode-one"
    assert episode.details == {"audio_url": AUDIO, "duration": "PT42M10S"}
    assert [t.name for t in episode.tags] == ["clusters"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("duration: PT42M10S", "duration: forever"), "duration: 'forever' is not"),
        ((f"audio_url: {AUDIO}\n", ""), "audio_url is required for a podcast"),
        ((AUDIO, "javascript:alert(1)"), "audio_url: "),
    ],
)
def test_bad_podcast_file_is_refused_with_the_reason(
    session, store, content_dir, change, reason
) -> None:
    path = _write(content_dir, "bad.en.md", EPISODE.replace(*change))
    with pytest.raises(ValidationFailed) as caught:
        import_tree(session, store, content_dir)
    assert any(p.startswith(f"{path}: {reason}") for p in caught.value.problems), (
        caught.value.problems
    )
    assert session.scalars(select(Item)).first() is None


def test_admin_editor_shows_and_saves_podcast_fields(app, session) -> None:
    client = app.test_client()
    log_in_as(client, make_user(session, "editor@example.org"))
    form = client.get("/admin/items/new/podcasts")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'name="audio_url" type="url"' in html
    assert 'name="duration" type="text"' in html
    assert "ISO 8601, e.g. PT42M" in html
    assert 'href="/admin/items/new/podcasts"' in html  # the menu offers the kind

    data = {"title": "Episode two", "language": "en", "action": "save",
            "audio_url": AUDIO, "duration": "one hour"}  # fmt: skip
    refused = post(client, "/admin/items/new/podcasts", data)
    assert refused.status_code == 422
    assert "duration: &#39;one hour&#39; is not an ISO 8601 duration" in (
        refused.get_data(as_text=True)
    )
    assert session.scalars(select(Item)).first() is None

    saved = post(client, "/admin/items/new/podcasts", {**data, "duration": "PT1H"})
    assert saved.status_code == 303
    item = session.scalars(select(Item).where(Item.slug == "episode-two")).one()
    assert (item.kind, item.status) == ("podcast", "draft")
    assert item.details == {"audio_url": AUDIO, "duration": "PT1H"}
    editor = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert f'name="audio_url" type="url" value="{AUDIO}"' in editor
    assert 'name="duration" type="text" value="PT1H"' in editor


def test_podcast_is_listed_on_its_page_and_the_home(client, episode) -> None:
    listing = client.get("/podcasts/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "<h1>Podcasts</h1>" in page
    assert "Clusters in the Alps, episode one" in page
    assert '<span class="podcast-length">42:10</span>' in page
    home = client.get("/").get_data(as_text=True)
    assert 'href="/podcasts/episode-one/"' in home
    assert '<a href="/podcasts/"' in home  # the main navigation
    item = client.get("/podcasts/episode-one/")
    assert item.status_code == 200
    assert f'<audio class="podcast-audio" controls preload="none" src="{AUDIO}">' in (
        item.get_data(as_text=True)
    )
    assert client.get("/podcasts/no-such-episode/").status_code == 404


@pytest.mark.parametrize("scope", ["", "/podcasts"])
def test_podcast_is_in_the_feeds(client, episode, scope) -> None:
    link = "http://127.0.0.1:5000/podcasts/episode-one/"
    rss = ET.fromstring(client.get(f"{scope}/feed.xml").data)
    assert link in [i.findtext("link") for i in rss.iter("item")]
    atom = ET.fromstring(client.get(f"{scope}/feed.atom").data)
    hrefs = [e.get("href") for e in atom.iter(f"{ATOM}link")]
    assert link in hrefs
    feed = json.loads(client.get(f"{scope}/feed.json").data)
    assert link in [i["url"] for i in feed["items"]]
    if scope:
        assert rss.findtext("channel/title") == "Test Project: Podcasts"


def test_api_schema_and_item_data_include_the_podcast(client, episode) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    item_schema = document["components"]["schemas"]["Item"]
    assert "podcast" in item_schema["properties"]["kind"]["enum"]
    assert item_schema["properties"]["audio_url"]["format"] == "uri"
    assert "duration" in item_schema["properties"]
    listed = client.get("/api/v1/items?kind=podcasts").get_json()
    assert [i["slug"] for i in listed["items"]] == ["episode-one"]
    data = client.get("/api/v1/items/podcast/episode-one").get_json()
    assert (data["audio_url"], data["duration"]) == (AUDIO, "PT42M10S")


def test_static_export_writes_the_podcast_pages(app, episode, tmp_path) -> None:
    out = tmp_path / "site"
    export_site(app, out)
    page = (out / "podcasts" / "episode-one" / "index.html").read_text()
    assert "Clusters in the Alps, episode one" in page
    assert (out / "podcasts" / "index.html").exists()
    assert (out / "podcasts" / "feed.xml").exists()


def test_content_export_of_a_podcast_reimports_identically(
    runner, session, store, episode, tmp_path
) -> None:
    first = tmp_path / "first"
    assert runner.invoke(args=["export", str(first)]).exit_code == 0
    written = (first / "podcasts" / "episode-one.en.md").read_text()
    assert f"audio_url: {AUDIO}\nduration: PT42M10S\n" in written
    report = import_tree(session, store, first)
    session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    second = tmp_path / "second"
    assert runner.invoke(args=["export", str(second)]).exit_code == 0
    assert (second / "podcasts" / "episode-one.en.md").read_text() == written
