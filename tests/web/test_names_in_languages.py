"""The programme's, the regions' and the topics' names in the visitor's language.

site.yml names each per language; pages, filters, forms and feed titles show the
name of the visitor's (or the feed's) language, else the default language's.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from comms.errors import ConfigMissing
from comms.site import load_site
from tests.factories import make_item
from tests.web.helpers import text

SITE_YML = """\
name: Test Project
default_language: en
languages: [en, de, fr, it, sl]
programme:
  name: {en: Interreg Alpine Space, de: Interreg Alpenraum, fr: Interreg Espace Alpin}
  url: https://example.org
funding: {text: Co-funded by the European Union}
regions:
  bayern: {en: Bavaria, de: Bayern, fr: Bavière}
  lombardia: {en: Lombardy, de: Lombardei, fr: Lombardie}
topics:
  smart-specialisation:
    en: Smart specialisation
    de: Intelligente Spezialisierung
    fr: Spécialisation intelligente
"""
# what a page in each language shows for smart-specialisation, bayern, the programme
NAMES = {
    "en": ("Smart specialisation", "Bavaria", "Interreg Alpine Space"),
    "de": ("Intelligente Spezialisierung", "Bayern", "Interreg Alpenraum"),
    "fr": ("Spécialisation intelligente", "Bavière", "Interreg Espace Alpin"),
    # Italian is not named in site.yml: the default language's names
    "it": ("Smart specialisation", "Bavaria", "Interreg Alpine Space"),
}


@pytest.fixture
def content_dir(content_dir: Path) -> Path:
    (content_dir / "site.yml").write_text(SITE_YML, encoding="utf-8")
    return content_dir


@pytest.fixture
def items(session):
    return [
        make_item(
            session,
            slug="alpine-s3",
            tags=["smart-specialisation", "unnamed-topic"],
            regions=["bayern"],
        )
    ]


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize("lang", sorted(NAMES))
def test_cards_and_item_pages_name_topics_and_regions_in_the_language(
    client, items, lang
):
    topic, region, programme = NAMES[lang]
    for url in ("/", "/press-releases/alpine-s3/"):
        html = text(client.get(f"{url}?lang={lang}"))
        assert f'<a href="/topics/smart-specialisation/">{topic}</a>' in html, url
        assert f'<a class="chip-region" href="/regions/bayern/">{region}</a>' in html, (
            url
        )
        # a topic site.yml does not name: its tag, prettified
        assert '<a href="/topics/unnamed-topic/">Unnamed topic</a>' in html, url
        assert programme in _text(html.split('<footer class="site-footer">')[1])


@pytest.mark.parametrize("lang", sorted(NAMES))
def test_topic_and_region_pages_are_headed_in_the_language(client, items, lang):
    topic, region, _programme = NAMES[lang]
    assert f"<h1>{topic}</h1>" in text(
        client.get(f"/topics/smart-specialisation/?lang={lang}")
    )
    assert f"<h1>{region}</h1>" in text(client.get(f"/regions/bayern/?lang={lang}"))


def test_filters_name_the_topic_and_region_in_the_language(client, items):
    html = text(client.get("/?tag=smart-specialisation&region=bayern&lang=fr"))
    assert "sur le thème <strong>Spécialisation intelligente</strong>" in html
    assert "dans la région <strong>Bavière</strong>" in html
    select = re.search(
        r'<select name="region">(.*?)</select>', text(client.get("/?lang=de")), re.S
    )
    assert select is not None
    assert '<option value="lombardia">Lombardei</option>' in select[1]
    search = text(client.get("/search?q=alpine&region=bayern&lang=de"))
    assert '<option value="bayern" selected>Bayern</option>' in search
    assert "aus der Region <strong>Bayern</strong>" in search


def test_the_subscribe_form_names_topics_and_regions_in_the_language(client, items):
    html = _text(text(client.get("/newsletter/subscribe?lang=de")))
    assert "Intelligente Spezialisierung" in html
    assert "Bayern" in html and "Lombardei" in html
    assert "smart specialisation" not in html.lower().replace(
        "intelligente spezialisierung", ""
    )


def test_about_page_names_the_programme_in_the_language(client):
    assert "Interreg Alpenraum" in _text(text(client.get("/about/?lang=de")))
    assert "Interreg Espace Alpin" in _text(text(client.get("/about/?lang=fr")))


@pytest.mark.parametrize(
    ("lang", "topic", "region"),
    [
        ("de", "Intelligente Spezialisierung", "Bayern"),
        ("fr", "Spécialisation intelligente", "Bavière"),
    ],
)
def test_feed_titles_name_the_topic_and_region_in_the_feeds_language(
    client, items, lang, topic, region
):
    atom = {"a": "http://www.w3.org/2005/Atom"}
    rss = ET.fromstring(
        client.get(f"/tags/smart-specialisation/feed.xml?lang={lang}").data
    )
    assert rss.findtext("channel/title") == f"Test Project: {topic}"
    feed = ET.fromstring(client.get(f"/regions/bayern/feed.atom?lang={lang}").data)
    assert feed.findtext("a:title", namespaces=atom) == f"Test Project: {region}"
    page = text(client.get(f"/topics/smart-specialisation/?lang={lang}"))
    assert f'title="Test Project: {topic} (RSS)"' in page


@pytest.mark.parametrize(
    ("lang", "reports"), [("de", "Berichte"), ("fr", "Rapports"), ("en", "Reports")]
)
def test_a_kinds_feed_is_titled_in_the_feeds_language(client, items, lang, reports):
    atom = {"a": "http://www.w3.org/2005/Atom"}
    rss = ET.fromstring(client.get(f"/reports/feed.xml?lang={lang}").data)
    assert rss.findtext("channel/title") == f"Test Project: {reports}"
    feed = ET.fromstring(client.get(f"/reports/feed.atom?lang={lang}").data)
    assert feed.findtext("a:title", namespaces=atom) == f"Test Project: {reports}"
    json_feed = client.get(f"/reports/feed.json?lang={lang}").get_json()
    assert json_feed["title"] == f"Test Project: {reports}"


@pytest.mark.parametrize(
    ("programme", "problem"),
    [
        ("{name: {de: Interreg Alpenraum}}", "programme.name: must name it in 'en'"),
        ("{name: {en: A, xx: B}}", "'xx' is not one of"),
        ('{name: {en: "A\\nB"}}', "must be a name on one line"),
        ("{name: [A]}", "must be a name or a mapping"),
    ],
)
def test_site_yml_refuses_a_bad_programme_name(tmp_path, programme, problem):
    (tmp_path / "site.yml").write_text(
        f"default_language: en\nlanguages: [en, de]\nprogramme: {programme}\n"
    )
    with pytest.raises(ConfigMissing, match=re.escape(problem)):
        load_site(tmp_path)


@pytest.mark.parametrize(
    ("topics", "problem"),
    [
        ("{s3: {de: Spezialisierung}}", "topics.s3: must name it in 'en'"),
        ("{s3: {en: S3, xx: S3}}", "'xx' is not one of"),
        ("[s3]", "topics: must be a mapping"),
    ],
)
def test_site_yml_refuses_a_bad_topic_label(tmp_path, topics, problem):
    (tmp_path / "site.yml").write_text(
        f"default_language: en\nlanguages: [en, de]\ntopics: {topics}\n"
    )
    with pytest.raises(ConfigMissing, match=re.escape(problem)):
        load_site(tmp_path)


def test_the_demo_site_names_every_region_and_topic_of_its_content():
    """Every region and topic the demo content uses has its names in site.yml."""
    content = Path(__file__).resolve().parents[2] / "content"
    site = load_site(content)
    used: dict[str, set[str]] = {"tags": set(), "regions": set()}
    for path in content.glob("*/*.md"):
        for key in used:
            found = re.search(rf"^{key}: \[(.*)\]$", path.read_text(), re.M)
            if found:
                used[key] |= {v.strip() for v in found[1].split(",") if v.strip()}
    assert used["tags"] and used["regions"]
    assert used["tags"] <= set(site.topic_names)
    assert used["regions"] <= set(site.region_names)
    assert site.programme_name_in("de") == "Interreg Alpenraum"


def test_the_follow_block_names_a_kind_in_the_language(client, items):
    html = text(client.get("/reports/?lang=de"))
    assert '<span class="follow-scope">Test Project: Berichte</span>' in html
    assert 'title="Test Project: Berichte (RSS)"' in html
