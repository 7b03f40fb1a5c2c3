"""The REST API with Bearer tokens: reading, coding a text, deciding on annotations, and the
same figures as the command line."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from defectio.accounts.roles import Role
from defectio.analysis.counts import stats_summary
from defectio.cli import app as cli
from defectio.store import review as review_store
from defectio.store.repo import Store
from tests.web.conftest import WebStore


def _auth(web_store: WebStore, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {web_store.tokens[role]}"}


def test_code_returns_codes_with_probabilities_and_evidence_inside_the_text(
    client: TestClient, web_store: WebStore
) -> None:
    text = (
        "They beheaded Sunni villagers in front of their children. "
        "The commanders kept the best houses and cars for themselves."
    )
    response = client.post(
        "/api/v1/code", json={"text": text}, headers=_auth(web_store, Role.CODER)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["coder"] == "linear.v1" and body["codebook"].startswith("icsr2015@")
    assert body["codes"], body
    for code in body["codes"]:
        assert 0.0 <= code["probability"] <= 1.0
        for start, end in code["evidence"]:
            assert 0 <= start < end <= len(text)
    assert {"brutality", "corruption"} & {c["code"] for c in body["codes"]}


def test_code_refuses_an_empty_or_unknown_field_naming_it(
    client: TestClient, web_store: WebStore
) -> None:
    empty = client.post("/api/v1/code", json={"text": ""}, headers=_auth(web_store, Role.CODER))
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "text"]
    extra = client.post(
        "/api/v1/code", json={"text": "x", "colour": "red"}, headers=_auth(web_store, Role.CODER)
    )
    assert extra.status_code == 422 and "colour" in extra.text


def test_stats_match_the_command_line(
    client: TestClient, web_store: WebStore, store_of: Store
) -> None:
    api = client.get("/api/v1/stats", headers=_auth(web_store, Role.VIEWER)).json()
    cli_out = CliRunner().invoke(cli, ["--db", web_store.url, "stats", "--json"])
    assert api == json.loads(cli_out.output)
    assert api == json.loads(json.dumps(stats_summary(store_of.corpus(), store_of.codebook())))


def test_agreement_matches_the_command_line(client: TestClient, web_store: WebStore) -> None:
    api = client.get("/api/v1/agreement", headers=_auth(web_store, Role.REVIEWER)).json()
    cli_out = CliRunner().invoke(cli, ["--db", web_store.url, "agreement", "--json"])
    assert api == json.loads(cli_out.output)
    assert "machine" in api["coders"]


def test_cases_filter_and_case_detail_carry_no_identity(
    client: TestClient, web_store: WebStore
) -> None:
    headers = _auth(web_store, Role.VIEWER)
    women = client.get("/api/v1/cases", params={"gender": "f"}, headers=headers).json()
    assert women and {c["gender"] for c in women} == {"f"}
    detail = client.get(f"/api/v1/cases/{women[0]['case_id']}", headers=headers).json()
    assert detail["passages"] and all(p["case_id"] == detail["case_id"] for p in detail["passages"])
    assert "legal_name" not in json.dumps(detail) and "contact" not in json.dumps(detail)
    assert client.get("/api/v1/cases/NOPE", headers=headers).status_code == 404


def test_accept_reject_and_add_through_the_api(
    client: TestClient, web_store: WebStore, store_of: Store
) -> None:
    headers = _auth(web_store, Role.CODER)
    first, second = review_store.open_suggestions(store_of)[:2]
    accepted = client.post(
        f"/api/v1/annotations/{first.annotation_id}/accept",
        json={"memo": "clear"},
        headers=headers,
    ).json()
    assert (accepted["coder"], accepted["status"], accepted["memo"]) == (
        "coder",
        "accepted",
        "clear",
    )
    rejected = client.post(
        f"/api/v1/annotations/{second.annotation_id}/reject", headers=headers
    ).json()
    assert rejected["status"] == "rejected"
    listed = client.get(
        "/api/v1/annotations", params={"passage_id": first.passage_id}, headers=headers
    ).json()
    assert {(a["annotation_id"], a["status"]) for a in listed} >= {
        (first.annotation_id, "accepted")
    }
    added = client.post(
        "/api/v1/annotations",
        json={"passage_id": first.passage_id, "code": "quality_of_life", "evidence": [[0, 5]]},
        headers=headers,
    )
    assert added.status_code == 201 and added.json()["evidence"] == [[0, 5]]
    outside = client.post(
        "/api/v1/annotations",
        json={"passage_id": first.passage_id, "code": "brutality", "evidence": [[0, 99999]]},
        headers=headers,
    )
    assert outside.status_code == 400 and "outside the passage" in outside.json()["detail"]
    assert client.post("/api/v1/annotations/999999/accept", headers=headers).status_code == 404


def test_counter_answers_from_the_store(client: TestClient, web_store: WebStore) -> None:
    response = client.post(
        "/api/v1/counter",
        json={"claim": "Join the caliphate, where Muslims live in dignity and plenty", "n": 3},
        headers=_auth(web_store, Role.VIEWER),
    )
    assert response.status_code == 200
    pack = response.json()
    assert pack["claim"].startswith("Join") and len(pack["answers"]) <= 3
    assert all(a["case_id"] for a in pack["answers"])


def test_brief_downloads_as_markdown_and_pdf(client: TestClient, web_store: WebStore) -> None:
    headers = _auth(web_store, Role.VIEWER)
    md = client.get("/api/v1/brief", params={"format": "md"}, headers=headers)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "attachment" in md.headers["content-disposition"] and "#" in md.text
    pdf = client.get("/api/v1/brief", params={"format": "pdf"}, headers=headers)
    assert pdf.content.startswith(b"%PDF")


def test_the_openapi_spec_lists_the_api_and_no_page(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/code", "/api/v1/cases", "/api/v1/annotations", "/api/v1/stats"} <= paths
    assert all(p.startswith("/api/v1/") for p in paths)
