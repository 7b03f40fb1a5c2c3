"""Retraining from the review page: reviewers and admins only, logged, in the background (one
at a time per store), with the new coder's figures on the reviewed passages before a second
button makes it the store's coder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from defectio.accounts import service
from defectio.accounts.roles import Role
from defectio.coding.models import load_saved
from defectio.coding.training import examples_from_corpus
from defectio.model import AnnotationStatus
from defectio.store import review as review_store
from defectio.store.repo import Store
from defectio.web import WebSettings, create_app
from defectio.web.retrain import Retrainer, candidate
from defectio.workflow import MODEL_META, coder_for_store
from tests.web.conftest import PASSWORD, sign_in

WAIT_S = 600


def _review(store: Store, cases: int = 3) -> list[str]:
    """A person accepts the first suggestion and rejects the second on passages of ``cases``
    cases; returns the reviewed passage ids."""
    by_case: dict[str, list[review_store.StoredAnnotation]] = {}
    case_of = {pid: p.case_id for pid, p in store.passages()}
    for a in review_store.open_suggestions(store):
        by_case.setdefault(case_of[a.passage_id], []).append(a)
    picked = [items[:2] for items in list(by_case.values())[:cases]]
    with store.unit_of_work("coder") as uow:
        for items in picked:
            review_store.decide(uow, items[0].annotation_id, AnnotationStatus.ACCEPTED)
            if len(items) > 1:
                review_store.decide(uow, items[1].annotation_id, AnnotationStatus.REJECTED)
    return sorted({a.passage_id for items in picked for a in items})


def _retrainer(client: TestClient) -> Retrainer:
    service: Retrainer = client.app.state.retrain  # type: ignore[attr-defined]
    return service


def _actions(store: Store) -> list[tuple[str, str]]:
    return [(e["action"], e["actor"]) for e in store.events() if e["action"].startswith("retrain")]


def test_the_review_page_shows_the_retrain_button_to_reviewers_only(client: TestClient) -> None:
    sign_in(client, "coder")
    assert 'action="/review/retrain"' not in client.get("/review").text
    assert client.get("/review/retrain").status_code == 403
    client.cookies.clear()
    sign_in(client, "reviewer")
    assert 'action="/review/retrain"' in client.get("/review").text


def test_a_coder_may_not_start_a_retrain(client: TestClient, store_of: Store) -> None:
    _review(store_of)
    csrf = sign_in(client, "coder")
    assert client.post("/review/retrain", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/review/retrain/adopt", data={"csrf_token": csrf}).status_code == 403
    assert _actions(store_of) == []


def test_a_retrain_needs_reviewed_passages_of_two_cases(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    service.add_user(store, "reviewer", Role.REVIEWER, PASSWORD, actor="setup")
    app = create_app(WebSettings(db_url=store.url, coder="linear.v1"), store)
    try:
        with TestClient(app, follow_redirects=False) as client:
            csrf = sign_in(client, "reviewer")
            refused = client.post("/review/retrain", data={"csrf_token": csrf})
        assert refused.status_code == 400
        assert "at least two cases" in refused.text
        assert _actions(store) == []
    finally:
        store.dispose()


def test_make_default_without_a_retrained_coder_is_refused(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "admin")
    refused = client.post("/review/retrain/adopt", data={"csrf_token": csrf})
    assert refused.status_code == 400 and "no retrained coder is waiting" in refused.text
    assert store_of.get_meta(MODEL_META + "linear.v1") is None


def test_a_retrain_runs_in_the_background_and_shows_its_figures_before_make_default_switches(
    client: TestClient, store_of: Store
) -> None:
    reviewed = _review(store_of)
    csrf = sign_in(client, "reviewer")
    old = client.app.state.defectio.coder()  # type: ignore[attr-defined]

    started = client.post("/review/retrain", data={"csrf_token": csrf})
    assert started.status_code == 303 and started.headers["location"] == "/review/retrain"
    # While it trains the server answers, and a second retrain is refused.
    second = client.post("/review/retrain", data={"csrf_token": csrf})
    assert second.status_code == 409 and "already running" in second.text
    page = client.get("/review/retrain")
    assert page.status_code == 200 and 'data-status="running"' in page.text
    assert client.get("/review").status_code == 200

    assert _retrainer(client).wait(WAIT_S)
    job = _retrainer(client).job
    assert job is not None and job.status == "finished", job and job.error
    assert _actions(store_of) == [("retrain.started", "reviewer"), ("retrain.finished", "reviewer")]

    waiting = candidate(store_of, "linear.v1")
    assert waiting is not None
    figures = waiting["figures"]
    people = examples_from_corpus(store_of.corpus())  # imported labels and the review above
    assert set(reviewed) <= {e.id for e in people}
    assert figures["n"] == len(people) and figures["folds"] == 5
    codes = set(store_of.codebook().code_ids)
    for side in ("new", "current"):
        assert set(figures[side]["per_code"]) == codes
        assert 0.0 <= figures[side]["macro_f1"] <= 1.0
    page = client.get("/review/retrain")
    assert f"{figures['new']['macro_f1']:.3f}" in page.text and 'id="make-default"' in page.text
    # Not yet the default: the store and the app still code with the old coder.
    assert store_of.get_meta(MODEL_META + "linear.v1") is None
    assert client.app.state.defectio.coder() is old  # type: ignore[attr-defined]

    # Make it the default (a second button): the store and the app now code with it.
    adopted = client.post("/review/retrain/adopt", data={"csrf_token": csrf})
    assert adopted.status_code == 303
    assert ("retrain.adopted", "reviewer") in _actions(store_of)
    assert store_of.get_meta(MODEL_META + "linear.v1") == waiting["dir"]
    assert candidate(store_of, "linear.v1") is None

    texts = [p.text for pid, p in store_of.passages() if pid in reviewed]
    new = load_saved("linear.v1", Path(waiting["dir"]))
    p_new = np.array([[s.p for s in c.scores] for c in new.predict(texts)])
    p_old = np.array([[s.p for s in c.scores] for c in old.predict(texts)])
    assert not np.allclose(p_new, p_old)
    app_coder = client.app.state.defectio.coder()  # type: ignore[attr-defined]
    for coder in (app_coder, coder_for_store(store_of, "linear")):
        got = np.array([[s.p for s in c.scores] for c in coder.predict(texts)])
        assert np.allclose(got, p_new)
    text = texts[int(np.abs(p_new - p_old).max(axis=1).argmax())]
    coded = client.post("/api/v1/code", json={"text": text}, headers={"X-CSRF-Token": csrf})
    assert coded.status_code == 200, coded.text
    got_codes = {c["code"]: c["probability"] for c in coded.json()["codes"]}
    assert got_codes == {s.code: round(s.p, 4) for s in new.predict([text])[0].codes}
