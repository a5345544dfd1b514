"""The texts of the site's own pages, from ``content/pages/<name>.<lang>.md``.

Each file has front matter (``title``, optional ``description``) and a Markdown
body, rendered and sanitised like an item's body. They are read and checked once,
when the app starts, so a broken file stops ``serve`` with its path and problem.
They live with the content files, which check and export them; ``comms.pages``
serves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comms.catalogue.front_matter import FrontMatterError, split
from comms.errors import ConfigMissing
from comms.rendering import is_one_line, render_markdown

PAGES_DIR = "pages"
# The pages a site may write; each has a route and an interface title of its own.
PAGE_NAMES = ("about", "privacy", "legal", "accessibility")
_KEYS = {"title", "description"}


@dataclass(frozen=True)
class PageText:
    """One page in one language: its title, summary and sanitised HTML body."""

    name: str
    language: str
    title: str
    description: str
    body_html: str


def load_pages(
    content_dir: Path, languages: tuple[str, ...]
) -> dict[tuple[str, str], PageText]:
    """Every page file under content_dir/pages, keyed by (name, language)."""
    folder = content_dir / PAGES_DIR
    pages: dict[tuple[str, str], PageText] = {}
    if not folder.is_dir():
        return pages
    for path in sorted(folder.glob("*.md")):
        page = _read(path, languages)
        pages[(page.name, page.language)] = page
    return pages


def _read(path: Path, languages: tuple[str, ...]) -> PageText:
    parts = path.name.split(".")
    if len(parts) != 3 or parts[0] not in PAGE_NAMES or parts[1] not in languages:
        raise ConfigMissing(
            f"{path}: name it <page>.<language>.md with a page among "
            f"{', '.join(PAGE_NAMES)} and a language among {', '.join(languages)}"
        )
    try:
        meta, body = split(path.read_text(encoding="utf-8"))
    except (FrontMatterError, UnicodeDecodeError) as exc:
        raise ConfigMissing(f"{path}: {exc}") from None
    unknown = set(meta) - _KEYS
    if unknown:
        raise ConfigMissing(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    texts = {key: meta.get(key, "") for key in _KEYS}
    for key, value in texts.items():
        if not isinstance(value, str) or not is_one_line(value):
            raise ConfigMissing(f"{path}: {key} must be one line of text")
    if not texts["title"].strip():
        raise ConfigMissing(f"{path}: title is required")
    return PageText(
        name=parts[0],
        language=parts[1],
        title=texts["title"].strip(),
        description=texts["description"].strip(),
        body_html=render_markdown(body),
    )


def page_text(
    pages: dict[tuple[str, str], PageText], name: str, wanted: list[str], default: str
) -> PageText | None:
    """The page in the first wanted language that has it, else the default one."""
    for language in (*wanted, default):
        page = pages.get((name, language))
        if page is not None:
            return page
    return None
