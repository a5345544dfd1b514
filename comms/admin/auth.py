"""Passwords (argon2id), the login session, throttling and safe redirects.

The session holds the user id, the login time and a fragment derived from the
password hash: changing the password changes the hash, so every other session of
that account stops working at its next request.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, redirect, request, url_for
from flask import session as flask_session
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from comms.admin.models import LoginAttempt, User
from comms.web.context import comms_state, get_session

P = ParamSpec("P")
R = TypeVar("R")

SESSION_LIFETIME = timedelta(hours=12)
WINDOW = timedelta(minutes=15)
ACCOUNT_SOFT_LIMIT = 5  # failures before answers are slowed down
ACCOUNT_HARD_LIMIT = 10  # failures before every try is refused (429)
ADDRESS_HARD_LIMIT = 30
SLOWDOWN_STEP = 0.1  # seconds added per failure past the soft limit
SLOWDOWN_MAX = 1.0
MIN_PASSWORD_LENGTH = 10


_FAST_FOR_TESTS = {"enabled": False}


def use_test_profile(enabled: bool) -> None:
    """Hash with argon2id's cheapest parameters (test runs only) or the RFC profile.

    Verification always follows the parameters stored in each hash, so switching
    never locks anyone out; a login re-hashes an old hash with the current profile.
    """
    _FAST_FOR_TESTS["enabled"] = enabled


def hasher() -> PasswordHasher:
    """The argon2id hasher (RFC 9106 low-memory profile; cheapest under tests)."""
    return _hasher(_FAST_FOR_TESTS["enabled"])


@lru_cache(maxsize=2)
def _hasher(cheap: bool) -> PasswordHasher:
    profile = profiles.CHEAPEST if cheap else profiles.RFC_9106_LOW_MEMORY
    return PasswordHasher.from_parameters(profile)


def slowdown_step() -> float:
    """Seconds added per failure past the soft limit (shorter under tests)."""
    return SLOWDOWN_STEP / 10 if _FAST_FOR_TESTS["enabled"] else SLOWDOWN_STEP


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return hasher().hash(password)


@lru_cache(maxsize=2)
def _dummy_hash(_cheap: bool) -> str:
    return hash_password("not a real password, only spends the same time")


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` matches; unknown users cost as much as known ones."""
    stored = (
        user.password_hash
        if user is not None
        else _dummy_hash(_FAST_FOR_TESTS["enabled"])
    )
    try:
        ok = hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.active


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1000:
        return "the password is too long"
    return None


def session_fragment(user: User, secret: str) -> str:
    """A value tying a session to the account's current password hash."""
    return hmac.new(
        secret.encode(), user.password_hash.encode(), hashlib.sha256
    ).hexdigest()[:32]


def session_valid(
    user: User | None,
    fragment: object,
    logged_in_at: object,
    now: datetime,
    secret: str,
) -> bool:
    """True when a session's stored values still admit ``user``."""
    if user is None or not user.active or not isinstance(fragment, str):
        return False
    if not isinstance(logged_in_at, int | float):
        return False
    if now.timestamp() - logged_in_at > SESSION_LIFETIME.total_seconds():
        return False
    return hmac.compare_digest(fragment, session_fragment(user, secret))


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


@dataclass(frozen=True)
class Throttle:
    """What to do with a login try: go ahead (after ``delay``) or refuse."""

    refused: bool
    delay: float
    retry_after: int


def throttle(session: Session, email: str, address: str, now: datetime) -> Throttle:
    """Decide on a login try from the recent failures of this account and address."""
    since = now - WINDOW
    account = _failures(session, LoginAttempt.email == email, since, reset=True)
    by_address = _failures(session, LoginAttempt.address == address, since, reset=False)
    retry = int(WINDOW.total_seconds())
    if account >= ACCOUNT_HARD_LIMIT or by_address >= ADDRESS_HARD_LIMIT:
        return Throttle(refused=True, delay=0.0, retry_after=retry)
    over = account - ACCOUNT_SOFT_LIMIT + 1
    delay = min(SLOWDOWN_MAX, slowdown_step() * over) if over > 0 else 0.0
    return Throttle(refused=False, delay=delay, retry_after=0)


def _failures(
    session: Session, who: ColumnElement[bool], since: datetime, *, reset: bool
) -> int:
    conditions = [who, LoginAttempt.success.is_(False), LoginAttempt.at >= since]
    if reset:  # a successful login clears an account's earlier failures
        last_success = (
            select(func.max(LoginAttempt.at))
            .where(who, LoginAttempt.success.is_(True), LoginAttempt.at >= since)
            .scalar_subquery()
        )
        conditions.append(LoginAttempt.at > func.coalesce(last_success, since))
    count = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(*conditions)
    )
    return int(count or 0)


def record_attempt(
    session: Session, email: str, address: str, success: bool, now: datetime
) -> None:
    """Store one login try and forget tries older than a day."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(1)))
    session.add(LoginAttempt(email=email, address=address, success=success, at=now))


def find_user(session: Session, email: str) -> User | None:
    """The account with this e-mail address (case-insensitive)."""
    return session.scalars(
        select(User).where(User.email == email.strip().lower())
    ).first()


# --- the login session of a request ------------------------------------------------


def current_user() -> User | None:
    """The logged-in officer of this request, or None."""
    if "admin_user" in g:
        found: User | None = g.admin_user
        return found
    user = None
    uid = flask_session.get("uid")
    if isinstance(uid, int):
        candidate = get_session().get(User, uid)
        secret = comms_state().settings.secret_key
        if session_valid(
            candidate,
            flask_session.get("auth"),
            flask_session.get("at"),
            datetime.now(UTC),
            secret,
        ):
            user = candidate
        else:
            flask_session.clear()
    g.admin_user = user
    return user


def require_user() -> User:
    """The logged-in officer (the guard has made sure there is one)."""
    user = current_user()
    if user is None:
        abort(401)
    return user


def start_session(user: User) -> None:
    """Replace the whole session with a fresh one for ``user``."""
    flask_session.clear()
    flask_session["uid"] = user.id
    flask_session["auth"] = session_fragment(user, comms_state().settings.secret_key)
    flask_session["at"] = int(time.time())
    g.admin_user = user


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Let only a logged-in officer reach this view (of any blueprint)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if current_user() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("admin.login", next=target), code=303)
        return view(*args, **kwargs)

    return wrapper
