"""Reading and writing YAML front matter with canonical, byte-stable output."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import yaml

try:  # The C loader is ten times faster on large imports.
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)


class FrontMatterError(ValueError):
    """The file does not hold valid front matter."""


def split(text: str) -> tuple[dict[str, Any], str]:
    """Split a content file into its front matter mapping and Markdown body."""
    match = _FENCE.match(text)
    if match is None:
        raise FrontMatterError("no front matter: the file must start with '---'")
    try:
        meta = yaml.load(match.group(1), Loader=_Loader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise FrontMatterError(f"invalid YAML{where}: {problem}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values")
    return meta, text[match.end() :]


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with a Z, as written in content files."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _CanonicalDumper(_Dumper):
    pass


def _represent_datetime(dumper: Any, value: datetime) -> yaml.Node:
    node: yaml.Node = dumper.represent_scalar(
        "tag:yaml.org,2002:timestamp", format_datetime(value)
    )
    return node


def _represent_str(dumper: Any, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    node: yaml.Node = dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style=style
    )
    return node


_CanonicalDumper.add_representer(datetime, _represent_datetime)
_CanonicalDumper.add_representer(str, _represent_str)


def dump(meta: dict[str, Any], body: str) -> str:
    """Write a content file: front matter in the given key order, then the body."""
    text = yaml.dump(
        meta,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=88,
    )
    body = body.strip("\n")
    return f"---\n{text}---\n{body}\n" if body else f"---\n{text}---\n"
