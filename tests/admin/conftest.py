"""Admin fixtures: an editor and an admin account, and clients logged in as each."""

from __future__ import annotations

import pytest

from tests.admin.helpers import log_in_as, make_user


@pytest.fixture
def editor(session):  # type: ignore[no-untyped-def]
    """An editor account."""
    return make_user(session, "editor@example.org", "editor")


@pytest.fixture
def admin_user(session):  # type: ignore[no-untyped-def]
    """An admin account."""
    return make_user(session, "admin@example.org", "admin")


@pytest.fixture
def editor_client(app, editor):  # type: ignore[no-untyped-def]
    """A client logged in as the editor."""
    client = app.test_client()
    log_in_as(client, editor)
    return client


@pytest.fixture
def admin_client(app, admin_user):  # type: ignore[no-untyped-def]
    """A client logged in as the admin."""
    client = app.test_client()
    log_in_as(client, admin_user)
    return client
