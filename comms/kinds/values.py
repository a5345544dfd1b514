"""Value checks shared by every door into the catalogue (content file, form, API).

Each check takes a value as a content file or a form gives it and returns what is
stored, or raises ``ValueError`` whose message is the reason shown to the person
who typed it: the same reason whether the value came from a file or the admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from comms import links
from comms.rendering import ONE_LINE_PROBLEM, clean_text, is_one_line
from comms.text import SLUG

Parser = Callable[[Any], Any]
STATUSES = ("draft", "published", "archived")


def text(value: Any) -> str:
    """Plain text (numbers are taken as their text), stripped."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be text")
    return clean_text(str(value)).strip()


def line(value: Any) -> str:
    """Text on one line (a mail subject, a heading)."""
    result = text(value)
    if not is_one_line(result):
        raise ValueError(ONE_LINE_PROBLEM)
    return result


def slug(value: Any) -> str:
    """A URL slug: lowercase letters, digits and single hyphens."""
    result = text(value)
    if not SLUG.match(result):
        raise ValueError(
            f"{result!r} is not a slug (lowercase letters, digits, hyphens)"
        )
    return result


def url(value: Any) -> str:
    """A public http(s) address."""
    return links.public_url(text(value))


def image(value: Any) -> str:
    """A site path or http(s) URL of an image."""
    return links.image_source(text(value))


def slugs(value: Any) -> list[str]:
    """A list of distinct slugs."""
    if not isinstance(value, list):
        raise ValueError("must be a list")
    result = [slug(v) for v in value]
    if len(set(result)) != len(result):
        raise ValueError("lists an entry twice")
    return result


def texts(value: Any) -> list[str]:
    """A list of texts."""
    if not isinstance(value, list):
        raise ValueError("must be a list")
    return [text(v) for v in value]


def count(value: Any) -> int:
    """A whole number of 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number of 0 or more")
    return value


def flag(value: Any) -> bool:
    """True or false."""
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def choice(*options: str) -> Parser:
    """One of ``options``."""

    def parse(value: Any) -> str:
        result = text(value)
        if result not in options:
            raise ValueError(f"must be one of {', '.join(options)}; got {result!r}")
        return result

    return parse


def limited(parse: Parser, limit: int) -> Parser:
    """``parse``, refusing a text longer than ``limit`` characters."""

    def check(value: Any) -> Any:
        result = parse(value)
        if isinstance(result, str) and len(result) > limit:
            raise ValueError(f"at most {limit} characters")
        return result

    return check


def mapping_list(*keys: str, checks: dict[str, Parser] | None = None) -> Parser:
    """A list of mappings with only ``keys`` (text values, some checked further)."""

    def parse(value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValueError("must be a list of mappings")
        for entry in value:
            unknown = set(entry) - set(keys)
            if unknown:
                raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
        result = [{k: text(e[k]) for k in keys if k in e} for e in value]
        for entry in result:
            for key, check in (checks or {}).items():
                if key in entry:
                    try:
                        entry[key] = check(entry[key])
                    except ValueError as exc:
                        raise ValueError(f"{key}: {exc}") from None
        return result

    return parse


def timestamp(value: Any) -> datetime:
    """Accept a YAML timestamp or an RFC 3339 string; return aware UTC."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            result = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not a date and time: {value!r}") from None
    else:
        raise ValueError(f"not a date and time: {value!r}")
    if result.tzinfo is None:
        result = result.replace(tzinfo=UTC)
    return result.astimezone(UTC).replace(microsecond=0)
