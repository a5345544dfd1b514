"""Search queries as visitors type them: parsed once, rendered safely per database.

A query is words and "quoted phrases", `-word` to exclude, `or` between
alternatives (the syntax of PostgreSQL's websearch_to_tsquery). Only word
characters reach the database: every term is quoted for FTS5, so stray quotes,
`*`, `NEAR(`, `-` or `:` are harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

MAX_LENGTH = 200
MAX_TERMS = 16
MARK_START = "\x02"
MARK_END = "\x03"

_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')
_WORD = re.compile(r"\w+")
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.S)
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_MARKDOWN_NOISE = re.compile(r"^[ \t]*(?:#{1,6}|[-*+>]|\d+\.)(?=\s)", re.M)
_EMPHASIS = re.compile(r"\*\*|__|`")


@dataclass(frozen=True)
class Term:
    """A word or a phrase (several words in order), maybe excluded."""

    words: tuple[str, ...]
    excluded: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """Alternatives (joined by `or`), each a list of terms that must all match."""

    alternatives: tuple[tuple[Term, ...], ...]

    @property
    def empty(self) -> bool:
        """True when nothing could match (no wanted term at all)."""
        return not self.alternatives


def parse_query(text: str) -> ParsedQuery:
    """Parse what a visitor typed; never fails, drops what cannot be searched."""
    text = text[:MAX_LENGTH]
    if text.count('"') % 2:  # an unbalanced quote counts as a space
        cut = text.rfind('"')
        text = text[:cut] + " " + text[cut + 1 :]
    alternatives: list[tuple[Term, ...]] = []
    current: list[Term] = []
    count = 0
    for match in _TOKEN.finditer(text):
        quoted = match.group(2) is not None
        raw = match.group(2) if quoted else match.group(4)
        excluded = bool(match.group(1) if quoted else match.group(3))
        if not quoted and not excluded and raw.lower() == "or":
            alternatives.append(tuple(current))
            current = []
            continue
        words = tuple(w.lower() for w in _WORD.findall(raw))
        if not words or count >= MAX_TERMS:
            continue
        count += 1
        current.append(Term(words=words, excluded=excluded))
    alternatives.append(tuple(current))
    kept = tuple(terms for terms in alternatives if any(not t.excluded for t in terms))
    return ParsedQuery(alternatives=kept)


def fts5_term(term: Term) -> str:
    """One term as a quoted FTS5 phrase."""
    return '"' + " ".join(term.words).replace('"', '""') + '"'


def to_fts5(query: ParsedQuery) -> str:
    """An FTS5 MATCH expression: every term quoted, so no syntax leaks through."""
    parts = []
    for terms in query.alternatives:
        wanted = " AND ".join(fts5_term(t) for t in terms if not t.excluded)
        unwanted = "".join(f" NOT {fts5_term(t)}" for t in terms if t.excluded)
        parts.append(f"({wanted}{unwanted})")
    return " OR ".join(parts)


def to_websearch(query: ParsedQuery) -> str:
    """The same query in websearch_to_tsquery syntax, words only."""
    parts = []
    for terms in query.alternatives:
        rendered = []
        for term in terms:
            text = " ".join(term.words)
            if len(term.words) > 1:
                text = f'"{text}"'
            rendered.append(f"-{text}" if term.excluded else text)
        parts.append(" ".join(rendered))
    return " or ".join(parts)


def plain(markdown: str) -> str:
    """Markdown punctuation dropped from a snippet (link targets, #, *, list marks)."""
    text = _LINK_TARGET.sub("", markdown)
    text = _EMPHASIS.sub("", _MARKDOWN_NOISE.sub(" ", text))
    return " ".join(text.replace("[", "").split())


def highlight(marked: str | None) -> Markup:
    """Escape a database snippet, then wrap its marked matches in <mark>."""
    escaped = str(escape(plain(marked or "")))
    html = _MARKED.sub(r"<mark>\1</mark>", escaped)
    return Markup(html.replace(MARK_START, "").replace(MARK_END, ""))  # noqa: S704
