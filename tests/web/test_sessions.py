"""How a request's session ends: what only read commits, the rest rolls back."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from comms.catalogue.models import Item
from comms.context import get_session
from tests.factories import make_item


def _add_without_commit() -> str:
    get_session().add(Item(kind="event", slug="ghost", language="en", title="Ghost"))
    return "ok"


def _update_without_commit() -> str:
    get_session().execute(update(Item).values(title="Changed"))
    return "ok"


def _flush_without_commit() -> str:
    session = get_session()
    session.scalars(select(Item)).first().title = "Flushed"  # type: ignore[union-attr]
    session.flush()
    return "ok"


def _write_behind_a_select() -> str:
    session = get_session()
    if session.get_bind().dialect.name == "postgresql":
        # a function that writes, called by a statement that starts with SELECT
        session.execute(text("SELECT test_rename_items()"))
    else:
        session.execute(text("UPDATE item SET title = 'Changed'"))
    return "ok"


def _read_then_lose_the_connection() -> str:
    session = get_session()
    if session.get_bind().dialect.name == "postgresql":
        # the server ends a transaction left idle: ending the request must not fail
        session.execute(text("SET idle_in_transaction_session_timeout = '50ms'"))
        session.scalars(select(Item)).all()
        time.sleep(0.5)
    return "ok"


def _read_then_fail() -> str:
    get_session().scalars(select(Item)).all()
    raise RuntimeError("the view failed")


def _prepared_statements() -> str:
    count = get_session().scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    return str(count)


@pytest.fixture
def routes(app: Flask) -> Flask:
    for view in (
        _add_without_commit,
        _update_without_commit,
        _flush_without_commit,
        _read_then_fail,
        _write_behind_a_select,
        _read_then_lose_the_connection,
        _prepared_statements,
    ):
        app.add_url_rule(f"/test{view.__name__}", view_func=view)
    return app


@pytest.mark.parametrize(
    "path",
    [
        "/test_write_behind_a_select",
        "/test_add_without_commit",
        "/test_update_without_commit",
        "/test_flush_without_commit",
    ],
)
def test_what_a_request_wrote_without_committing_is_never_kept(
    routes, client, session, path
):
    make_item(session, slug="kept", title="Kept")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "CREATE FUNCTION test_rename_items() RETURNS integer LANGUAGE sql "
                "AS $$ UPDATE item SET title = 'Changed' RETURNING 1 $$"
            )
        )
        session.commit()
    assert client.get(path).status_code == 200
    session.expire_all()
    assert session.scalars(select(Item.slug)).all() == ["kept"]
    assert session.scalars(select(Item.title)).all() == ["Kept"]


def test_a_failed_request_ends_its_session(routes, app, session):
    make_item(session, slug="kept", title="Kept")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/test_read_then_fail").status_code == 500
    # the connection went back to the pool usable: the next request reads
    assert app.test_client().get("/search?q=kept").status_code == 200


def test_a_connection_lost_after_the_page_was_built_still_answers(
    routes, app, client, session
):
    make_item(session, slug="kept", title="Kept")
    assert client.get("/test_read_then_lose_the_connection").status_code == 200
    assert client.get("/search?q=kept").status_code == 200


def test_postgresql_keeps_its_prepared_statements_from_request_to_request(
    routes, client, session
):
    make_item(session, slug="glacier", title="Glaciers of the Alps")
    # Different searches (no cached page): the same statements, new values.
    for n in range(8):
        response = client.get(f"/search?q=glaciers+{n}")
        assert response.status_code == 200
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite has no server-side prepared statements
    # psycopg prepares a statement on its fifth run; a ROLLBACK would drop it
    assert int(client.get("/test_prepared_statements").data) > 0
