"""Reading pages: dashboard and its charts, cases, a case, codebook, counter search, brief
download, and (admin) identity reveal and the audit log."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from defectio import service
from defectio.codebook import Codebook
from defectio.counter.answer import answer
from defectio.errors import NotFoundError
from defectio.report.brief import prevalence_table_svg, timeline_svg
from defectio.store import reads
from defectio.store import review as review_store
from defectio.web import views
from defectio.web.auth import (
    Principal,
    app_state,
    can_read_audit_log,
    can_reveal_identity,
    can_view,
)
from defectio.web.state import AppState
from defectio.web.templating import render
from defectio.workflow import write_brief

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(can_view)]
BRIEF_TYPES = {
    "html": ("text/html; charset=utf-8", ".html"),
    "pdf": ("application/pdf", ".pdf"),
    "md": ("text/markdown; charset=utf-8", ".md"),
}


@router.get("/")
def dashboard(request: Request, principal: Viewer) -> Response:
    state = app_state(request)
    book = state.codebook()
    data = state.analyses.get(("dashboard", book.ref), lambda: service.dashboard(state.store, book))
    return render(request, "dashboard.html", {"d": data, "run": state.store.latest_run()})


@router.get("/charts/{name}.svg")
def chart(request: Request, principal: Viewer, name: Literal["prevalence", "timeline"]) -> Response:
    state = app_state(request)
    book = state.codebook()
    svg = state.analyses.get(("chart", name, book.ref), lambda: _chart(state, name, book))
    return Response(svg, media_type="image/svg+xml")


def _chart(state: AppState, name: str, book: Codebook) -> str:
    store = state.store
    if not reads.count_cases(store):
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    if name == "prevalence":
        return prevalence_table_svg(service.prevalence(store, book), book)
    return timeline_svg(service.timeline_corpus(store))


@router.get("/cases")
def cases(
    request: Request,
    principal: Viewer,
    gender: str | None = None,
    region: str | None = None,
    year: str | None = None,
    code: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    state = app_state(request)
    book = state.codebook()
    flt = views.CaseFilter(gender or None, region or None, year or None, code or None)
    size = views.CASES_PAGE
    rows, matched = reads.find_cases(state.store, flt.query(), limit=size, offset=(page - 1) * size)
    return render(
        request,
        "cases.html",
        {
            "rows": rows,
            "matched": matched,
            "page": page,
            "more": matched > page * size,
            "options": views.filter_options(state.store, book),
            "flt": flt,
            "labels": {c.id: c.label for c in book.codes},
            "colours": views.code_colours(book),
            "total": reads.count_cases(state.store),
        },
    )


def _case_context(request: Request, case_id: str) -> dict[str, object]:
    state = app_state(request)
    case = reads.get_case(state.store, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    book = state.codebook()
    return {
        "case": case,
        "sources": reads.case_sources(state.store, case_id),
        "passages": views.case_passages(
            reads.find_passages(state.store, case_id=case_id),
            review_store.list_annotations(state.store, case_id=case_id, limit=10_000),
        ),
        "codebook": book,
        "labels": {c.id: c.label for c in book.codes},
        "colours": views.code_colours(book),
        "identity": None,
    }


@router.get("/cases/{case_id}")
def case_page(request: Request, principal: Viewer, case_id: str) -> Response:
    return render(request, "case.html", _case_context(request, case_id))


@router.post("/cases/{case_id}/identity")
def reveal_identity(
    request: Request,
    principal: Annotated[Principal, Depends(can_reveal_identity)],
    case_id: str,
) -> Response:
    context = _case_context(request, case_id)
    identity = app_state(request).store.reveal_identity(case_id, principal.user.name)
    context["identity"] = identity if identity is not None else "none"
    return render(request, "case.html", context)


@router.get("/codebook")
def codebook(request: Request, principal: Viewer) -> Response:
    return render(request, "codebook.html", {"codebook": app_state(request).codebook()})


@router.get("/counter")
def counter_search(
    request: Request,
    principal: Viewer,
    claim: Annotated[str, Query(max_length=2000)] = "",
    audience: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    pack = None
    if claim.strip():
        index = app_state(request).counter_index()
        pack = answer(index, claim.strip(), audience=audience or None, n=5)
    labels = {c.id: c.label for c in app_state(request).codebook().codes}
    return render(
        request,
        "counter.html",
        {"claim": claim, "audience": audience, "pack": pack, "labels": labels},
    )


def brief_file(request: Request, fmt: str) -> FileResponse:
    """The brief of the store as it is now, written to a temporary file and sent."""
    media, suffix = BRIEF_TYPES[fmt]
    tmp = Path(tempfile.mkdtemp(prefix="defectio-brief-"))
    path = write_brief(app_state(request).store, tmp / f"brief{suffix}")

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        tmp.rmdir()

    return FileResponse(
        path,
        media_type=media,
        filename=f"defectio-brief{suffix}",
        background=BackgroundTask(cleanup),
    )


@router.get("/brief")
def brief_page(request: Request, principal: Viewer) -> Response:
    return render(request, "brief.html", {"formats": list(BRIEF_TYPES)})


@router.get("/brief/download")
def brief_download(
    request: Request, principal: Viewer, format: Literal["html", "pdf", "md"] = "html"
) -> Response:
    return brief_file(request, format)


@router.get("/audit")
def audit_log(
    request: Request,
    principal: Annotated[Principal, Depends(can_read_audit_log)],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    events = app_state(request).store.events()[::-1]
    size = 100
    return render(
        request,
        "audit.html",
        {
            "events": events[(page - 1) * size : page * size],
            "page": page,
            "more": len(events) > page * size,
            "total": len(events),
        },
    )
