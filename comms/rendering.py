"""Markdown rendered once and sanitised with an allowlist (nh3)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin

import nh3
from markdown_it import MarkdownIt

# XML 1.0 forbids these code points; they are removed from every stored text.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Line breaks (the Unicode ones too) and every other control character: none belongs
# in a one-line value, and in a title that becomes a mail Subject a line break would
# start a header of the sender's choosing. So would an RFC 2047 encoded word that
# decodes to one (=?utf-8?q?=0D=0A...?=): the email package decodes such words in a
# value it is given, and mail clients would show them decoded anyway.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=")
ONE_LINE_PROBLEM = (
    "must be one line of plain text, without line breaks, control characters "
    "or encoded words (=?...?=)"
)
_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align", "scope"},
}


def clean_text(text: str) -> str:
    """Remove characters that XML 1.0 (and so every feed) forbids."""
    return _XML_FORBIDDEN.sub("", text)


def is_one_line(text: str) -> bool:
    """True when ``text`` has no line break, control character or encoded word."""
    return not (_NOT_ONE_LINE.search(text) or _ENCODED_WORD.search(text))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=True lets authors write inline HTML; nh3 then keeps only the allowlist.
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def render_markdown(source: str) -> str:
    """Render Markdown to sanitised HTML safe to show on any page or feed."""
    html = _markdown().render(clean_text(source))
    return sanitise_html(html)


def sanitise_html(html: str) -> str:
    """Keep only allowlisted tags, attributes and URL schemes."""
    return nh3.clean(
        clean_text(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def absolutise_links(html: str, base_url: str) -> str:
    """Make every relative href and src absolute against ``base_url``."""
    return _URL_ATTR.sub(
        lambda m: m.group(1) + urljoin(base_url, m.group(2)) + m.group(3), html
    )
