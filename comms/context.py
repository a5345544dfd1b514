"""Per-request state: the database session, the clock, the visitor's language."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, request
from sqlalchemy.orm import Session

from comms.db import end_session
from comms.errors import BadRequest
from comms.state import Comms


def comms_state() -> Comms:
    """The Comms object of the current app."""
    state: Comms = current_app.extensions["comms"]
    return state


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = comms_state().sessionmaker()
    session: Session = g.db_session
    return session


def close_session(exc: BaseException | None = None) -> None:
    """End the request's session if one was opened (see ``end_session``)."""
    session = g.pop("db_session", None)
    if session is not None:
        end_session(session, exc)


def now() -> datetime:
    """The current time in UTC (one reading per request)."""
    if "now" not in g:
        g.now = datetime.now(UTC).replace(microsecond=0)
    value: datetime = g.now
    return value


def requested_language() -> str | None:
    """`?lang=` if given; BadRequest when the site does not offer it."""
    lang = request.args.get("lang")
    if lang is None or lang == "":
        return None
    languages = comms_state().site.languages
    if lang not in languages:
        raise BadRequest(
            f"language {lang!r} is not offered; use one of {', '.join(languages)}"
        )
    return lang


def preferred_languages() -> list[str]:
    """The visitor's languages in order: ?lang=, the cookie, then Accept-Language."""
    return _preferred(requested_language())


def _preferred(explicit: str | None) -> list[str]:
    g.language_negotiated = True  # the answer varies on them (see comms.web)
    site = comms_state().site
    result: list[str] = []
    if explicit:
        result.append(explicit)
    cookie = request.cookies.get("lang")
    if cookie and cookie in site.languages and cookie not in result:
        result.append(cookie)
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].lower()
        if primary in site.languages and primary not in result:
            result.append(primary)
    return result


def interface_language() -> str:
    """The language pages are shown in."""
    if "lang" not in g:
        wanted = preferred_languages()
        g.lang = wanted[0] if wanted else comms_state().site.default_language
    lang: str = g.lang
    return lang


def language_despite_query() -> str:
    """The interface language, or, when ``?lang=`` names one the site does not
    offer, the visitor's language from the cookie or Accept-Language: the page
    that says so is in a language they read."""
    try:
        return interface_language()
    except BadRequest:
        wanted = _preferred(None)
        return wanted[0] if wanted else comms_state().site.default_language
