"""Requests the site makes to itself: one mark, read alike by every part."""

from __future__ import annotations

import pytest

from comms.self_requests import (
    SNAPSHOT,
    STATIC_COPY,
    is_static_copy,
    is_visit,
    mark,
    self_request,
)


@pytest.mark.parametrize(
    ("environ", "visit", "static_copy"),
    [
        ({}, True, False),
        (mark(SNAPSHOT), False, False),
        (mark(STATIC_COPY), False, True),
    ],
)
def test_a_mark_tells_a_visit_a_snapshot_and_a_static_copy_apart(
    environ, visit, static_copy
):
    assert is_visit(environ) is visit
    assert is_static_copy(environ) is static_copy
    assert (self_request(environ) is None) is visit


@pytest.mark.parametrize(
    ("kind", "has_token"), [(SNAPSHOT, True), (STATIC_COPY, False)]
)
def test_only_a_static_copy_gets_no_csrf_token(app, kind, has_token):
    from flask import session

    from comms.csrf import csrf_token

    with app.test_request_context("/", environ_base=mark(kind)):
        assert bool(csrf_token()) is has_token
        assert bool(session) is has_token  # a static copy starts no session
    with app.test_request_context("/"):
        assert csrf_token()
