"""The interface in the site's languages: Flask-Babel wiring and locale formatting.

The interface language is negotiated once, by ``comms.context.interface_language``
(``?lang=``, the cookie, Accept-Language); Babel only follows it. Messages live in
``comms/translations/<lang>/LC_MESSAGES/messages.po`` (compiled to ``.mo`` beside
them; ``make translations`` extracts, updates and compiles).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

import flask_babel
from babel import dates as babel_dates
from flask import Flask, g, has_app_context, has_request_context
from flask_babel import gettext
from markupsafe import Markup

from comms.messages import N_

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
# Babel's plain `en` writes "May 15, 2018"; the EU's English style (and the site
# before translation) writes "15 May 2018", as British English does.
FORMAT_LOCALES = {"en": "en_GB"}
# The defaults of site.yml's funding texts: shown translated (``|translated``) when
# site.yml keeps them, as they are when it words its own.
CONFIGURED_TEXTS = (
    N_("Co-funded by the European Union"),
    N_("Flag of the European Union"),
)


def babel_locale(language: str) -> str:
    """The Babel locale that formats and translates for ``language``."""
    return FORMAT_LOCALES.get(language, language)


def select_locale() -> str:
    """Flask-Babel's locale selector: the interface language, else the default."""
    from comms.context import comms_state, language_despite_query

    language = comms_state().site.default_language
    if has_request_context():
        language = language_despite_query()
    return babel_locale(language)


def format_date(value: date | datetime | None) -> str:
    """A date in the interface locale: `15 May 2018`, `15. Mai 2018`.

    A datetime is shown on its UTC day; pass a date for a day elsewhere.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):  # its UTC day (the interface's time zone)
        value = (value.astimezone(UTC) if value.tzinfo else value).date()
    return _long_date(value, str(flask_babel.get_locale()))


@functools.lru_cache(maxsize=4096)
def _long_date(day: date, locale: str) -> str:
    # A page shows several dates, and many pages the same ones: each is worked
    # out by Babel once per locale.
    return str(babel_dates.format_date(day, "long", locale=locale))


def format_datetime(value: datetime | None) -> str:
    """A date and time (UTC) in the interface locale: `15 May 2018, 09:00 UTC`."""
    if value is None:
        return ""
    time = flask_babel.format_time(value, "HH:mm")
    return f"{format_date(value)}, {time} UTC"


def format_local(value: datetime | None, zone: tzinfo) -> str:
    """A date and time in ``zone``, named in the interface language:
    `25 January 2018, 09:00 Central European Standard Time`."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{format_date(local.date())}, {_local_time(local, 'HH:mm zzzz')}"


def format_span(start: datetime | None, end: datetime | None, zone: tzinfo) -> str:
    """An event's date and times in ``zone``: one date when it ends the same day."""
    if start is None:
        return ""
    if end is None:
        return format_local(start, zone)
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() != last.date():
        return f"{format_local(first, zone)} – {format_local(last, zone)}"
    times = f"{_local_time(first, 'HH:mm')}–{_local_time(last, 'HH:mm zzzz')}"
    return f"{format_date(first.date())}, {times}"


def _local_time(local: datetime, pattern: str) -> str:
    # Babel itself, not Flask-Babel's wrapper: that one rebases to its own zone.
    return babel_dates.format_time(
        local, pattern, tzinfo=local.tzinfo, locale=flask_babel.get_locale()
    )


def format_number(value: float | int | None) -> str:
    """A count in the interface locale: `12,345`, `12.345`, `12 345`."""
    if value is None:
        return ""
    return str(flask_babel.format_decimal(value))


def format_file_size(size: int | None) -> str:
    """A file's size as people read it, in the interface locale: `7 KB`, `2,4 MB`."""
    if size is None:
        return ""
    if size < 1024 * 1024:
        kilobytes = flask_babel.format_decimal(max(1, round(size / 1024)))
        return str(gettext("%(size)s KB", size=kilobytes))  # French says Ko
    megabytes = round(size / (1024 * 1024), 1)
    shown = flask_babel.format_decimal(megabytes, format="#,##0.#")
    return str(gettext("%(size)s MB", size=shown))


def format_money(value: float | None, currency: str = "EUR") -> str:
    """An amount in the interface locale: `€1,875,000.00`, `1.875.000,00 €`."""
    if value is None:
        return ""
    return str(flask_babel.format_currency(value, currency))


def translated(text: str) -> str:
    """``text`` (from configuration or a service) in the interface language.

    Unlike ``_()`` in templates it returns plain text, escaped where it is shown,
    and leaves a text the catalogue does not know (a custom site.yml) unchanged.
    """
    return str(flask_babel.gettext(text)) if text else text


def _translations() -> Any:
    """Flask-Babel's translations for the current locale, looked up once per locale.

    Flask-Babel resolves its domain, the locale and its cache on every message
    (30 and more on a page); the answer is kept on its per-request namespace
    beside the locale object it belongs to, which ``force_locale`` replaces.
    """
    if not has_app_context():
        return flask_babel.get_translations()
    state = g.get("_flask_babel")
    kept = getattr(state, "comms_translations", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    translations = flask_babel.get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.comms_translations = (locale, translations)
    return translations


def gettext_markup(text: str) -> Markup:
    """``{{ _(text) }}`` of a template, from Python: the translation, taken as the
    site's own HTML and read as a format string (``%%`` is ``%``), as Jinja's
    newstyle gettext does."""
    return Markup(_translations().ugettext(text)) % {}  # noqa: S704


def init_app(app: Flask) -> None:
    """Install Flask-Babel (gettext in templates) with the translations folder."""
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    flask_babel.Babel(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
        default_locale=babel_locale(app.extensions["comms"].site.default_language),
    )
    # The same callables as Flask-Babel's, over the translations kept per locale.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.add_template_filter(translated, "translated")
    app.add_template_filter(format_money, "money")
