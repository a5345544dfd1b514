"""Old addresses of a renamed item: every per-item URL follows it with a 308."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from comms.catalogue import service
from comms.context import comms_state, get_session, now, preferred_languages


def moved_response(
    kind: str, slug: str, endpoint: str, **values: Any
) -> Response | None:
    """A permanent redirect to ``endpoint`` at the new slug of a renamed item, or None.

    Asked only after nothing answered at ``slug`` (see service.find_moved), so a new
    item that takes an old slug is never hidden. The query string is kept.
    """
    renamed = service.find_moved(
        get_session(),
        kind,
        slug,
        wanted=preferred_languages(),
        default_language=comms_state().site.default_language,
        now=now(),
    )
    if renamed is None:
        return None
    target = url_for(endpoint, slug=renamed.slug, **values)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=308)
