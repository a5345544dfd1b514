"""A PDF's accessibility: a real document title, a language and tags (pure checks).

One check for every door a PDF comes in by (the editor's upload, the media
library's replace, the content import) and for ``comms check`` and the
accessibility statement, which promises that every report PDF has a title, a
language and tags: a PDF that fails makes that statement untrue until it is fixed.
"""

from __future__ import annotations

import re

from comms.messages import N_

# What a PDF lacks, by key; the public statement shows these (translated).
FINDINGS = {
    "title": N_("no document title"),
    "placeholder_title": N_("a placeholder instead of a document title"),
    "language": N_("no document language"),
    "tagged": N_("not a tagged PDF"),
}
# Why each finding matters and how to fix it, for officers (the admin is English).
ADVICE = {
    "title": (
        "Screen readers and browser tabs announce the document title. Set it in "
        "the source document (Word: File > Info > Properties > Title) and, in "
        "Save as PDF > Options, choose to show the document title."
    ),
    "placeholder_title": (
        "The title is a placeholder (a file name, 'Untitled', 'about:blank'), so "
        "screen readers announce that instead of the report's name. Set a real "
        "title (Word: File > Info > Properties > Title) and export again."
    ),
    "language": (
        "Without a language, screen readers read the text with the wrong voice and "
        "pronunciation. Set the document's language (Word: Review > Language) "
        "before exporting."
    ),
    "tagged": (
        "Without tags, headings, lists, tables and reading order are lost for "
        "screen-reader users. Export from Word with Save as PDF > Options > "
        "'Document structure tags for accessibility' turned on (or use "
        "Acrobat's Accessibility > Autotag)."
    ),
}
WHY = (
    "The site's accessibility statement says every report PDF has a title, a "
    "language and tags; this file makes that untrue until it is replaced."
)
PLACEHOLDER_TITLES = frozenset(
    {
        "about:blank",
        "blank",
        "document",
        "new document",
        "none",
        "null",
        "pdf",
        "powerpoint presentation",
        "presentation",
        "title",
        "untitled",
        "untitled document",
        "word document",
    }
)
# A file name (report_v3.docx) or a path, a Word default (Document1), or the
# "Microsoft Word - draft.docx" that a print-to-PDF driver writes.
PLACEHOLDER_PATTERNS = (
    re.compile(r"\.(pdf|docx?|odt|rtf|pptx?|odp|xlsx?|ods|indd|pages|txt|html?)$"),
    re.compile(r"^(document|doc|untitled|presentation|slide|book)[\s_-]*\d*$"),
    re.compile(r"^(microsoft (word|powerpoint|excel)|untitled)\b"),
    re.compile(r"^[a-z]:\\|^/|\\"),
)


def is_placeholder_title(title: str) -> bool:
    """True for a title that names no document: 'about:blank', a file name..."""
    text = " ".join(title.split()).lower()
    if text in PLACEHOLDER_TITLES:
        return True
    return any(pattern.search(text) for pattern in PLACEHOLDER_PATTERNS)


def finding_keys(
    title: str | None, language: str | None, tagged: bool | None
) -> tuple[str, ...]:
    """The keys of FINDINGS that a PDF with this title, language and tagging has."""
    missing = []
    if not (title or "").strip():
        missing.append("title")
    elif is_placeholder_title(title or ""):
        missing.append("placeholder_title")
    if not (language or "").strip():
        missing.append("language")
    if not tagged:
        missing.append("tagged")
    return tuple(missing)


def pdf_findings(
    title: str | None, language: str | None, tagged: bool | None
) -> tuple[str, ...]:
    """What is missing from a PDF with this title, language and tagging."""
    return tuple(FINDINGS[key] for key in finding_keys(title, language, tagged))
