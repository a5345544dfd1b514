"""CSV cells that a spreadsheet will not run as formulas (OWASP "CSV injection").

A cell starting with ``= + - @``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets; such a cell is written with a leading
single quote, which they show as text. A cell that already starts with a quote
gets one more, so that ``restore`` undoes ``neutralise`` exactly and an export
imports back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def neutralise(value: str) -> str:
    """The cell as a spreadsheet shows it as text, never as a formula."""
    if value.startswith((*FORMULA_STARTS, _QUOTE)):
        return _QUOTE + value
    return value


def neutralise_row(values: Iterable[str]) -> list[str]:
    """Every cell of a row neutralised."""
    return [neutralise(v) for v in values]


def restore(value: str) -> str:
    """The value ``neutralise`` was given (other cells are returned as they are)."""
    if value.startswith(_QUOTE) and value[1:2].startswith((*FORMULA_STARTS, _QUOTE)):
        return value[1:]
    return value
