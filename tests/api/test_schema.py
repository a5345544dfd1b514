"""schemathesis against /api/v1/openapi.json: no 500, every answer as documented."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import make_item, make_report

EXAMPLES = 20
# An opaque cursor cannot be described by a schema: any string is schema-valid, but
# only one the API gave out is accepted (others get the documented 400). So the
# "schema-valid data is accepted" check is left out for the listing alone.
OPAQUE = {"GET /items": [positive_data_acceptance]}


def test_every_operation_answers_as_its_openapi_document_says(app, session, store):
    make_item(session, slug="launch", tags=["energy"], regions=["bayern"])
    make_report(session, store, slug="policy", deliverable="D1")
    make_item(session, kind="video", slug="film", view_count=3)
    make_item(session, kind="event", slug="workshop", participants=12)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # schemathesis leaves out the operation that serves the document itself
    assert {op.label for op in operations} >= {
        "GET /items", "GET /items/{kind}/{slug}", "GET /tags", "GET /regions",
        "GET /newsletters",
    }  # fmt: skip
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):  # type: ignore[no-untyped-def]
            response = case.call_and_validate(
                excluded_checks=OPAQUE.get(operation.label, [])
            )
            assert response.status_code < 500

        conforms()
