"""Easy-to-guess passwords are refused at every door that sets one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from comms.admin import auth
from comms.admin.models import User
from tests.admin.helpers import PASSWORD, post

WEAK = ["aaaaaaaaaa", "password1234", "qwertyuiop123", "newofficer@example.org"]
STRONG = "a long secret phrase"


@pytest.mark.parametrize("weak", WEAK)
def test_password_problem_refuses_common_and_low_variety(weak: str) -> None:
    problem = auth.password_problem(weak, "newofficer@example.org")
    assert problem is not None and problem.startswith("the password is too easy")


@pytest.mark.parametrize("weak", ["example.org2026", "Example.org#1", "example.org!!"])
def test_password_problem_refuses_the_accounts_domain_with_a_suffix(weak: str) -> None:
    # zxcvbn knew "example" and "org" apart, not "example.org": scored 3 or 4.
    problem = auth.password_problem(weak, "newofficer@example.org")
    assert problem is not None and problem.startswith("the password is too easy")


def test_password_problem_names_what_is_wrong() -> None:
    problem = auth.password_problem("aaaaaaaaaa", "x@example.org")
    assert problem is not None and 'Repeats like "aaa"' in problem


def test_password_problem_accepts_a_passphrase_of_any_length() -> None:
    assert auth.password_problem(STRONG, "x@example.org") is None
    assert auth.password_problem(STRONG * 20, "x@example.org") is None


@pytest.mark.parametrize("weak", WEAK)
def test_admin_form_refuses_a_weak_first_password(admin_client, session, weak) -> None:
    response = post(
        admin_client,
        "/admin/users/",
        {"email": "newofficer@example.org", "role": "editor", "password": weak},
    )
    assert response.status_code == 422
    assert "password: the password is too easy to guess" in response.get_data(True)
    assert session.scalars(select(User.email)).all() == ["admin@example.org"]


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "editor@example.org"])
def test_password_change_refuses_a_weak_password(
    editor_client, session, editor, weak
) -> None:
    response = post(
        editor_client,
        "/admin/password",
        {"current_password": PASSWORD, "new_password": weak, "confirm_password": weak},
    )
    assert response.status_code == 422
    assert "new_password: the password is too easy" in response.get_data(True)
    session.expire_all()
    assert auth.verify_password(session.get(User, editor.id), PASSWORD)


def test_user_create_command_refuses_a_weak_password(runner, session) -> None:
    result = runner.invoke(
        args=["user", "create", "b@example.org", "--password-stdin"],
        input="aaaaaaaaaa\n",
    )
    assert result.exit_code == 1
    assert "Error: password: the password is too easy to guess." in result.output
    assert session.scalars(select(User)).first() is None
