"""Helpers of the admin tests: accounts, logged-in clients, CSRF-carrying posts."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from comms.admin import auth
from comms.admin.models import User

PASSWORD = "correct horse battery"
TOKEN = "test-csrf-token"


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2id hash of PASSWORD, computed once for the whole run."""
    return auth.hash_password(PASSWORD)


def make_user(session: Session, email: str, role: str = "editor") -> User:
    """An active account whose password is PASSWORD."""
    user = User(email=email, role=role, password_hash=password_hash())
    session.add(user)
    session.commit()
    return user


def log_in_as(client: Any, user: User) -> None:
    """Give the client the session a real login would have made."""
    with client.application.extensions["comms"].sessionmaker() as session:
        token = auth.open_login(session, user, now=datetime.now(UTC))
    with client.session_transaction() as sess:
        sess.clear()
        sess[auth.SESSION_KEY] = token
        sess["_csrf"] = TOKEN


def with_token(client: Any) -> str:
    """Make sure the client's session carries TOKEN; return it."""
    with client.session_transaction() as sess:
        sess["_csrf"] = TOKEN
    return TOKEN


def post(client: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any):
    """POST with the session's CSRF token."""
    payload = {"csrf_token": with_token(client), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def png_bytes(size: tuple[int, int] = (8, 6), fmt: str = "PNG") -> bytes:
    """A small real image."""
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, format=fmt)
    return out.getvalue()
