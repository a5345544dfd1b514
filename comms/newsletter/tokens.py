"""Signed tokens for the links in newsletter mail (itsdangerous).

A token carries the subscriber's random key, never the address, so links in logs,
proxies or forwarded mail reveal nobody. Confirmation tokens expire and carry the
nonce of one subscription request; unsubscribe and preferences tokens never expire
(old issues stay in mailboxes) but stop matching anyone once the person is erased.
Each kind of link has its own salt: an unsubscribe token opens no preferences page.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from comms.errors import BadRequest
from comms.messages import N_

CONFIRM_MAX_AGE = 7 * 24 * 3600
_CONFIRM_SALT = "comms.newsletter.confirm"
_UNSUBSCRIBE_SALT = "comms.newsletter.unsubscribe"
_PREFERENCES_SALT = "comms.newsletter.preferences"


class TokenExpired(BadRequest):
    """A signed link that was valid but is too old."""


class TokenInvalid(BadRequest):
    """A link whose signature does not match: tampered or cut short."""


@dataclass(frozen=True)
class ConfirmClaim:
    """What a confirmation link asserts: this key, this subscription request."""

    key: str
    nonce: str


def confirm_token(secret: str, key: str, nonce: str) -> str:
    """A confirmation link token valid for CONFIRM_MAX_AGE seconds."""
    return URLSafeTimedSerializer(secret, salt=_CONFIRM_SALT).dumps([key, nonce])


def read_confirm_token(
    secret: str, token: str, max_age: int = CONFIRM_MAX_AGE
) -> ConfirmClaim:
    """The claim of a confirmation token; TokenExpired or TokenInvalid otherwise."""
    serializer = URLSafeTimedSerializer(secret, salt=_CONFIRM_SALT)
    try:
        value = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenExpired(
            N_(
                "This confirmation link has expired. Please subscribe again to "
                "get a new one."
            )
        ) from None
    except BadSignature:
        raise TokenInvalid(
            N_(
                "This confirmation link is not valid. Please copy the whole link "
                "from the e-mail, or subscribe again."
            )
        ) from None
    if not (isinstance(value, list) and len(value) == 2):
        raise TokenInvalid(N_("This confirmation link is not valid."))
    return ConfirmClaim(key=str(value[0]), nonce=str(value[1]))


def unsubscribe_token(secret: str, key: str) -> str:
    """A token for the personal unsubscribe link (it does not expire)."""
    return str(URLSafeSerializer(secret, salt=_UNSUBSCRIBE_SALT).dumps(key))


def read_unsubscribe_token(secret: str, token: str) -> str:
    """The subscriber key an unsubscribe token carries; TokenInvalid otherwise."""
    try:
        value = URLSafeSerializer(secret, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise TokenInvalid(
            N_(
                "This unsubscribe link is not valid. Please copy the whole link "
                "from the e-mail."
            )
        ) from None
    if not isinstance(value, str):
        raise TokenInvalid(N_("This unsubscribe link is not valid."))
    return value


def preferences_token(secret: str, key: str) -> str:
    """A token for the personal preferences link (it does not expire)."""
    return str(URLSafeSerializer(secret, salt=_PREFERENCES_SALT).dumps(key))


def read_preferences_token(secret: str, token: str) -> str:
    """The subscriber key a preferences token carries; TokenInvalid otherwise."""
    try:
        value = URLSafeSerializer(secret, salt=_PREFERENCES_SALT).loads(token)
    except BadSignature:
        value = None
    if not isinstance(value, str):
        raise TokenInvalid(
            N_(
                "This preferences link is not valid. Please copy the whole link "
                "from the e-mail."
            )
        )
    return value
