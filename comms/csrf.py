"""A small session-based CSRF check for the site's own forms.

The token lives in the (signed) Flask session; each form carries it in a hidden
``csrf_token`` field; a POST without the matching value gets a 400 page. Endpoints
that are authorised by a secret in their URL (the newsletter's signed links, the
one-click unsubscribe POST a mail client sends) do not use it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, request, session
from werkzeug.exceptions import BadRequest

from comms.messages import N_
from comms.self_requests import is_static_copy

FIELD = "csrf_token"
_SESSION_KEY = "_csrf"
P = ParamSpec("P")
R = TypeVar("R")


def csrf_token() -> str:
    """The session's CSRF token, created on first use (none in a static export)."""
    if is_static_copy(request.environ):
        return ""  # a static copy has no session, and its host takes no POSTs
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


def check_csrf() -> None:
    """Raise a 400 unless the submitted form carries the session's token."""
    expected = session.get(_SESSION_KEY)
    given = request.form.get(FIELD, "")
    if (
        not isinstance(expected, str)
        or not expected
        or not hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise BadRequest(
            N_(
                "The form has expired or was not sent from this site. "
                "Please reload the page and try again."
            )
        )


def protect(view: Callable[P, R]) -> Callable[P, R]:
    """Decorate a view so that every POST to it must pass check_csrf()."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if request.method == "POST":
            check_csrf()
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    """Make ``csrf_token()`` available to every template."""
    app.add_template_global(csrf_token, "csrf_token")
