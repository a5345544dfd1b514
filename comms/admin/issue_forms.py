"""The newsletter issue editor's form: raw text in, a checked IssueDraft out.

Like the item form, parsing never raises: it returns the draft, the rows of the
item list exactly as submitted (for a re-render) and every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from comms.catalogue.models import KINDS, Newsletter
from comms.rendering import ONE_LINE_PROBLEM, clean_text, is_one_line
from comms.text import SLUG

MAX_ROWS = 500
Row = tuple[str, str, bool, str]  # kind, slug, picked, order as typed


@dataclass(frozen=True)
class IssueDraft:
    """Checked values of the issue editor, ready for the service to apply."""

    slug: str
    number: int | None
    title: str
    language: str
    intro: str
    items: tuple[tuple[str, str], ...]


def parse_rows(raw: Mapping[str, str]) -> list[Row]:
    """The item list's rows: ``row-N`` (kind:slug), ``pick-N`` and ``order-N``."""
    rows: list[Row] = []
    for n in range(MAX_ROWS):
        ref = raw.get(f"row-{n}")
        if ref is None:
            break
        kind, _, slug = ref.partition(":")
        if kind not in KINDS or not SLUG.match(slug):
            continue  # not a row this form wrote: ignore it
        picked = raw.get(f"pick-{n}") in ("1", "on")
        rows.append((kind, slug, picked, raw.get(f"order-{n}", "").strip()[:9]))
    return rows


def parse_issue_form(
    raw: Mapping[str, str], *, languages: Sequence[str]
) -> tuple[IssueDraft, list[Row], list[str]]:
    """Check the editor's fields; return the draft, the typed rows and the problems."""
    problems: list[str] = []
    title = clean_text(raw.get("title", "")).strip()
    if not title:
        problems.append("title: required")
    elif not is_one_line(title):  # the title becomes the mail's Subject header
        problems.append(f"title: {ONE_LINE_PROBLEM}")
    elif len(title) > 500:
        problems.append("title: at most 500 characters")
    slug = raw.get("slug", "").strip().lower()
    if not slug:
        problems.append("slug: required")
    elif len(slug) > 200 or not SLUG.match(slug):
        problems.append("slug: lowercase letters, digits and hyphens only")
    language = raw.get("language", "").strip()
    if language not in languages:
        problems.append(f"language: use one of {', '.join(languages)}")
    number_text = raw.get("number", "").strip()
    number: int | None = None
    if number_text:
        if number_text.isdigit() and len(number_text) < 7 and int(number_text) > 0:
            number = int(number_text)
        else:
            problems.append("number: a whole number of 1 or more")
    rows = parse_rows(raw)
    ordered: list[tuple[int, int, str, str]] = []
    for n, (kind, slug_, picked, order) in enumerate(rows):
        if not picked:
            continue
        if order and not order.lstrip("-").isdigit():
            problems.append(f"order of {slug_}: a whole number")
            continue
        ordered.append((int(order) if order else n + 1, n, kind, slug_))
    items = tuple(dict.fromkeys((kind, s) for _o, _n, kind, s in sorted(ordered)))
    intro = clean_text(raw.get("intro", "")).replace("\r\n", "\n")
    draft = IssueDraft(slug, number, title, language, intro, items)
    return draft, rows, problems


def issue_form_values(letter: Newsletter) -> dict[str, str]:
    """The editor's fields filled from a stored issue."""
    return {
        "slug": letter.slug,
        "number": "" if letter.number is None else str(letter.number),
        "title": letter.title,
        "language": letter.language,
        "intro": letter.intro or "",
        "version": letter.updated_at.isoformat() if letter.updated_at else "",
    }
