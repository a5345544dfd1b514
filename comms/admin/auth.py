"""Passwords (argon2id and zxcvbn), login sessions, throttling and safe redirects.

A login session is a row on the server; the signed cookie holds only a random
token whose hash finds that row. Logging out deletes it, so does changing the
password (for the account's other sessions); it also ends after
``SESSION_LIFETIME`` or when unused for the idle timeout (COMMS_SESSION_IDLE_MINUTES).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
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
from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from comms.admin.models import LoginAttempt, LoginSession, User
from comms.context import comms_state, get_session

P = ParamSpec("P")
R = TypeVar("R")

SESSION_LIFETIME = timedelta(hours=12)  # the absolute limit, however active
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
WINDOW = timedelta(minutes=15)
ACCOUNT_SOFT_LIMIT = 5  # failures before answers are slowed down
ACCOUNT_HARD_LIMIT = 10  # failures before every try is refused (429)
ADDRESS_HARD_LIMIT = 30
SLOWDOWN_STEP = 0.1  # seconds added per failure past the soft limit
SLOWDOWN_MAX = 1.0
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
MIN_PASSWORD_SCORE = 3  # zxcvbn: "safely unguessable", about 10^8 guesses and more
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 are judged


# zxcvbn keeps each call's user inputs in a module-level dictionary.
_ZXCVBN_LOCK = threading.Lock()
# argon2id with RFC 9106's low-memory profile. Verification follows the parameters
# stored in each hash, and a login re-hashes a hash made with other parameters.
HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def hasher() -> PasswordHasher:
    """The argon2id hasher every password is hashed and checked with."""
    return HASHER


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return hasher().hash(password)


@lru_cache(maxsize=2)
def _dummy_hash(with_hasher: PasswordHasher) -> str:
    return with_hasher.hash("not a real password, only spends the same time")


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` matches; unknown users cost as much as known ones."""
    stored = user.password_hash if user is not None else _dummy_hash(hasher())
    try:
        ok = hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.active


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` is not acceptable for the account ``email``, or None.

    Common, low-variety and e-mail-derived passwords are judged by zxcvbn, not a
    home-made rule set.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "the password is too long"
    # Imported here: its word lists take 20 ms and megabytes, needed only here.
    from zxcvbn import zxcvbn

    local, _, domain = email.lower().partition("@")
    with _ZXCVBN_LOCK:
        verdict = zxcvbn(
            password[:ZXCVBN_MAX_LENGTH],
            # The whole domain too: its parts alone let "example.org2026" pass.
            user_inputs=[email.lower(), local, domain, *domain.split(".")],
        )
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = verdict["feedback"]
    hints = [feedback["warning"], *feedback["suggestions"]]
    why = " ".join(h for h in hints if h) or "It is too easy to guess."
    return f"the password is too easy to guess. {why}"


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


# --- throttling: every try is counted before it is checked --------------------------


@dataclass(frozen=True)
class Attempt:
    """A password try already counted: go ahead (after ``delay``) or refused."""

    id: int | None
    refused: bool
    delay: float
    retry_after: int


def claim_attempt(session: Session, email: str, address: str, now: datetime) -> Attempt:
    """Count a password try for ``email`` from ``address`` and decide on it.

    The try is stored and committed first, as a failure, and only then are the
    recent failures counted, this one included. Every worker, process and host
    shares the database, so of N simultaneous tries the k-th to commit counts at
    least k rows: no more than the limit are ever checked. A refused try is
    removed again (it was not checked, so it does not lengthen the lock-out).
    """
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(1)))
    row = LoginAttempt(email=email, address=address, success=False, at=now)
    session.add(row)
    session.commit()
    since = now - WINDOW
    account = _failures(session, LoginAttempt.email == email, since, reset=True)
    by_address = _failures(session, LoginAttempt.address == address, since, reset=False)
    if account > ACCOUNT_HARD_LIMIT or by_address > ADDRESS_HARD_LIMIT:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id == row.id))
        session.commit()
        retry = int(WINDOW.total_seconds())
        return Attempt(id=None, refused=True, delay=0.0, retry_after=retry)
    over = account - ACCOUNT_SOFT_LIMIT  # the failures before this one, past the soft
    delay = min(SLOWDOWN_MAX, SLOWDOWN_STEP * over) if over > 0 else 0.0
    return Attempt(id=row.id, refused=False, delay=delay, retry_after=0)


def attempt_succeeded(session: Session, attempt: Attempt) -> None:
    """Mark a checked try as a success (the caller commits)."""
    session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(success=True)
    )


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


def find_user(session: Session, email: str) -> User | None:
    """The account with this e-mail address (case-insensitive)."""
    return session.scalars(
        select(User).where(User.email == email.strip().lower())
    ).first()


# --- login sessions, stored on the server --------------------------------------------


def _token_hash(token: str) -> str:
    # The token is 256 random bits: a plain hash keeps a read of the table from
    # yielding usable cookies, with nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def open_login(
    session: Session, user: User, *, now: datetime, user_agent: str = ""
) -> str:
    """Store a new login session for ``user``; return its token for the cookie."""
    session.execute(
        delete(LoginSession).where(LoginSession.created_at < now - SESSION_LIFETIME)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            user_agent=user_agent[:200],
        )
    )
    session.commit()
    return token


def resume_login(
    session: Session, token: str, *, now: datetime, idle: timedelta
) -> User | None:
    """The active account whose live session ``token`` opens, else None.

    A session past its absolute or idle limit is deleted; a live one has its
    last use written at most once a minute, so requests do not each write.
    """
    columns = (
        LoginSession.id,
        LoginSession.user_id,
        LoginSession.created_at,
        LoginSession.last_seen_at,
    )
    found = session.execute(
        select(*columns).where(LoginSession.token_hash == _token_hash(token))
    ).first()
    if found is None:
        return None
    # Statements, not ORM changes: a parallel request may be ending this session.
    this = LoginSession.id == found.id
    if found.created_at <= now - SESSION_LIFETIME or found.last_seen_at <= now - idle:
        session.execute(delete(LoginSession).where(this))
        session.commit()
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        session.execute(update(LoginSession).where(this).values(last_seen_at=now))
        session.commit()
    return user


def end_login(session: Session, token: str) -> None:
    """Delete the session ``token`` opens (logging out)."""
    session.execute(
        delete(LoginSession).where(LoginSession.token_hash == _token_hash(token))
    )
    session.commit()


def end_all_logins(session: Session, user: User) -> None:
    """Delete every session of ``user`` (the caller commits)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


# --- the login session of a request ------------------------------------------------

SESSION_KEY = "sid"


def current_user() -> User | None:
    """The logged-in officer of this request, or None."""
    if "admin_user" in g:
        found: User | None = g.admin_user
        return found
    user = None
    token = flask_session.get(SESSION_KEY)
    if isinstance(token, str):
        settings = comms_state().settings
        user = resume_login(
            get_session(),
            token,
            now=datetime.now(UTC),
            idle=timedelta(minutes=settings.session_idle_minutes),
        )
        if user is None:  # logged out elsewhere, expired or switched off
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
    old = flask_session.get(SESSION_KEY)
    if isinstance(old, str):
        end_login(get_session(), old)
    flask_session.clear()
    flask_session[SESSION_KEY] = open_login(
        get_session(),
        user,
        now=datetime.now(UTC),
        user_agent=request.headers.get("User-Agent", ""),
    )
    g.admin_user = user


def end_session() -> None:
    """Log out: delete the server-side session, then empty the cookie."""
    token = flask_session.get(SESSION_KEY)
    if isinstance(token, str):
        end_login(get_session(), token)
    flask_session.clear()
    g.admin_user = None


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Let only a logged-in officer reach this view (of any blueprint)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if current_user() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("admin.login", next=target), code=303)
        return view(*args, **kwargs)

    return wrapper
