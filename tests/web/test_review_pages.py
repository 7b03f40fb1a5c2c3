"""Reviewing in the app: a decision changes the suggestion and records the reviewer's own
code; the dashboard count follows; disagreements are settled and logged."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from defectio.analysis.counts import passage_codes
from defectio.review.agreement import agreement
from defectio.store import review as review_store
from defectio.store.repo import Store
from tests.web.conftest import sign_in


def _unreviewed(client: TestClient) -> int:
    match = re.search(r'id="n-unreviewed">(\d+)<', client.get("/").text)
    assert match is not None
    return int(match.group(1))


def test_accepting_a_suggestion_records_the_reviewer_and_lowers_the_unreviewed_count(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "coder")
    before = _unreviewed(client)
    queue = client.get("/review").text
    first = int(re.findall(r'action="/annotations/(\d+)/accept"', queue)[0])
    response = client.post(
        f"/annotations/{first}/accept", data={"csrf_token": csrf, "next": "/review"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/review"
    assert _unreviewed(client) == before - 1
    machine = review_store.get_annotation(store_of, first)
    assert machine is not None and machine.status == "accepted"
    own = review_store.list_annotations(store_of, passage_id=machine.passage_id, code=machine.code)
    assert [(a.coder, a.coder_kind, a.status) for a in own if a.coder == "coder"] == [
        ("coder", "person", "accepted")
    ]
    assert any(
        e["action"] == "annotation.accepted" and e["actor"] == "coder" for e in store_of.events()
    )
    assert f'/annotations/{first}/accept"' not in client.get("/review").text


def test_the_queue_shows_the_most_uncertain_suggestion_first(
    client: TestClient, store_of: Store
) -> None:
    sign_in(client, "coder")
    shown = [
        int(i)
        for i in re.findall(r'action="/annotations/(\d+)/accept"', client.get("/review").text)
    ]
    probs = {a.annotation_id: a.probability for a in review_store.open_suggestions(store_of)}
    distance = [abs((probs[i] or 0) - 0.5) for i in shown]
    assert distance == sorted(distance)


def test_adding_a_code_and_a_memo_keeps_the_memo_out_of_the_log(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "coder")
    pid = store_of.passages()[0][0]
    added = client.post(
        f"/passages/{pid}/codes",
        data={"csrf_token": csrf, "code": "corruption", "memo": "private reasoning qzxvw"},
    )
    assert added.status_code == 303
    mine = review_store.list_annotations(store_of, passage_id=pid, code="corruption")
    own = [a for a in mine if a.coder == "coder"]
    assert own and own[0].status == "accepted" and own[0].memo == "private reasoning qzxvw"
    client.post(
        f"/annotations/{own[0].annotation_id}/memo",
        data={"csrf_token": csrf, "memo": "second thought jkqpf"},
    )
    updated = review_store.get_annotation(store_of, own[0].annotation_id)
    assert updated is not None and updated.memo == "second thought jkqpf"
    log = str(store_of.events())
    assert "qzxvw" not in log and "jkqpf" not in log
    assert "annotation.added" in log and "annotation.memo" in log


def test_a_code_outside_the_codebook_is_refused_with_its_name(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "coder")
    pid = store_of.passages()[0][0]
    before = store_of.counts()
    response = client.post(f"/passages/{pid}/codes", data={"csrf_token": csrf, "code": "madeup"})
    assert response.status_code == 400
    assert "code &#39;madeup&#39; is not in the codebook" in response.text
    assert store_of.counts() == before
    missing = client.post("/passages/nope/codes", data={"csrf_token": csrf, "code": "brutality"})
    assert missing.status_code == 404


def test_settling_a_disagreement_records_the_decision_and_removes_it(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "reviewer")
    page = client.get("/agreement")
    assert page.status_code == 200 and "Cohen" in page.text and "Krippendorff" in page.text
    book = store_of.codebook()
    report = agreement(store_of.corpus(), book)
    assert report.disagreements, "the coded reference corpus has machine/person disagreements"
    first = report.disagreements[0]
    response = client.post(
        "/agreement/settle",
        data={
            "csrf_token": csrf,
            "passage_id": first.passage_id,
            "code": first.code,
            "decision": "absent",
        },
    )
    assert response.status_code == 303
    settled = review_store.settled_units(store_of.events())
    assert (first.passage_id, first.code) in settled
    after = agreement(store_of.corpus(), book, settled=settled)
    assert (first.passage_id, first.code) not in {
        (d.passage_id, d.code) for d in after.disagreements
    }
    own = review_store.list_annotations(store_of, passage_id=first.passage_id, code=first.code)
    assert ("settled:reviewer", "rejected") in {(a.coder, a.status) for a in own}
    # the ruling overrules whoever said "present", and is no coder of its own
    carried = {(c.passage_id, c.code) for c in passage_codes(store_of.corpus())}
    assert (first.passage_id, first.code) not in carried
    assert not any(c.startswith("settled:") for c in after.coders)


def test_a_ruling_that_the_code_applies_counts_even_against_a_rejection(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "reviewer")
    suggestion = review_store.open_suggestions(store_of)[0]
    unit = (suggestion.passage_id, suggestion.code)
    client.post(f"/annotations/{suggestion.annotation_id}/reject", data={"csrf_token": csrf})
    assert unit not in {(c.passage_id, c.code) for c in passage_codes(store_of.corpus())}
    client.post(
        "/agreement/settle",
        data={"csrf_token": csrf, "passage_id": unit[0], "code": unit[1], "decision": "present"},
    )
    assert unit in {(c.passage_id, c.code) for c in passage_codes(store_of.corpus())}


def test_the_case_page_marks_evidence_and_filters_find_cases(
    client: TestClient, store_of: Store
) -> None:
    sign_in(client, "viewer")
    with_evidence = next(a for a in review_store.open_suggestions(store_of) if a.evidence)
    case_id = with_evidence.passage_id.rsplit("-", 1)[0]
    page = client.get(f"/cases/{case_id}").text
    assert '<mark class="hl' in page
    assert "Accept" not in page  # a viewer may not decide
    women = client.get("/cases?gender=f").text
    rows = re.findall(r'<td><a href="/cases/([^"]+)">', women)
    cases = {c.case_id: c for c in store_of.cases()}
    assert rows and all(cases[r].gender.value == "f" for r in rows)
