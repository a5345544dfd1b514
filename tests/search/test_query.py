"""Parsing what visitors type, and rendering it safely for FTS5 and websearch."""

from __future__ import annotations

from comms.search.query import (
    MARK_END,
    MARK_START,
    Term,
    highlight,
    parse_query,
    to_fts5,
    to_websearch,
)


def test_words_phrases_exclusions_and_alternatives():
    parsed = parse_query('Smart "S3 strategy" -tourism or Clusters')
    assert parsed.alternatives == (
        (Term(("smart",)), Term(("s3", "strategy")), Term(("tourism",), True)),
        (Term(("clusters",)),),
    )
    assert to_fts5(parsed) == (
        '("smart" AND "s3 strategy" NOT "tourism") OR ("clusters")'
    )
    assert to_websearch(parsed) == 'smart "s3 strategy" -tourism or clusters'


def test_fts5_syntax_typed_by_a_visitor_stays_words():
    for raw, expected in [
        # punctuation inside a token joins its words into a phrase (e-mail)
        ("NEAR(a b)", '("near a" AND "b")'),
        ("e-mail", '("e mail")'),
        ("stress*", '("stress")'),
        ('"unbalanced quote', '("unbalanced" AND "quote")'),
        ("title:x", '("title x")'),
        ("a AND OR NOT b", '("a" AND "and") OR ("not" AND "b")'),
    ]:
        assert to_fts5(parse_query(raw)) == expected, raw


def test_queries_with_nothing_wanted_are_empty():
    for raw in ["", "   ", '"', "*", "-", "-alone", "or", "()", "--x", "\x00"]:
        assert parse_query(raw).empty, raw


def test_terms_are_capped():
    parsed = parse_query("word " * 100)
    assert len(parsed.alternatives[0]) == 16


def test_highlight_escapes_then_marks():
    marked = f"<b>{MARK_START}x & y{MARK_END}</b> {MARK_START}open"
    assert str(highlight(marked)) == "&lt;b&gt;<mark>x &amp; y</mark>&lt;/b&gt; open"


def test_highlight_drops_markdown_punctuation():
    text = f"## Heading\n- a **bold** [link](/x/) {MARK_START}word{MARK_END}"
    assert str(highlight(text)) == "Heading a bold link <mark>word</mark>"
