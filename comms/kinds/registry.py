"""The registry of item kinds: each kind's fields, limits, checks and templates.

A kind is declared once, in its own module (``comms/kinds/<kind>.py``), and every
door and output reads it from here: the content-file import and export, the admin
editor, the API's schema and documents, the public pages (through the partials in
``templates/kinds/<kind>/``) and the feeds. Adding a kind is adding a module and
its templates; no database migration: a new kind keeps its fields in the item's
``details``.

This module sits below the catalogue: it imports no part of comms above the text
and link helpers, and knows items only by their attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from comms.kinds.values import Parser

# Where a field's value lives: an ``item`` column, the item's ``details`` JSON, or
# somewhere the catalogue itself manages (a report's files, a video's overrides).
Storage = Literal["column", "details", "own"]
# How the admin editor shows a field (None: not in the editor).
Widget = Literal[
    "text", "textarea", "lines", "slugs", "datetime", "url", "number",
    "checkbox", "contacts",
]  # fmt: skip


@dataclass(frozen=True)
class Field:
    """One field of a kind, as every door reads and checks it.

    ``check`` takes the value as a content file gives it (and as the admin form
    gives it once the text of its widget is read) and returns what is stored, or
    raises ``ValueError`` with the reason. ``schema`` is the field's JSON schema in
    the API (None: not in the API).
    """

    name: str
    check: Parser
    storage: Storage = "details"
    label: str = ""
    widget: Widget | None = "text"
    hint: str = ""
    limit: int | None = None
    required: bool = False
    default: Any = None
    schema: Mapping[str, Any] | None = None
    # False: edited in the admin only (a video's local overrides), not a
    # front-matter key of its own.
    in_file: bool = True
    # What outputs (the API) show of the stored value: checked again on the way
    # out where partner sites put it in links.
    shown: Callable[[Any], Any] | None = None

    def parse(self, value: Any) -> Any:
        """The stored value of ``value``; ValueError with the reason if it is bad."""
        result = self.check(value)
        limit = self.limit
        if isinstance(result, str) and limit is not None and len(result) > limit:
            raise ValueError(f"at most {self.limit} characters")
        return result


@dataclass(frozen=True)
class Kind:
    """An item kind: its names, fields and the behaviour that sets it apart."""

    name: str
    plural: str  # the URL segment and the content folder: /reports/, reports/
    label: str  # "Report"; marked with N_ and translated where shown
    plural_label: str  # "Reports": listing headings, feed titles
    in_sentence: str  # "reports", as in "Showing reports tagged #clusters"
    archived_notice: str  # shown on an archived item's page
    fields: tuple[Field, ...] = ()
    # Checks across fields of a content file or form (ends before it starts...):
    # takes the parsed values, returns the problems as "name: reason".
    check: Callable[[Mapping[str, Any]], list[str]] | None = None
    # Items arrive from elsewhere (the video sync): officers override what is shown
    # and may hide an item, but never create one, translate it or edit its text.
    synced: bool = False
    # Reports carry files: downloads, the admin's files panel, citations.
    has_files: bool = False
    # The item shows its picture in its own partial (a video's poster).
    own_picture: bool = False
    og_type: str = "article"
    # The schema.org type of the item's JSON-LD (comms.seo builds each it knows;
    # any other gets the properties every CreativeWork has).
    schema_type: str = "CreativeWork"
    # Items happen at a time (events): listings show coming ones first, and cards,
    # feeds and calendars show their dates.
    has_dates: bool = False
    # Which items of the kind the public sees beyond published and due: an SQL
    # condition on the item entity and the same test on a loaded item (a video
    # that went private, or that an officer hid). None: every one.
    shown: Callable[[Any], Any] | None = None
    is_shown: Callable[[Any], bool] | None = None
    # The item's own picture when it has no image: (site path, width, height).
    thumbnail: Callable[[Any], tuple[str, int | None, int | None] | None] | None = None
    # Extra API fields computed from the item (a video's thumbnail URL).
    api_extra: Callable[[Any, str], dict[str, Any]] | None = None
    # Extra JSON schema of those extra fields.
    api_extra_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        """The field called ``name``; KeyError when the kind has none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def file_fields(self) -> tuple[Field, ...]:
        """The fields a content file may give, in export order."""
        return tuple(f for f in self.fields if f.in_file)

    @property
    def form_fields(self) -> tuple[Field, ...]:
        """The fields the admin editor shows, in order."""
        return tuple(f for f in self.fields if f.widget is not None)

    @property
    def columns(self) -> tuple[str, ...]:
        """The ``item`` columns this kind's fields are stored in."""
        return tuple(f.name for f in self.fields if f.storage == "column")

    @property
    def detail_keys(self) -> tuple[str, ...]:
        """The keys this kind keeps in the item's ``details``."""
        return tuple(f.name for f in self.fields if f.storage == "details")

    @property
    def api_fields(self) -> tuple[Field, ...]:
        """The fields the API shows, in order."""
        return tuple(f for f in self.fields if f.schema is not None)

    def template(self, part: str) -> str:
        """The path of one of this kind's partials: ``kinds/<kind>/_<part>.html``."""
        return f"kinds/{self.name}/_{part}.html"


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add ``kind`` to the catalogue; refuse a name or plural already taken."""
    for known in _KINDS.values():
        if kind.name == known.name or kind.plural == known.plural:
            raise ValueError(f"kind {kind.name!r} ({kind.plural}) is already known")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (its stored items stay in the database, unshown)."""
    _KINDS.pop(name, None)


def get(name: str) -> Kind:
    """The kind called ``name``; KeyError when none is registered."""
    return _KINDS[name]


def find(name: str | None) -> Kind | None:
    """The kind called ``name``, or None."""
    return _KINDS.get(name) if name else None


def by_plural(plural: str) -> Kind | None:
    """The kind whose URL segment is ``plural``, or None."""
    return next((k for k in _KINDS.values() if k.plural == plural), None)


def all_kinds() -> tuple[Kind, ...]:
    """Every registered kind, in registration order."""
    return tuple(_KINDS.values())


class _Names(Sequence[str]):
    """The names of the registered kinds, read afresh on every use."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return tuple(_KINDS)[index]

    def __len__(self) -> int:
        return len(_KINDS)

    def __contains__(self, value: object) -> bool:
        return value in _KINDS

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_KINDS))

    def __repr__(self) -> str:
        return repr(tuple(_KINDS))


class _Plurals(Mapping[str, str]):
    """Kind name -> URL segment, or (``reverse``) segment -> name, read afresh."""

    def __init__(self, *, reverse: bool = False) -> None:
        self._reverse = reverse

    def _current(self) -> dict[str, str]:
        pairs = {k.name: k.plural for k in _KINDS.values()}
        return {v: k for k, v in pairs.items()} if self._reverse else pairs

    def __getitem__(self, key: str) -> str:
        return self._current()[key]

    def __len__(self) -> int:
        return len(_KINDS)

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __repr__(self) -> str:
        return repr(self._current())


# Live views for code that wants names only: `kind in KINDS`, `KIND_PLURALS[kind]`.
KINDS: Sequence[str] = _Names()
KIND_PLURALS: Mapping[str, str] = _Plurals()
PLURAL_KINDS: Mapping[str, str] = _Plurals(reverse=True)
