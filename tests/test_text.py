"""The shared text helpers: slugs, ISO 8601 durations, e-mail addresses."""

from __future__ import annotations

import pytest

from comms.errors import ValidationFailed
from comms.text import SLUG, duration_seconds, normalise_email, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        # en
        ("Smart Specialisation: What's Next?", "smart-specialisation-whats-next"),
        ("Café culture & the EU’s regions", "cafe-culture-the-eus-regions"),
        # de
        ("Zürich Ökonomie", "zurich-okonomie"),
        (
            "Straße der Innovation: Große Schritte",
            "strasse-der-innovation-grosse-schritte",
        ),
        ("ÄRGER ÜBER GRÖẞE", "arger-uber-grosse"),
        # fr
        ("L'économie du cœur : Ça marche !", "leconomie-du-coeur-ca-marche"),
        ("Ex æquo à Besançon, où l’été", "ex-aequo-a-besancon-ou-lete"),
        # it
        ("Perché l'Università è più forte", "perche-luniversita-e-piu-forte"),
        ("Città, però: così", "citta-pero-cosi"),
        # sl
        ("Čezmejni grozdi: Ljubljana", "cezmejni-grozdi-ljubljana"),
        ("Šolski žar in Đurđa", "solski-zar-in-durda"),
    ],
)
def test_slug_keeps_the_base_letter_of_every_interface_language(title, slug):
    assert slugify(title) == slug
    assert SLUG.match(slug)


@pytest.mark.parametrize(
    "title", ["日本語", "Новости", "Ελληνικά", "!!! ??? ...", "", "'"]
)
def test_slug_of_a_title_without_latin_letters_is_the_fallback(title):
    assert slugify(title) == "item"
    assert slugify(title, fallback="video") == "video"
    assert slugify(title, fallback="") == ""


def test_slug_keeps_latin_words_among_other_scripts():
    assert slugify("Новости 2026: Ljubljana") == "2026-ljubljana"


def test_slug_is_cut_at_a_hyphen_within_the_limit():
    title = "Regionale Innovationsstrategien für intelligente Spezialisierung " * 3
    slug = slugify(title)
    assert len(slug) <= 80 and SLUG.match(slug)
    assert slug.startswith("regionale-innovationsstrategien-fur-")
    assert slugify(title, max_length=1000).startswith(slug + "-")  # whole words
    assert slugify("a" * 100) == "a" * 80
    assert slugify("Zürich Ökonomie", max_length=10) == "zurich"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT4M13S", 253),
        ("PT5M", 300),
        ("PT1H", 3600),
        ("PT1H2M3S", 3723),
        ("P1DT2H3M4S", 93784),
        ("P1W2DT3H", 788400),
        ("P0D", 0),
        ("PT0S", 0),
        ("PT1.5S", 1.5),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("PT4M13", None),
        ("4:13", None),
        ("pt4m13s", None),
        ("", None),
        (None, None),
    ],
)
def test_duration_seconds_reads_youtube_iso_8601_durations(value, seconds):
    assert duration_seconds(value) == seconds


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Anna.Müller@Example.ORG ", None),
        ("Anna.Mueller@Example.ORG ", "anna.mueller@example.org"),
        ("Victim+News@Uni-LJ.si", "victim+news@uni-lj.si"),
        ("o'brien@xn--bcher-kva.de", "o'brien@xn--bcher-kva.de"),
        ("user@bücher.de", None),
        ("no-at-sign.example.org", None),
        ("two..dots@example.org", None),
        ("a@b.c", None),
        ("spaced name@example.org", None),
        ("x" * 65 + "@example.org", None),
    ],
)
def test_normalise_email_lowers_the_whole_address_and_refuses_non_addresses(
    raw, stored
):
    if stored is None:
        with pytest.raises(ValidationFailed) as caught:
            normalise_email(raw)
        assert caught.value.problems == [
            f"email: {raw.strip()[:100]!r} is not a valid e-mail address"
        ]
    else:
        assert normalise_email(raw) == stored
        assert normalise_email(stored) == stored  # stored rows still match


def test_normalise_email_asks_for_an_empty_address():
    with pytest.raises(ValidationFailed) as caught:
        normalise_email("   ")
    assert caught.value.problems == ["email: please enter your e-mail address"]
