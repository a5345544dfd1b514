"""/sitemap.xml: exactly the published items, with lastmod and alternates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from comms.catalogue.service import sitemap_entries, sitemap_size
from tests.factories import future, make_item, past
from tests.plans import sqlite_plans

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "x": "http://www.w3.org/1999/xhtml",
}


def _urls(client) -> dict[str, ET.Element]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    return {
        urlsplit(url.findtext("s:loc", namespaces=NS) or "").path: url
        for url in root.findall("s:url", NS)
    }


def test_sitemap_lists_published_items_only(client, session):
    make_item(session, slug="live", published_at=past(2))
    make_item(session, kind="report", slug="live-report", published_at=past(3))
    make_item(session, slug="draft", status="draft", published_at=None)
    make_item(session, slug="later", published_at=future(2))
    items = {
        path
        for path in _urls(client)
        if path.count("/") == 3 and not path.startswith("/regions/")
    }
    assert "/newsletter/" in _urls(client)
    assert items == {"/press-releases/live/", "/reports/live-report/"}


def test_sitemap_entries_carry_lastmod_and_hreflang_alternates(client, session):
    make_item(session, slug="first-results", language="en", translation="fr1")
    make_item(session, slug="erste-ergebnisse", language="de", translation="fr1")
    urls = _urls(client)
    entry = urls["/press-releases/first-results/"]
    assert (entry.findtext("s:lastmod", namespaces=NS) or "").endswith("Z")
    alternates = {
        link.get("hreflang"): link.get("href") for link in entry.findall("x:link", NS)
    }
    site = "http://127.0.0.1:5000"
    assert alternates == {
        "en": f"{site}/press-releases/first-results/",
        "de": f"{site}/press-releases/erste-ergebnisse/?lang=de",
        "x-default": f"{site}/press-releases/first-results/",
    }
    assert "/press-releases/erste-ergebnisse/" in urls


def test_a_site_past_the_limit_gets_an_index_of_parts_within_it(
    client, session, monkeypatch
):
    import comms.web.views

    monkeypatch.setattr(comms.web.views, "SITEMAP_LIMIT", 5)
    # 6 items by id in 2 files (the first ends between the two language versions
    # of "t9"), then 13 pages (among them the 3 regions site.yml names) in 5
    # languages (65 URLs) in 13 files of 5.
    for n in range(4):
        make_item(session, slug=f"item-{n}", translation=f"t{n}")
    make_item(session, slug="en-version", language="en", translation="t9")
    make_item(session, slug="de-version", language="de", translation="t9")
    make_item(session, slug="draft", status="draft", published_at=None)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    index = ET.fromstring(response.data)
    assert index.tag == f"{{{NS['s']}}}sitemapindex"
    parts = [
        urlsplit(loc.text or "").path for loc in index.findall("s:sitemap/s:loc", NS)
    ]
    assert parts == [f"/sitemap-{n}.xml" for n in range(1, 16)]
    listed: dict[str, ET.Element] = {}
    in_part: dict[str, int] = {}
    for number, part in enumerate(parts, 1):
        response = client.get(part)
        assert response.status_code == 200
        assert response.mimetype == "application/xml"
        urls = ET.fromstring(response.data).findall("s:url", NS)
        assert 1 <= len(urls) <= 5
        for url in urls:
            loc = urlsplit(url.findtext("s:loc", namespaces=NS) or "")
            key = f"{loc.path}?{loc.query}" if loc.query else loc.path
            assert key not in listed, key
            listed[key] = url
            in_part[loc.path] = number
    pages = ["/", "/press-releases/", "/reports/", "/videos/", "/events/"]
    pages += ["/newsletter/", "/accessibility/", "/about/", "/privacy/", "/legal/"]
    pages += ["/regions/bayern/", "/regions/lombardia/", "/regions/slovenija/"]
    assert {key.split("?")[0] for key in listed} == {
        *pages,
        *(f"/press-releases/item-{n}/" for n in range(4)),
        "/press-releases/en-version/",
        "/press-releases/de-version/",
    }
    assert len(listed) == 71
    # the items come first, by id, then every other page
    assert [in_part[f"/press-releases/item-{n}/"] for n in range(4)] == [1] * 4
    assert in_part["/press-releases/en-version/"] == 1
    assert {in_part[page] for page in pages} == set(range(3, 16))
    # the two versions sit in different files, each still naming the other
    assert in_part["/press-releases/de-version/"] == 2
    for key in ("/press-releases/en-version/", "/press-releases/de-version/?lang=de"):
        links = listed[key].findall("x:link", NS)
        assert {link.get("hreflang") for link in links} == {"en", "de", "x-default"}
    assert client.get("/sitemap-16.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_a_small_site_has_one_sitemap_file(client, session):
    make_item(session, slug="live")
    whole = client.get("/sitemap.xml")
    assert ET.fromstring(whole.data).tag == f"{{{NS['s']}}}urlset"
    assert client.get("/sitemap-1.xml").data == whole.data
    assert client.get("/sitemap-2.xml").status_code == 404


def test_a_new_item_lands_in_the_last_file_and_leaves_the_others_as_they_were(
    client, session, monkeypatch
):
    import comms.web.views

    monkeypatch.setattr(comms.web.views, "SITEMAP_LIMIT", 70)
    for n in range(69):  # items in the first file; the 65 other pages in the next
        make_item(session, commit=False, slug=f"item-{n}")
    session.commit()
    before = {n: client.get(f"/sitemap-{n}.xml").data for n in (1, 2)}
    make_item(session, slug="a-new-item")  # first by name, last by id
    after = {n: client.get(f"/sitemap-{n}.xml").data for n in (1, 2)}
    assert b"/press-releases/a-new-item/" in after[1]
    assert after[2] == before[2]
    # The items fill a new file: it comes after theirs, and no file of items
    # shifts (the other pages follow in the next file, as they were).
    make_item(session, slug="a-second-new-item")
    again = {n: client.get(f"/sitemap-{n}.xml").data for n in (1, 2, 3)}
    assert again[1] == after[1]
    assert b"/press-releases/a-second-new-item/" in again[2]
    assert b"/press-releases/item-" not in again[2]
    assert again[3] == before[2]
    assert client.get("/sitemap-4.xml").status_code == 404


def test_the_public_items_are_counted_from_the_index_alone(session):
    """The sitemap and each of its files count the public items: from the public
    index alone on SQLite (reading every row took 190 ms at 100,000 items)."""
    make_item(session, slug="counted")
    make_item(session, kind="video", slug="hidden-video", hidden=True)
    make_item(session, slug="draft", status="draft", published_at=None)
    connection = session.connection()
    with sqlite_plans(connection) as plans:
        assert sitemap_size(session, now=past(0)) == 1
    if connection.dialect.name == "sqlite":
        (plan,) = plans
        assert "COVERING INDEX ix_item_public" in plan, plan


def test_a_sitemap_file_finds_its_first_item_in_the_index(session):
    """A file of the sitemap counts out its first item in the public index, then
    reads its rows from there: the same slice as skipping rows of the table,
    which read every row before it (133 ms for the last file at 100,000 items)."""
    for n in range(6):
        make_item(session, slug=f"listed-{n}")
        make_item(session, slug=f"draft-{n}", status="draft", published_at=None)
    make_item(session, slug="scheduled", published_at=future(1))
    connection = session.connection()
    with sqlite_plans(connection, lambda statement: "LIMIT" in statement) as plans:
        slices = [
            [e.slug for e in sitemap_entries(session, now=past(0), offset=o, limit=4)]
            for o in (0, 4, 8)
        ]
    assert slices == [[f"listed-{n}" for n in range(4)], ["listed-4", "listed-5"], []]
    if connection.dialect.name == "sqlite":
        assert len(plans) == 3
        for plan in plans:
            assert "SCAN item" not in plan, plan
            assert "COVERING INDEX ix_item_public" in plan, plan
