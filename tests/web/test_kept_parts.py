"""What a page shares with every other (head links, header, footer) is rendered once
per language, section and script root, and kept: each page still shows its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string, url_for
from jinja2 import ChoiceLoader, DictLoader, TemplateNotFound
from sqlalchemy import event
from sqlalchemy.orm import Session

from comms.i18n import format_date
from comms.seo import item_path
from comms.storage import MediaStore
from tests.conftest import REPO
from tests.web.helpers import make, page_url, text

PLUS_TWO = timezone(timedelta(hours=2))
_CURRENT = re.compile(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>')


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """These pages read little from the database: SQLite is enough."""
    return f"sqlite:///{tmp_path / 'site.sqlite3'}"


def _current(html: str) -> list[tuple[str, str]]:
    """The navigation entries a page marks as the current one."""
    return _CURRENT.findall(html)


def test_each_page_marks_its_own_section(
    client: Any, session: Session, store: MediaStore
) -> None:
    report = make(session, store, "report", title="Water report")
    session.commit()
    seen = {
        path: _current(text(client.get(path)))
        for path in [
            "/reports/",
            "/videos/",
            page_url(report),
            "/",
            "/search",
            "/about/",
        ]
    }
    assert seen == {
        "/reports/": [("/reports/", "Reports")],
        "/videos/": [("/videos/", "Videos")],
        page_url(report): [("/reports/", "Reports")],
        "/": [("/", "News")],
        "/search": [("/search", "Search")],
        "/about/": [],
    }
    # Asked again in another order, from the kept parts: the same.
    assert _current(text(client.get("/about/"))) == []
    assert _current(text(client.get("/videos/"))) == [("/videos/", "Videos")]


def test_each_language_gets_its_own_header_and_footer(client: Any) -> None:
    english = text(client.get("/?lang=en"))
    german = text(client.get("/?lang=de"))
    again = text(client.get("/?lang=en"))
    assert ">Skip to content<" in english and ">Skip to content<" in again
    assert ">Zum Inhalt springen<" in german
    assert ">Privacy<" in english and ">Datenschutz<" in german
    assert ">Privacy<" not in german


def test_urls_follow_the_script_root_the_site_is_served_under(client: Any) -> None:
    # The same page each time: neither the page cache nor the kept parts may
    # answer one script root with the other's links.
    at_root = text(client.get("/"))
    below = text(client.get("/", environ_overrides={"SCRIPT_NAME": "/news"}))
    at_root_again = text(client.get("/"))
    assert 'href="/privacy/"' in at_root and 'href="/privacy/"' in at_root_again
    assert 'href="/news/privacy/"' in below and 'href="/privacy/"' not in below
    stylesheet = r'<link rel="stylesheet" href="/news/static/site\.[0-9a-f]+\.css">'
    assert re.search(stylesheet, below)
    assert 'href="/news/static/' not in at_root_again


def test_a_missing_optional_template_stays_missing_and_others_load(app: Flask) -> None:
    with app.test_request_context("/"):
        for _ in range(2):
            with pytest.raises(TemplateNotFound):
                app.jinja_env.get_template("kinds/report/_no_such_part.html")
        shown = render_template_string(
            "{% include 'kinds/report/_no_such_part.html' ignore missing %}ok"
        )
    assert shown == "ok"


@pytest.mark.parametrize(
    ("moment", "language", "shown"),
    [
        (datetime(2026, 5, 15, 23, 30, tzinfo=UTC), "en", "15 May 2026"),
        (datetime(2026, 5, 15, 23, 30, tzinfo=UTC), "de", "15. Mai 2026"),
        # Its UTC day, whatever zone the value carries.
        (
            datetime(2026, 5, 16, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            "en",
            "15 May 2026",
        ),
        (datetime(2026, 5, 15, 23, 30), "fr", "15 mai 2026"),  # naive: UTC
    ],
)
def test_a_date_is_shown_on_its_utc_day_in_the_interface_language(
    app: Flask, moment: datetime, language: str, shown: str
) -> None:
    with app.test_request_context(f"/?lang={language}"):
        assert format_date(moment) == shown
        assert format_date(moment) == shown  # kept: the same answer


def test_an_item_page_does_not_load_its_files_words(
    app: Flask, client: Any, session: Session, store: MediaStore
) -> None:
    report = make(session, store, "report", title="Water report")
    session.commit()
    statements: list[str] = []

    def seen(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    engine = app.extensions["comms"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = client.get(page_url(report))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert page.status_code == 200
    # the files are read (joined to the item: `report_file AS report_file_1`) ...
    assert any(re.search(r"\breport_file\b", s) for s in statements)
    # ... without their words
    assert not any(re.search(r"\breport_file(_\d+)?\.text\b", s) for s in statements)


def test_an_edited_header_shows_at_once_while_templates_reload(
    app: Flask, client: Any
) -> None:
    """In debug mode (templates reloaded on change) nothing is kept: an officer
    editing the header sees the edit on the next page."""
    app.jinja_env.auto_reload = True
    assert ">Skip to content<" in text(client.get("/about/"))
    name = "_partials/_chrome_header.html"
    source = (REPO / "templates" / name).read_text()
    edited = source.replace("{{ _('Skip to content') }}", "Jump to the text")
    app.jinja_loader = ChoiceLoader([DictLoader({name: edited}), app.jinja_loader])
    app.jinja_env.cache = {}  # as when the file's time changes
    page = text(client.get("/privacy/"))
    assert ">Jump to the text<" in page and ">Skip to content<" not in page


@pytest.mark.parametrize("script_root", ["", "/news", "/a%00b"])
def test_item_paths_are_the_ones_the_url_map_builds(
    app: Flask, script_root: str
) -> None:
    slugs = ["plain", "ümlaut-straße", "a b", "50%-off", "x:y@z", "quote'd", "%00"]
    # Built once per script root and kind, then filled in: never another's root.
    for root in (script_root, "/other", script_root):
        environ = {"SCRIPT_NAME": root}
        with app.test_request_context("/", environ_overrides=environ):
            for plural in ("reports", "videos"):
                for slug in slugs:
                    expected = url_for("catalogue.item", plural=plural, slug=slug)
                    assert item_path(plural, slug) == expected
                    assert expected.startswith(f"{root}/{plural}/")


def test_a_kinds_label_shows_its_partial_with_the_items_fields_escaped(
    client: Any, session: Session, store: MediaStore
) -> None:
    report = make(session, store, "report", report_type="Deliverable <D1.2>")
    press = make(session, store, "press_release", title="Plain news")
    session.commit()
    page = text(client.get(page_url(report)))
    label = '<p class="card-kind">Report · Deliverable &lt;D1.2&gt;</p>'
    assert label in page
    assert '<p class="card-kind">Press release</p>' in text(client.get(page_url(press)))


def test_a_kind_partial_added_while_templates_reload_shows_at_once(
    app: Flask, client: Any, session: Session, store: MediaStore
) -> None:
    """In debug mode a kind's new partial (here a press release's label and icon)
    is used on the next page: what a kind lacks is not kept either."""
    app.jinja_env.auto_reload = True
    press = make(session, store, "press_release", title="Plain news")
    session.commit()
    before = text(client.get("/"))
    assert '<p class="card-kind">Press release</p>' in before
    assert "M1 1h22" not in before
    parts = {
        "kinds/press_release/_label.html": " · Official",
        "kinds/press_release/_icon.html": '<path d="M1 1h22"/>',
    }
    app.jinja_loader = ChoiceLoader([DictLoader(parts), app.jinja_loader])
    app.jinja_env.cache = {}
    after = text(client.get(page_url(press)))
    assert '<p class="card-kind">Press release · Official</p>' in after
    listing = text(client.get("/press-releases/"))
    assert '<p class="card-kind">Press release · Official</p>' in listing
    assert '<path d="M1 1h22"/></svg>' in listing  # the card's placeholder icon
