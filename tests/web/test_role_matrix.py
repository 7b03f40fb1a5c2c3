"""Every route, every role: allowed is a success, denied is 403, unauthenticated is a
redirect to sign-in (pages) or 401 (API). The table below is the specification; a route the
app has but the table lacks fails the last test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from defectio.accounts.roles import Role
from defectio.store import review as review_store
from defectio.store.repo import Store
from defectio.web import WebSettings, create_app
from defectio.web.app import API_PREFIX
from defectio.web.routes import api, auth_pages, pages, retrain, review_pages
from tests.web.conftest import WebStore, seal_identity, sign_in

CASE = "D001"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {case}, {passage}, {annotation} are filled from the store
    least: Role
    form: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    #: What an allowed role gets. Retraining is refused past the role check (400) where the
    #: server's coder is the lexicon, so that the matrix starts no training.
    ok: tuple[int, ...] = (200, 201, 303)
    coder: str = "linear.v1"

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


ROUTES = [
    # pages
    Route("GET", "/", Role.VIEWER),
    Route("GET", "/charts/prevalence.svg", Role.VIEWER),
    Route("GET", "/cases", Role.VIEWER),
    Route("GET", "/cases/{case}", Role.VIEWER),
    Route("GET", "/codebook", Role.VIEWER),
    Route("GET", "/counter", Role.VIEWER),
    Route("GET", "/brief", Role.VIEWER),
    Route("GET", "/brief/download?format=md", Role.VIEWER),
    Route("POST", "/sign-out", Role.VIEWER),
    Route("GET", "/review", Role.CODER),
    Route("POST", "/annotations/{annotation}/accept", Role.CODER, {"next": "/review"}),
    Route("POST", "/annotations/{annotation}/reject", Role.CODER, {"next": "/review"}),
    Route("POST", "/annotations/{annotation}/memo", Role.CODER, {"memo": "checked"}),
    Route("POST", "/passages/{passage}/codes", Role.CODER, {"code": "brutality"}),
    Route("GET", "/agreement", Role.REVIEWER),
    Route(
        "POST",
        "/agreement/settle",
        Role.REVIEWER,
        {"passage_id": "{passage}", "code": "brutality", "decision": "present"},
    ),
    Route("GET", "/review/retrain", Role.REVIEWER),
    Route("POST", "/review/retrain", Role.REVIEWER, ok=(400,), coder="lexicon.v1"),
    Route("POST", "/review/retrain/adopt", Role.REVIEWER, ok=(400,)),
    Route("POST", "/cases/{case}/identity", Role.ADMIN),
    Route("GET", "/audit", Role.ADMIN),
    # API
    Route("GET", "/api/v1/me", Role.VIEWER),
    Route("GET", "/api/v1/cases", Role.VIEWER),
    Route("GET", "/api/v1/cases/{case}", Role.VIEWER),
    Route("GET", "/api/v1/passages", Role.VIEWER),
    Route("GET", "/api/v1/annotations", Role.VIEWER),
    Route("GET", "/api/v1/stats", Role.VIEWER),
    Route("POST", "/api/v1/counter", Role.VIEWER, json={"claim": "The caliphate is a just state"}),
    Route("GET", "/api/v1/brief?format=md", Role.VIEWER),
    Route("POST", "/api/v1/code", Role.CODER, json={"text": "The emirs stole from the people."}),
    Route(
        "POST",
        "/api/v1/annotations",
        Role.CODER,
        json={"passage_id": "{passage}", "code": "brutality"},
    ),
    Route("POST", "/api/v1/annotations/{annotation}/accept", Role.CODER, json={}),
    Route("POST", "/api/v1/annotations/{annotation}/reject", Role.CODER, json={}),
    Route("GET", "/api/v1/agreement", Role.REVIEWER),
    Route("GET", "/api/v1/events", Role.ADMIN),
]


def _ids(store: Store) -> dict[str, str]:
    suggestion = review_store.open_suggestions(store)[0]
    return {
        "case": CASE,
        "passage": suggestion.passage_id,
        "annotation": str(suggestion.annotation_id),
    }


def _fill(text: str, ids: dict[str, str]) -> str:
    for key, value in ids.items():
        text = text.replace("{" + key + "}", value)
    return text


def _request(
    client: TestClient, route: Route, ids: dict[str, str], csrf: str | None, token: str | None
) -> Any:
    url = _fill(route.path, ids)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if route.method == "GET":
        return client.get(url, headers=headers)
    if route.json is not None:
        body = {k: _fill(v, ids) if isinstance(v, str) else v for k, v in route.json.items()}
        return client.post(url, json=body, headers=headers)
    form = {k: _fill(v, ids) for k, v in route.form.items()}
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(url, data=form, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_role_is_allowed_or_denied_as_the_table_says(
    route: Route, web_store: WebStore, store_of: Store
) -> None:
    seal_identity(store_of, CASE)
    ids = _ids(store_of)
    app = create_app(WebSettings(db_url=web_store.url, coder=route.coder))
    try:
        anonymous = TestClient(app, follow_redirects=False)
        denied = _request(anonymous, route, ids, None, None)
        if route.api:
            assert denied.status_code == 401, denied.text
            assert denied.headers["www-authenticate"] == "Bearer"
        else:
            assert denied.status_code == 303
            assert denied.headers["location"].startswith("/sign-in?next=")

        for role in Role:
            client = TestClient(app, follow_redirects=False)
            if route.api:
                response = _request(client, route, ids, None, web_store.tokens[role])
            else:
                csrf = sign_in(client, role.value)
                response = _request(client, route, ids, csrf, None)
            allowed = role.at_least(route.least)
            if allowed:
                assert response.status_code in route.ok, (role, response.text[:300])
                if response.status_code == 303 and route.path != "/sign-out":
                    # on to the next page, never back to sign-in (only signing out goes there)
                    assert not response.headers["location"].startswith("/sign-in"), role
            else:
                assert response.status_code == 403, (role, response.status_code)
    finally:
        app.state.defectio.store.dispose()


def test_the_table_covers_every_route_of_the_app() -> None:
    routers = [(auth_pages.router, ""), (pages.router, ""), (review_pages.router, "")]
    routers.append((retrain.router, ""))
    routers.append((api.router, API_PREFIX))
    have = {
        (method, prefix + route.path)
        for router, prefix in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    public = {("GET", "/sign-in"), ("POST", "/sign-in")}
    names = {"{case_id}": "{case}", "{passage_id}": "{passage}", "{annotation_id}": "{annotation}"}
    templated = set()
    for method, path in have - public:
        for old, new in names.items():
            path = path.replace(old, new)
        templated.add((method, path))
    table = {
        (r.method, r.path.split("?")[0].replace("prevalence.svg", "{name}.svg")) for r in ROUTES
    }
    assert templated == table
