"""Hostile Markdown and HTML come out inert on item pages, listings and feeds."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from tests.factories import make_item

HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "<svg onload=alert(1)><circle r=10 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    "<b onmouseover=alert(1)>bold</b",
    "<scr<script>ipt>alert(1)</script>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<object data=evil.swf></object><embed src=evil.swf>",
    '<form action="https://evil.example"><input name=x></form>',
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "<!--<script>alert(1)</script>-->",
    '"><script>alert(1)</script>',
]
DANGEROUS_TAGS = {"script", "svg", "iframe", "object", "embed", "form", "input",
                  "meta", "math", "style", "base", "link"}  # fmt: skip


# The site's own decorative icons (comms/web/kind_parts.py, and the report's
# download icon in templates/_partials/_kind.html): an <svg> with
# exactly these attributes; the sanitiser lets no <svg> of a body through at all.
SITE_ICON = {"viewbox": "0 0 24 24", "aria-hidden": "true", "focusable": "false"}


def _site_icon(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """Whether this start tag is one of the site's own decorative icons."""
    named = dict(attrs)
    return tag == "svg" and all(named.get(k) == v for k, v in SITE_ICON.items())


class _Inspector(HTMLParser):
    """Collects whatever in a document could run script."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._data: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            self._data = []  # a data block (never run); it must stay valid JSON
        elif tag in DANGEROUS_TAGS and not _site_icon(tag, attrs):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            urlish = name in ("href", "src", "action", "data", "formaction")
            if urlish and (
                "evil.example" in (value or "") or "evil.swf" in (value or "")
            ):
                self.problems.append(f"{tag}[{name}={value}]")
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            url = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name in (
                "href",
                "src",
                "action",
                "data",
                "xlink:href",
            ) and url.startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"{tag}[{name}={value}]")

    def handle_data(self, data: str) -> None:
        if self._data is not None:
            self._data.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._data is not None:
            try:
                json.loads("".join(self._data))
            except ValueError:
                self.problems.append("JSON-LD broken out of")
            self._data = None


def script_in(html: str, *, page: bool) -> list[str]:
    """What could run script in ``html`` (a whole page keeps its own <link>s)."""
    inspector = _Inspector()
    inspector.feed(html)
    problems = inspector.problems
    if page:  # the site's own stylesheet, feed links and filter forms are fine
        own = ("<link>", "<meta>", "<form>", "<input>")
        problems = [p for p in problems if p not in own]
    return problems


def _hostile_items(session) -> None:  # type: ignore[no-untyped-def]
    for n, body in enumerate(HOSTILE):
        make_item(
            session,
            slug=f"hostile-{n}",
            title=f"Title {n} {body}",
            summary=f"Summary {body}",
            body=f"Intro\n\n{body}\n\nEnd",
        )


def test_hostile_bodies_are_inert_on_item_pages(client, session) -> None:
    _hostile_items(session)
    for n in range(len(HOSTILE)):
        response = client.get(f"/press-releases/hostile-{n}/")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert script_in(html, page=True) == [], HOSTILE[n]
        assert "End" in html


def test_hostile_bodies_are_inert_on_listings(client, session, settings) -> None:
    _hostile_items(session)
    for url in ("/", "/press-releases/", "/?page=2", "/search?q=Summary"):
        response = client.get(url)
        if response.status_code == 404 and "search" in url:
            continue
        assert response.status_code == 200, url
        assert script_in(response.get_data(as_text=True), page=True) == [], url


def test_hostile_bodies_are_inert_in_atom_and_json_feeds(client, session) -> None:
    _hostile_items(session)
    atom = ET.fromstring(client.get("/feed.atom").data)
    # Atom text constructs without type="html" are plain text: inert by definition.
    htmls = [
        e.text or ""
        for e in atom.iter()
        if e.tag.endswith(("content", "summary", "title")) and e.get("type") == "html"
    ]
    feed = json.loads(client.get("/feed.json").data)
    htmls += [i.get("content_html", "") for i in feed["items"]]
    assert len(htmls) >= len(HOSTILE)
    assert any("Intro" in h for h in htmls)
    for text in htmls:
        assert script_in(text, page=False) == [], text


def test_hostile_bodies_are_inert_in_rss_bodies(client, session) -> None:
    _hostile_items(session)
    rss = ET.fromstring(client.get("/feed.xml").data)
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    bodies = [e.text or "" for e in rss.iter(encoded)]
    assert any("Intro" in b for b in bodies)
    for text in bodies:
        assert script_in(text, page=False) == [], text


def test_hostile_summaries_are_inert_in_rss_descriptions(client, session) -> None:
    _hostile_items(session)
    rss = ET.fromstring(client.get("/feed.xml").data)
    descriptions = [
        d.text or "" for d in rss.iter("item") for d in d.iter("description")
    ]
    assert len(descriptions) >= len(HOSTILE)
    for text in descriptions:
        assert script_in(text, page=False) == [], text


def test_external_links_get_noopener_noreferrer(client, session) -> None:
    make_item(session, slug="linky", body="[partner](https://example.org/x)")
    html = client.get("/press-releases/linky/").get_data(as_text=True)
    assert 'href="https://example.org/x" rel="noopener noreferrer"' in html
