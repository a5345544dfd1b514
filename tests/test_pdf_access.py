"""A PDF's accessibility findings: a real title, a language, tags."""

from __future__ import annotations

import pytest

from comms.pdf_access import ADVICE, FINDINGS, finding_keys, is_placeholder_title
from comms.storage import inspect_pdf
from tests.factories import make_pdf


@pytest.mark.parametrize(
    "title",
    [
        "about:blank",
        "Untitled",
        "untitled document",
        "Untitled-1",
        "Document1",
        "Microsoft Word - Bericht_final.docx",
        "rapport_v3.docx",
        "Präsentation.pptx",
        "C:\\Users\\ana\\poročilo.pdf",
        "/home/team/relazione.pdf",
        "  TITLE  ",
    ],
)
def test_a_file_name_or_a_default_is_a_placeholder_title(title: str) -> None:
    assert is_placeholder_title(title)
    assert finding_keys(title, "en", True) == ("placeholder_title",)


@pytest.mark.parametrize(
    "title",
    [
        "StressTest report: Lombardia",
        "Bericht über Cluster in Oberösterreich",
        "Rapport sur les pôles de compétitivité",
        "Relazione sulla specializzazione intelligente",
        "Poročilo o grozdih v Sloveniji",
        "Documenting cluster policy 2018",
    ],
)
def test_a_real_title_in_any_language_is_not_a_placeholder(title: str) -> None:
    assert not is_placeholder_title(title)
    assert finding_keys(title, "de-AT", True) == ()


def test_every_finding_has_advice_and_a_missing_title_is_not_a_placeholder() -> None:
    assert set(ADVICE) == set(FINDINGS)
    assert finding_keys(None, None, False) == ("title", "language", "tagged")
    assert finding_keys("  ", "en", None) == ("title", "tagged")
    assert "Document structure tags for accessibility" in ADVICE["tagged"]


def test_a_generated_tagged_pdf_passes_and_an_untagged_one_does_not() -> None:
    tagged = inspect_pdf(make_pdf("Policy report", language="en-GB", tagged=True))
    assert (tagged.title, tagged.language, tagged.tagged) == (
        "Policy report",
        "en-GB",
        True,
    )
    assert finding_keys(tagged.title, tagged.language, tagged.tagged) == ()
    blank = inspect_pdf(make_pdf("about:blank"))
    assert finding_keys(blank.title, blank.language, blank.tagged) == (
        "placeholder_title",
        "language",
        "tagged",
    )
