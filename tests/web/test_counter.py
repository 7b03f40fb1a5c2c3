"""Counter-messages in the app: the API and the page say when no join narrative was read and
the answers are the fallback across the exit narratives, and the stance gate holds there."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from defectio.accounts.roles import Role
from tests.web.conftest import WebStore, sign_in

NO_PULL = "The library closes at six on Saturdays."  # no coder reads a pull in it
HIJRA = "Hijra to the caliphate is an obligation on every Muslim; come and live under sharia."
# Cases of the reference corpus that people coded retains_extremism (see PROVENANCE.md).
REFERENCE_GATED = {"D015", "D023", "D033", "D035"}


def _post(client: TestClient, web_store: WebStore, claim: str, **more: object) -> dict[str, object]:
    response = client.post(
        "/api/v1/counter",
        json={"claim": claim, **more},
        headers={"Authorization": f"Bearer {web_store.tokens[Role.VIEWER]}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_api_flags_a_fallback_answer_and_keeps_the_gate(
    client: TestClient, web_store: WebStore
) -> None:
    pack = _post(client, web_store, NO_PULL, n=20)
    answers = pack["answers"]
    assert pack["fallback"] is True and pack["join"] == []
    assert isinstance(answers, list) and len(answers) == 20
    assert not {a["case_id"] for a in answers} & REFERENCE_GATED
    asked = _post(client, web_store, NO_PULL, n=20, include_unrenounced=True)
    assert isinstance(asked["answers"], list)
    flagged = {a["case_id"] for a in asked["answers"] if a["why"].startswith("UNRENOUNCED")}
    assert asked["fallback"] is True and flagged and flagged <= REFERENCE_GATED


def test_the_api_says_fallback_false_when_a_join_narrative_is_read(
    client: TestClient, web_store: WebStore
) -> None:
    pack = _post(client, web_store, HIJRA)
    assert pack["fallback"] is False and pack["join"]


def test_the_spec_documents_the_fallback_flag(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    out = spec["components"]["schemas"]["CounterOut"]
    assert "fallback" in out["required"] and out["properties"]["fallback"]["type"] == "boolean"


def test_the_page_says_no_join_narrative_was_read(client: TestClient) -> None:
    sign_in(client, "viewer")
    page = client.get("/counter", params={"claim": NO_PULL})
    assert page.status_code == 200
    note = re.search(r'<p class="message fallback" role="note">([^<]+)</p>', page.text)
    assert note is not None and note.group(1).startswith("No join narrative was read")
    assert page.text.count("<li><blockquote>") == 5
    plain = client.get("/counter", params={"claim": HIJRA})
    assert 'class="message fallback"' not in plain.text and "<li><blockquote>" in plain.text
