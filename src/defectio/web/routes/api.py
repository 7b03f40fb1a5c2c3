"""The REST API under /api/v1: cases and passages, annotations (list, accept, reject, add),
coding a text, stats, counter-messages, agreement and the brief. Scripts send
``Authorization: Bearer TOKEN``; every route checks the caller's role first."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import FileResponse

from defectio import service
from defectio.accounts.roles import Role
from defectio.counter.answer import answer
from defectio.errors import NotFoundError
from defectio.model import AnnotationStatus
from defectio.store import reads
from defectio.store import review as review_store
from defectio.web.auth import Principal, app_state, can_admin, can_code, can_review, can_view
from defectio.web.routes.pages import brief_file
from defectio.web.schemas import (
    AnnotationIn,
    AnnotationOut,
    CaseDetailOut,
    CaseOut,
    CodeIn,
    CodeOut,
    CodeScoreOut,
    CounterIn,
    CounterOut,
    DecisionIn,
    ErrorOut,
    MeOut,
    PassageOut,
    SourceOut,
)
from defectio.web.state import agreement_report

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input (the message names it)"},
    401: {"model": ErrorOut, "description": "Not signed in: send Authorization: Bearer TOKEN"},
    403: {"model": ErrorOut, "description": "Your role may not do this"},
    404: {"model": ErrorOut, "description": "No such record"},
    409: {"model": ErrorOut, "description": "Conflicts with the store's state"},
    413: {"description": "Request body too large"},
    422: {"model": ErrorOut, "description": "Request does not match the schema"},
}
# The store's ids are 32-bit integers (PostgreSQL INTEGER).
AnnotationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
router = APIRouter(responses=ERRORS)
PERMISSIONS = [name for name in vars(Role) if name.startswith("can_")]
Viewer = Annotated[Principal, Depends(can_view)]
Coder = Annotated[Principal, Depends(can_code)]
Reviewer = Annotated[Principal, Depends(can_review)]
Admin = Annotated[Principal, Depends(can_admin)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Filter = Annotated[str | None, Query(max_length=128)]


@router.get("/me", response_model=MeOut, tags=["account"])
def me(principal: Viewer) -> MeOut:
    role = principal.role
    can = {name: getattr(role, name)() for name in PERMISSIONS}
    return MeOut(name=principal.user.name, role=role.value, can=can)


@router.get("/cases", response_model=list[CaseOut], tags=["cases"])
def list_cases(
    request: Request,
    principal: Viewer,
    gender: Filter = None,
    region: Filter = None,
    year: Filter = None,
    code: Filter = None,
    basis: Literal["combined", "people", "machine"] = "combined",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[CaseOut]:
    """Cases in case id order with the codes each carries on ``basis`` (combined: people's
    decisions first, then the latest machine run's suggestions), filtered."""
    query = reads.CaseQuery(gender, region, year, code, basis)
    rows, _ = reads.find_cases(app_state(request).store, query, limit=limit, offset=offset)
    return [CaseOut.of(case, codes) for case, codes in rows]


@router.get("/cases/{case_id}", response_model=CaseDetailOut, tags=["cases"])
def get_case(request: Request, principal: Viewer, case_id: str) -> CaseDetailOut:
    store = app_state(request).store
    case = reads.get_case(store, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    codes = reads.case_codes(store, [case_id])[case_id]
    sources = [
        SourceOut(
            source_id=s.source_id,
            url=s.url,
            outlet=s.outlet,
            title=s.title,
            published=str(s.published) if s.published else None,
        )
        for s in reads.case_sources(store, case_id)
    ]
    passages = [_passage(p.passage_id, p) for p in reads.find_passages(store, case_id=case_id)]
    base = CaseOut.of(case, codes).model_dump()
    return CaseDetailOut(**base, sources=sources, passages=passages)


def _passage(pid: str, p: Any) -> PassageOut:
    return PassageOut(
        passage_id=pid,
        case_id=p.case_id,
        text=p.text,
        lang=p.lang,
        voice=p.voice.value,
        position=p.position,
        source_id=p.source_id,
    )


@router.get("/passages", response_model=list[PassageOut], tags=["cases"])
def list_passages(
    request: Request,
    principal: Viewer,
    case_id: Filter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[PassageOut]:
    found = reads.find_passages(
        app_state(request).store, case_id=case_id, limit=limit, offset=offset
    )
    return [_passage(p.passage_id, p) for p in found]


@router.get("/annotations", response_model=list[AnnotationOut], tags=["annotations"])
def list_annotations(
    request: Request,
    principal: Viewer,
    passage_id: Filter = None,
    case_id: Filter = None,
    code: Filter = None,
    status: Literal["suggested", "accepted", "rejected"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AnnotationOut]:
    found = review_store.list_annotations(
        app_state(request).store,
        passage_id=passage_id,
        case_id=case_id,
        code=code,
        status=status,
        limit=limit,
        offset=offset,
    )
    return [AnnotationOut.of(a) for a in found]


def _stored(request: Request, annotation_id: AnnotationId) -> AnnotationOut:
    found = review_store.get_annotation(app_state(request).store, annotation_id)
    if found is None:
        raise NotFoundError(f"no annotation {annotation_id}")
    return AnnotationOut.of(found)


@router.post("/annotations", response_model=AnnotationOut, status_code=201, tags=["annotations"])
def add_annotation(request: Request, principal: Coder, body: AnnotationIn) -> AnnotationOut:
    """Add a code to a passage, as the caller."""
    state = app_state(request)
    known = set(state.codebook().code_ids)
    evidence = tuple((s[0], s[1]) for s in body.evidence)
    with state.store.unit_of_work(principal.user.name) as uow:
        new_id = review_store.add_code(uow, body.passage_id, body.code, known, body.memo, evidence)
    return _stored(request, new_id)


def _decide(
    request: Request,
    principal: Principal,
    annotation_id: AnnotationId,
    status: AnnotationStatus,
    body: DecisionIn | None,
) -> AnnotationOut:
    with app_state(request).store.unit_of_work(principal.user.name) as uow:
        own = review_store.decide(uow, annotation_id, status, body.memo if body else None)
    return _stored(request, own)


@router.post(
    "/annotations/{annotation_id}/accept", response_model=AnnotationOut, tags=["annotations"]
)
def accept(
    request: Request,
    principal: Coder,
    annotation_id: AnnotationId,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> AnnotationOut:
    """Accept a suggestion; returns the caller's own annotation of the code."""
    return _decide(request, principal, annotation_id, AnnotationStatus.ACCEPTED, body)


@router.post(
    "/annotations/{annotation_id}/reject", response_model=AnnotationOut, tags=["annotations"]
)
def reject(
    request: Request,
    principal: Coder,
    annotation_id: AnnotationId,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> AnnotationOut:
    """Reject a suggestion; returns the caller's own annotation of the code."""
    return _decide(request, principal, annotation_id, AnnotationStatus.REJECTED, body)


@router.post("/code", response_model=CodeOut, tags=["coding"])
async def code_text(request: Request, principal: Coder, body: CodeIn) -> CodeOut:
    """Code a text with the server's coder: the codes found, with probability and evidence
    spans ([start, end) character offsets). Nothing is stored. Concurrent requests are coded
    together in batches."""
    state = app_state(request)
    # Both are cached after the first call (the codebook re-read at most once a second), so
    # they run here on the event loop rather than costing a hop to the thread pool.
    batcher, book = state.batcher(), state.codebook()
    coding = await asyncio.wrap_future(batcher.submit(body.text, body.lang))
    labels = {c.id: c.label for c in book.codes}
    return CodeOut(
        coder=f"{batcher.coder.name}.{batcher.coder.version}",
        codebook=book.ref,
        lang=coding.lang,
        codes=[
            CodeScoreOut(
                code=s.code,
                label=labels.get(s.code, s.code),
                probability=round(min(1.0, max(0.0, s.p)), 4),
                evidence=[list(e) for e in s.evidence],
            )
            for s in coding.codes
        ],
        notices=list(coding.notices),
    )


@router.get("/stats", tags=["analysis"])
def stats(request: Request, principal: Viewer) -> dict[str, Any]:
    """What `defectio stats --json` prints."""
    state = app_state(request)
    book = state.codebook()
    return state.analyses.get(("stats", book.ref), lambda: service.stats_summary(state.store, book))


@router.post("/counter", response_model=CounterOut, tags=["counter"])
def counter(request: Request, principal: Viewer, body: CounterIn) -> dict[str, Any]:
    """What `defectio counter CLAIM --json` prints, answered from this store's testimony."""
    index = app_state(request).counter_index()
    pack = answer(
        index,
        body.claim,
        audience=body.audience.model_dump(mode="json") if body.audience else None,
        n=body.n,
        include_unrenounced=body.include_unrenounced,
    )
    return pack.as_json()


@router.get("/agreement", tags=["analysis"])
def agreement_figures(request: Request, principal: Reviewer) -> dict[str, Any]:
    """What `defectio agreement --json` prints."""
    return agreement_report(app_state(request)).to_dict(limit=50)


@router.get(
    "/brief",
    tags=["analysis"],
    response_class=FileResponse,
    responses={
        200: {
            "content": {"application/pdf": {}, "text/markdown": {}, "text/html": {}},
            "description": "The brief as a file",
        }
    },
)
def brief(
    request: Request, principal: Viewer, format: Literal["html", "pdf", "md"] = "html"
) -> FileResponse:
    """The analyst brief of the store as it is now."""
    return brief_file(request, format)


@router.get("/events", tags=["admin"])
def events(
    request: Request, principal: Admin, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    """The audit log, newest first (admin only)."""
    rows = app_state(request).store.events()[::-1]
    return [{**e, "at": e["at"].isoformat()} for e in rows[offset : offset + limit]]


__all__ = ["router"]
