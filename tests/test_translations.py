"""The interface translations: compiled catalogues current, every message translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from comms.i18n import TRANSLATIONS_DIR

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ["de", "fr", "it", "sl"]
# Words that are the same in English and the language (loanwords, cognates,
# abbreviations); every other translation must differ from its English message.
SAME_AS_ENGLISH = {
    "de": {
        *("Newsletter", "Online", "PDF, %(size)s", "Premiere", "Region", "Short"),
        *("Video", "Videos", "%(size)s KB", "%(size)s MB"),
    },
    "fr": {
        *("%(num)s page", "Contact", "Page %(number)s", "Pages", "Participants"),
        *("Programme", "Short", "PDF, %(size)s"),
    },
    "it": {
        *("Newsletter", "Online", "PDF, %(size)s", "Privacy", "Short", "Video"),
        *("Home", "%(size)s KB", "%(size)s MB", "in %(language)s"),
    },
    # Short: YouTube's own name everywhere
    "sl": {"PDF, %(size)s", "Short", "%(size)s KB", "%(size)s MB"},
}


def _catalog(language: str, suffix: str) -> Catalog:
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"messages{suffix}"
    with path.open("rb") as fh:
        return read_mo(fh) if suffix == ".mo" else read_po(fh, locale=language)


def _messages(catalog: Catalog) -> dict[object, object]:
    # read_mo gives plural forms as lists, read_po as tuples
    return {
        (m.context, _plain(m.id)): _plain(m.string)
        for m in catalog
        if m.id and not m.fuzzy
    }


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_po_file(language):
    source = _messages(_catalog(language, ".po"))
    compiled = _messages(_catalog(language, ".mo"))
    assert compiled == source, f"run `make translations` to recompile {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_not_left_in_english(language):
    catalog = _catalog(language, ".po")
    assert len(_messages(catalog)) > 100
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        assert not message.fuzzy, f"{language}: fuzzy {ids[0]!r}"
        assert len(strings) == catalog.num_plurals or len(ids) == 1
        assert all(s.strip() for s in strings), f"{language}: empty {ids[0]!r}"
        if ids[0] not in SAME_AS_ENGLISH[language]:
            assert not set(strings) & set(ids), f"{language}: English {ids[0]!r}"


@pytest.fixture(scope="module")
def extracted() -> set[object]:
    """Every message the code and templates mark today (as `make translations`)."""
    with (REPO / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}

    def searched(path: str) -> bool:  # `--ignore-dirs ".* node_modules"`
        name = Path(path).name
        return not (name.startswith(".") or name == "node_modules")

    found = extract_from_dir(
        REPO, method_map, options_map, keywords=keywords, directory_filter=searched
    )
    return {(context, _plain(message)) for _f, _l, message, _c, context in found}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_message_has_a_translation(extracted, language):
    known = set(_messages(_catalog(language, ".po")))
    assert extracted - known == set(), "run `make translations` and translate"
    assert known - extracted == set(), "run `make translations` to drop old ones"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    for message in _catalog(language, ".po"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        wanted = set(_placeholders(ids[-1]))
        for string in strings:
            assert set(_placeholders(string)) == wanted, (language, ids[0])


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\(\w+\)s", text)


def test_translations_ship_inside_the_package():
    assert Path(TRANSLATIONS_DIR).parent.name == "comms"
    for language in LANGUAGES:
        assert (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.mo").is_file()
