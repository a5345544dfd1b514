"""Full-text search on SQLite (FTS5) and PostgreSQL: ranking, snippets, filters."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import insert

from comms.catalogue.content_files import import_tree
from comms.catalogue.models import Item
from comms.search import service
from comms.search.query import parse_query
from tests.factories import (
    future,
    make_item,
    make_pdf,
    make_report,
    past,
    write_content,
)

_HIT = re.compile(
    r'<li class="search-hit"[^>]*>.*?<h3 class="card-title"><a href="([^"]+)">(.*?)</a>'
    r".*?</li>",
    re.S,
)


def hits(client, query: str, **params: str) -> list[str]:
    """The result URLs of a search, in order."""
    response = client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200
    return [m.group(1) for m in _HIT.finditer(response.get_data(as_text=True))]


def slugs(client, query: str, **params: str) -> list[str]:
    """The result slugs of a search, in order."""
    return [url.rstrip("/").rsplit("/", 1)[-1] for url in hits(client, query, **params)]


def test_title_match_ranks_above_body_match(client, session):
    make_item(session, slug="in-body", title="Annual update", body="About glaciers.")
    make_item(session, slug="in-summary", title="Plans", summary="Glaciers melt.")
    make_item(session, slug="in-title", title="Glaciers of the Alps", body="Text.")
    assert slugs(client, "glaciers") == ["in-title", "in-summary", "in-body"]


def test_words_are_stemmed_and_all_must_match(client, session):
    make_item(session, slug="both", title="Cluster policy in Bavaria")
    make_item(session, slug="one", title="Cluster managers meet")
    assert slugs(client, "clusters bavaria") == ["both"]
    assert sorted(slugs(client, "cluster")) == ["both", "one"]


def test_phrase_exclusion_and_alternatives(client, session):
    make_item(session, slug="a", title="Smart specialisation strategy")
    make_item(session, slug="b", title="Strategy for smart cities")
    make_item(session, slug="c", title="Tourism report")
    assert slugs(client, '"smart specialisation"') == ["a"]
    assert slugs(client, "strategy -cities") == ["a"]
    assert sorted(slugs(client, "tourism or cities")) == ["b", "c"]


def test_snippet_highlights_matches_and_escapes_everything(client, session):
    make_item(
        session,
        slug="hostile",
        title="<b>Bold</b> & glaciers",
        summary="",
        body='Before <script>alert("x")</script> the glaciers & <img src=x> after.',
    )
    html = client.get("/search?q=glaciers").get_data(as_text=True)
    results = html[html.index('class="search-results"') :]
    assert "<script>alert" not in results
    assert "<img src=x>" not in results
    assert "&lt;script&gt;" in results
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; <mark>glaciers</mark>" in results
    snippet = re.search(r'<p class="search-snippet">(.*?)</p>', results, re.S)
    assert snippet is not None
    assert "<mark>glaciers</mark>" in snippet.group(1)
    tags = set(re.findall(r"</?(\w+)", snippet.group(1)))
    assert tags == {"mark"}


def test_text_of_an_imported_report_pdf_is_found(client, session, store, content_dir):
    (content_dir / "media").mkdir()
    (content_dir / "media" / "alps.pdf").write_bytes(make_pdf("Ibex habitat survey"))
    write_content(
        content_dir,
        "reports/alpine-fauna.en.md",
        "---\ntitle: Alpine fauna\nsummary: A study.\n"
        "published_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../media/alps.pdf, language: en}]\n---\nNo mention here.\n",
    )
    import_tree(session, store, content_dir)
    session.commit()
    assert slugs(client, "ibex") == ["alpine-fauna"]
    html = client.get("/search?q=ibex").get_data(as_text=True)
    assert "<mark>Ibex</mark> habitat survey" in html


def test_index_follows_edits_file_changes_and_deletes(client, session, store):
    item = make_item(session, slug="edited", title="Old heading")
    assert slugs(client, "heading") == ["edited"]
    item.title = "Fresh caption"
    session.commit()
    assert slugs(client, "heading") == []
    assert slugs(client, "caption") == ["edited"]
    item.override_title = "Local override wording"
    session.commit()
    assert slugs(client, "caption") == []
    assert slugs(client, "wording") == ["edited"]

    report = make_report(session, store, slug="with-file")
    report.files[0].text = "Marmots everywhere"
    session.commit()
    assert slugs(client, "marmots") == ["with-file"]
    report.files = []
    session.commit()
    assert slugs(client, "marmots") == []

    session.delete(item)
    session.commit()
    assert slugs(client, "wording") == []


def test_rows_inserted_without_the_orm_are_indexed(client, session, app):
    engine = app.extensions["comms"].engine
    with engine.begin() as conn:
        conn.execute(
            insert(Item.__table__),
            [
                {
                    "uid": "00000000-0000-4000-8000-000000000001",
                    "kind": "event",
                    "slug": "bulk",
                    "language": "en",
                    "translation": "bulk",
                    "title": "Bulk inserted workshop",
                    "summary": "",
                    "body": "",
                    "body_html": "",
                    "status": "published",
                    "published_at": past(1),
                    "created_at": past(1),
                    "updated_at": past(1),
                    "demo": False,
                    "version": 1,
                    "details": {},
                    "hidden": False,
                }
            ],
        )
    assert slugs(client, "workshop") == ["bulk"]


INVISIBLE = {
    "draft": {"status": "draft"},
    "archived": {"status": "archived"},
    "scheduled": {"published_at": future(1)},
    "hidden-video": {"kind": "video", "hidden": True},
    "private-video": {"kind": "video", "availability": "private"},
    "deleted-video": {"kind": "video", "availability": "deleted"},
}


def test_items_the_public_may_not_see_are_never_found(client, session):
    for name, fields in INVISIBLE.items():
        make_item(
            session, slug=name, title=f"Confidential marmot plan {name}", **fields
        )
    make_item(session, slug="public", title="Public marmot plan")
    assert slugs(client, "marmot") == ["public"]
    assert slugs(client, "confidential") == []


def test_filters_kind_tag_and_region(client, session, store):
    make_item(session, slug="pr", title="Ski resorts", tags=["tourism"])
    make_report(session, store, slug="rep", title="Ski areas", regions=["bayern"])
    make_item(session, kind="event", slug="ev", title="Ski day", regions=["lombardia"])
    assert sorted(slugs(client, "ski")) == ["ev", "pr", "rep"]
    assert slugs(client, "ski", kind="report") == ["rep"]
    assert slugs(client, "ski", kind="events") == ["ev"]
    assert slugs(client, "ski", tag="tourism") == ["pr"]
    assert slugs(client, "ski", region="lombardia") == ["ev"]
    assert slugs(client, "ski", region="nowhere") == []


def test_one_version_per_translation_in_the_visitors_language(client, session):
    make_item(session, slug="glacier-en", translation="g", title="Glacier monitoring")
    make_item(
        session,
        slug="glacier-de",
        translation="g",
        language="de",
        title="Glacier Monitoring der Gletscher",
    )
    make_item(session, slug="only-de", language="de", title="Gletscher und Glacier")
    assert sorted(slugs(client, "glacier")) == ["glacier-en", "only-de"]
    assert sorted(slugs(client, "glacier", lang="de")) == ["glacier-de", "only-de"]
    # a word only the German version holds still finds it
    assert slugs(client, "monitoring gletscher") == ["glacier-de"]


def test_results_are_paged(client, session, settings):
    for n in range(settings.page_size + 2):
        make_item(session, slug=f"p{n}", title=f"Avalanche bulletin {n}")
    first = client.get("/search?q=avalanche").get_data(as_text=True)
    assert len(_HIT.findall(first)) == settings.page_size
    assert 'rel="next"' in first
    second = hits(client, "avalanche", page="2")
    assert len(second) == 2
    assert client.get("/search?q=avalanche&page=0").status_code == 400
    assert client.get("/search?q=avalanche&kind=nonsense").status_code == 400


def test_words_most_items_hold_match_but_rarer_words_rank(client, session, monkeypatch):
    # "project" is in nearly every item: bm25 gives it no weight, so the ranking
    # counts the rarer words only, and must come out as ranking by every word
    for n in range(6):
        make_item(session, slug=f"filler-{n}", title=f"Project news {n}", body="Text.")
    make_item(session, slug="in-body", title="Project update", body="On glaciers.")
    make_item(session, slug="in-title", title="Project glaciers", body="Text.")
    make_item(session, slug="twice", title="Glaciers project", summary="Glaciers.")
    make_item(session, slug="no-project", title="Glaciers", body="Text.")
    queries = ["project glaciers", "glaciers project -update", "news or glaciers"]
    expected = {
        "project glaciers": ["twice", "in-title", "in-body"],
        "glaciers project -update": ["twice", "in-title"],
    }
    found = {q: slugs(client, q) + slugs(client, q, page="2") for q in queries}
    for query, wanted in expected.items():
        assert found[query] == wanted
    assert sorted(found["news or glaciers"]) == sorted(
        [f"filler-{n}" for n in range(6)]
        + ["in-body", "in-title", "twice", "no-project"]
    )
    if session.get_bind().dialect.name == "sqlite":
        chosen = service._Sqlite(session, parse_query("project glaciers"))
        assert chosen.values["rank"] == '"glaciers"'
        # every alternative needs a rarer word: "news" is in 6 of 10 items
        assert (
            "rank"
            not in service._Sqlite(session, parse_query("news or glaciers")).values
        )
        # the same order when every word ranks (tag="": a page not cached yet)
        monkeypatch.setattr(service, "_rank_terms", lambda session, parsed: None)
        again = {
            q: slugs(client, q, tag="") + slugs(client, q, tag="", page="2")
            for q in queries
        }
        assert again == found


def test_empty_query_shows_the_labelled_form_only(client, session):
    make_item(session, title="Anything")
    html = client.get("/search").get_data(as_text=True)
    assert '<label for="search-q">' in html
    assert 'id="search-q"' in html
    assert 'role="search"' in html
    assert "search-results" not in html
    assert "No results" not in html


def test_no_results_says_so(client, session):
    make_item(session, title="Anything")
    html = client.get("/search?q=zzzyzx").get_data(as_text=True)
    assert "No results for “zzzyzx”" in html


HOSTILE = [
    '"',
    '"unbalanced',
    'a"b"c"',
    "*",
    "marmot*",
    "NEAR(marmot plan)",
    "NEAR(",
    "-",
    "--",
    "-marmot",
    "marmot -",
    "title:marmot",
    "^marmot",
    "marmot AND OR NOT",
    "or",
    "(",
    ")",
    "'; DROP TABLE item; --",
    "\\",
    "\x00",
    "%",
    "&&|!",
    "<script>",
    "日本語",
    "marmot " * 100,
    "x" * 1000,
]


def test_hostile_queries_never_fail(client, session):
    make_item(session, title="Marmot plan")
    for query in HOSTILE:
        response = client.get("/search", query_string={"q": query})
        # a NUL byte is refused site-wide (400); nothing else may fail
        assert response.status_code == (400 if "\x00" in query else 200), query
        main = response.get_data(as_text=True).split("<main", 1)[-1]
        assert "<script>" not in main, query


def test_operators_typed_as_text_are_searched_as_words(client, session):
    make_item(session, slug="m", title="Marmot plan")
    assert slugs(client, "NEAR(marmot plan)") == []  # "near" is a word to match
    assert slugs(client, "marmot*") == ["m"]
    assert slugs(client, 'marmot "plan') == ["m"]
    assert slugs(client, "title:marmot") == []  # "title" is a word here


def test_search_link_in_the_header(client, session):
    html = client.get("/").get_data(as_text=True)
    header = html[html.index("<header") : html.index("</header>")]
    assert 'href="/search"' in header
    assert unescape("Search") in header


def cache_entries(app) -> int:
    """Pages stored in the shared page cache, every stamp."""
    root = app.extensions["comms"].settings.instance_path / "cache"
    return sum(1 for f in root.glob("*/*") if not f.name.startswith("."))


def test_a_search_is_stored_when_it_is_asked_again(app, client, session):
    make_item(session, slug="glacier", title="Glaciers of the Alps")
    client.get("/search")  # the form: stored at once, like every page
    before = cache_entries(app)
    first = client.get("/search?q=glaciers")
    assert first.status_code == 200
    assert cache_entries(app) == before  # asked once: built, not stored
    assert (
        client.get(
            "/search?q=glaciers", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )
    second = client.get("/search?q=glaciers")
    assert cache_entries(app) == before + 1  # asked again: stored
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    client.get("/search?q=glaciers")
    assert cache_entries(app) == before + 1
