"""Officers' accounts: create, log in (throttled), change password, manage roles."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin import audit, auth
from comms.admin.models import ROLES, User
from comms.errors import CommsError, NotFound, ValidationFailed
from comms.text import normalise_email


class TooManyAttempts(CommsError):
    """Too many wrong passwords for this account or address: try again later."""

    def __init__(self, retry_after: int, what: str = "failed logins") -> None:
        super().__init__(f"Too many {what}. Wait a few minutes before you try again.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class NewAccount:
    """What creating an account needs."""

    email: str
    role: str
    password: str


def create_user(
    session: Session, new: NewAccount, *, actor: User | None, now: datetime
) -> User:
    """A new account with an argon2id password hash."""
    email = normalise_email(new.email)
    problems = []
    if new.role not in ROLES:
        problems.append(f"role: use one of {', '.join(ROLES)}")
    problem = auth.password_problem(new.password, email)
    if problem:
        problems.append(f"password: {problem}")
    if auth.find_user(session, email) is not None:
        problems.append(f"email: an account for {email} already exists")
    if problems:
        raise ValidationFailed(problems)
    user = User(
        email=email,
        role=new.role,
        password_hash=auth.hash_password(new.password),
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "create-user",
        user,
        before=None,
        after=audit.user_snapshot(user),
        now=now,
    )
    session.commit()
    return user


def log_in(
    session: Session, email: str, password: str, *, address: str, now: datetime
) -> User | None:
    """The account if the password matches; slowed, then refused, after failures."""
    email = email.strip().lower()[:254]
    attempt = auth.claim_attempt(session, email, address, now)
    if attempt.refused:
        raise TooManyAttempts(attempt.retry_after)
    if attempt.delay:
        time.sleep(attempt.delay)
    user = auth.find_user(session, email)
    ok = auth.verify_password(user, password)
    if ok and user is not None:
        auth.attempt_succeeded(session, attempt)
        if auth.hasher().check_needs_rehash(user.password_hash):
            user.password_hash = auth.hash_password(password)
        user.last_login_at = now
    session.commit()
    return user if ok else None


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    *,
    address: str,
    now: datetime,
) -> None:
    """Set a new password after checking the current one; end every session.

    The check of the current password is throttled like a login, on the same
    account: a stolen session cannot be used to guess the password.
    """
    attempt = auth.claim_attempt(session, user.email, address, now)
    if attempt.refused:
        raise TooManyAttempts(attempt.retry_after, "wrong passwords")
    if attempt.delay:
        time.sleep(attempt.delay)
    problems = []
    if auth.verify_password(user, current):
        auth.attempt_succeeded(session, attempt)
        session.commit()
    else:
        problems.append("current_password: this is not your current password")
    problem = auth.password_problem(new, user.email)
    if problem:
        problems.append(f"new_password: {problem}")
    if problems:
        raise ValidationFailed(problems)
    before = audit.user_snapshot(user)
    user.password_hash = auth.hash_password(new)
    user.password_changed_at = now
    auth.end_all_logins(session, user)
    audit.record(
        session,
        user,
        "change-password",
        user,
        before=before,
        after=audit.user_snapshot(user),
        now=now,
    )
    session.commit()


def list_users(session: Session) -> list[User]:
    """Every account, by e-mail address."""
    return list(session.scalars(select(User).order_by(User.email)))


def update_user(
    session: Session,
    actor: User,
    user_id: int,
    *,
    role: str,
    active: bool,
    now: datetime,
) -> User:
    """Change an account's role or switch it off (never one's own)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no account {user_id}")
    if role not in ROLES:
        raise ValidationFailed([f"role: use one of {', '.join(ROLES)}"])
    if user.id == actor.id and (role != user.role or not active):
        raise ValidationFailed(
            ["you cannot change your own role or switch yourself off"]
        )
    before = audit.user_snapshot(user)
    user.role, user.active = role, active
    audit.record(
        session,
        actor,
        "update-user",
        user,
        before=before,
        after=audit.user_snapshot(user),
        now=now,
    )
    session.commit()
    return user
