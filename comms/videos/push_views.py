"""The public WebSub callback YouTube's hub calls: intent verification, notifications.

No CSRF token and no login: the unguessable token in the URL says which
subscription is meant, and the HMAC signature says the hub sent the body.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from comms.context import comms_state, get_session, now
from comms.errors import BadRequest, NotFound
from comms.videos import push, websub

bp = Blueprint("websub", __name__)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _text(body: str, status: int) -> Response:
    response = Response(body, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(f"{websub.CALLBACK_PATH}<token>")
def verify(token: str) -> Response:
    """Echo the hub's challenge when it confirms what we asked; 404 otherwise."""
    if not _TOKEN.match(token):
        raise NotFound("no such subscription")
    args = {key: request.args.get(key, "") for key in request.args}
    challenge = push.verify_intent(get_session(), token, args, now())
    return _text(challenge, 200)


@bp.post(f"{websub.CALLBACK_PATH}<token>")
def notify(token: str) -> Response:
    """Take a notification: 204 whatever the signature, 410 for an unknown token."""
    if not _TOKEN.match(token):
        return _text("no such subscription", 410)
    length = request.content_length
    if length is not None and length > websub.MAX_BODY:
        return _text("notification too large", 413)
    body = request.stream.read(websub.MAX_BODY + 1)
    if len(body) > websub.MAX_BODY:
        return _text("notification too large", 413)
    state = comms_state()
    try:
        received = push.receive(
            state.sessionmaker,
            state.settings,
            state.store,
            push.Notification(token, body, request.headers.get("X-Hub-Signature")),
            default_language=state.site.default_language,
            now=now(),
        )
    except websub.BadNotification as exc:
        raise BadRequest(str(exc)) from None
    if received.outcome == "gone":
        # WebSub: 410 tells the hub the subscription is gone, so it stops sending.
        return _text("no such subscription", 410)
    # The same answer for a bad signature as for a good one (WebSub 8): an
    # attacker learns nothing, and a sync failure is covered by the next poll.
    return _text("", 204)
