"""A mark for interface messages written in plain-Python code (no Flask here).

Services raise English messages; ``N_("...")`` returns its argument unchanged but
lets ``make translations`` extract it, and the view that shows the message to a
visitor translates it with ``gettext``.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark ``message`` for translation without translating it here."""
    return message
