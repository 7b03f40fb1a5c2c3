"""Review: the queue of open suggestions, decisions on a code (accept, reject, add, memo), and
the agreement page where a reviewer settles disagreements between coders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from defectio.model import AnnotationStatus
from defectio.review.queue import uncertainty
from defectio.store import reads
from defectio.store import review as review_store
from defectio.web import views
from defectio.web.auth import Principal, app_state, can_code, can_review
from defectio.web.highlight import evidence_runs
from defectio.web.routes.auth_pages import _safe_next
from defectio.web.state import agreement_report
from defectio.web.templating import render

# The store's ids are 32-bit integers (PostgreSQL INTEGER).
AnnotationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
router = APIRouter(include_in_schema=False)
Coder = Annotated[Principal, Depends(can_code)]
Reviewer = Annotated[Principal, Depends(can_review)]
Memo = Annotated[str, Form(max_length=4000)]
Next = Annotated[str, Form(max_length=2048)]
QUEUE_PAGE = 25
AGREEMENT_ITEMS = 50  # the disagreements the page lists


@router.get("/review")
def review_queue(request: Request, principal: Coder) -> Response:
    state = app_state(request)
    book = state.codebook()
    first, remaining = state.analyses.get(
        ("review queue", QUEUE_PAGE), lambda: review_store.review_queue(state.store, QUEUE_PAGE)
    )
    texts = reads.passage_texts(state.store, {a.passage_id for a in first})
    items = [
        {
            "a": a,
            "case_id": texts.get(a.passage_id, ("", ""))[0],
            "runs": evidence_runs(
                texts.get(a.passage_id, ("", ""))[1], [(a.code, s, e) for s, e in a.evidence]
            ),
            "uncertainty": uncertainty(a.probability),
        }
        for a in first
    ]
    return render(
        request,
        "review.html",
        {
            "items": items,
            "remaining": remaining,
            "labels": {c.id: c.label for c in book.codes},
            "definitions": {c.id: c.definition for c in book.codes},
            "colours": views.code_colours(book),
        },
    )


def _decide(
    request: Request,
    principal: Principal,
    annotation_id: AnnotationId,
    status: str,
    memo: str,
    next_path: str,
) -> Response:
    with app_state(request).store.unit_of_work(principal.user.name) as uow:
        review_store.decide(uow, annotation_id, AnnotationStatus(status), memo.strip() or None)
    return RedirectResponse(_safe_next(next_path or "/review"), status_code=303)


@router.post("/annotations/{annotation_id}/accept")
def accept(
    request: Request,
    principal: Coder,
    annotation_id: AnnotationId,
    memo: Memo = "",
    next: Next = "",
) -> Response:
    return _decide(request, principal, annotation_id, "accepted", memo, next)


@router.post("/annotations/{annotation_id}/reject")
def reject(
    request: Request,
    principal: Coder,
    annotation_id: AnnotationId,
    memo: Memo = "",
    next: Next = "",
) -> Response:
    return _decide(request, principal, annotation_id, "rejected", memo, next)


@router.post("/annotations/{annotation_id}/memo")
def memo(
    request: Request,
    principal: Coder,
    annotation_id: AnnotationId,
    memo: Memo = "",
    next: Next = "",
) -> Response:
    with app_state(request).store.unit_of_work(principal.user.name) as uow:
        review_store.set_memo(uow, annotation_id, memo.strip())
    return RedirectResponse(_safe_next(next or "/review"), status_code=303)


@router.post("/passages/{passage_id}/codes")
def add_code(
    request: Request,
    principal: Coder,
    passage_id: str,
    code: Annotated[str, Form(max_length=64)],
    memo: Memo = "",
    next: Next = "",
) -> Response:
    state = app_state(request)
    known = set(state.codebook().code_ids)
    with state.store.unit_of_work(principal.user.name) as uow:
        review_store.add_code(uow, passage_id, code, known, memo.strip() or None)
    return RedirectResponse(_safe_next(next or "/"), status_code=303)


@router.get("/agreement")
def agreement_page(request: Request, principal: Reviewer) -> Response:
    state = app_state(request)
    book = state.codebook()
    report = agreement_report(state)
    shown = {d.passage_id for d in report.disagreements[:AGREEMENT_ITEMS]}
    texts = {pid: text for pid, (_, text) in reads.passage_texts(state.store, shown).items()}
    return render(
        request,
        "agreement.html",
        {
            "r": report,
            "texts": texts,
            "labels": {c.id: c.label for c in book.codes},
            "colours": views.code_colours(book),
        },
    )


@router.post("/agreement/settle")
def settle(
    request: Request,
    principal: Reviewer,
    passage_id: Annotated[str, Form(max_length=80)],
    code: Annotated[str, Form(max_length=64)],
    decision: Annotated[str, Form(pattern="^(present|absent)$")],
) -> Response:
    state = app_state(request)
    known = set(state.codebook().code_ids)
    with state.store.unit_of_work(principal.user.name) as uow:
        review_store.settle(uow, passage_id, code, decision == "present", known)
    return RedirectResponse("/agreement", status_code=303)
