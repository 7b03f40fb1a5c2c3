"""schemathesis against the app's own OpenAPI spec, as an admin (every route allowed): no
answer is a server error, and every answer matches the spec (status, content type, schema).

The operations are driven with Hypothesis directly (``operation.as_strategy()``): the
schemathesis pytest plugin's lazy loader does not work with pytest 9."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from defectio.accounts.roles import Role
from defectio.web import WebSettings, create_app
from tests.conftest import require
from tests.web.conftest import WebStore

OPERATIONS = [
    "GET /api/v1/me",
    "GET /api/v1/cases",
    "GET /api/v1/cases/{case_id}",
    "GET /api/v1/passages",
    "GET /api/v1/annotations",
    "POST /api/v1/annotations",
    "POST /api/v1/annotations/{annotation_id}/accept",
    "POST /api/v1/annotations/{annotation_id}/reject",
    "POST /api/v1/code",
    "GET /api/v1/stats",
    "POST /api/v1/counter",
    "GET /api/v1/agreement",
    "GET /api/v1/brief",
    "GET /api/v1/events",
]
EXAMPLES = {"GET /api/v1/brief": 4, "POST /api/v1/counter": 10}


def _operations(schema: Any) -> dict[str, Any]:
    out = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        out[f"{operation.method.upper()} {operation.path}"] = operation
    return out


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_answers_generated_requests_as_its_spec_says(
    label: str, web_store: WebStore
) -> None:
    require("schemathesis")
    import schemathesis

    app = create_app(WebSettings(db_url=web_store.url, coder="linear.v1"))
    headers = {"Authorization": f"Bearer {web_store.tokens[Role.ADMIN]}"}
    try:
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        operations = _operations(schema)
        assert label in operations, sorted(operations)

        @given(case=operations[label].as_strategy())
        @settings(
            max_examples=EXAMPLES.get(label, 30),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers)

        run()
    finally:
        app.state.defectio.store.dispose()


def test_the_list_covers_every_operation_of_the_spec(web_store: WebStore) -> None:
    require("schemathesis")
    import schemathesis

    app = create_app(WebSettings(db_url=web_store.url))
    try:
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        assert sorted(_operations(schema)) == sorted(OPERATIONS)
    finally:
        app.state.defectio.store.dispose()
