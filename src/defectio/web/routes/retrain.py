"""Retraining from review (reviewer or admin): start a retrain in the background, see where it
stands and the new coder's figures on the reviewed passages, and make it the default."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from defectio.web.auth import Principal, can_retrain
from defectio.web.retrain import Retrainer, candidate
from defectio.web.templating import render

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Principal, Depends(can_retrain)]


def retrainer(request: Request) -> Retrainer:
    found: Retrainer = request.app.state.retrain
    return found


@router.get("/review/retrain")
def retrain_page(request: Request, principal: Reviewer) -> Response:
    service = retrainer(request)
    name = service.coder_name
    waiting = candidate(service.state.store, name)
    book = service.state.codebook()
    return render(
        request,
        "retrain.html",
        {
            "coder": name,
            "job": service.job,
            "waiting": waiting,
            "labels": {c.id: c.label for c in book.codes},
            "weight": service.weight,
        },
    )


@router.post("/review/retrain")
def start_retrain(request: Request, principal: Reviewer) -> Response:
    retrainer(request).start(principal.user.name)
    return RedirectResponse("/review/retrain", status_code=303)


@router.post("/review/retrain/adopt")
def make_default(request: Request, principal: Reviewer) -> Response:
    retrainer(request).make_default(principal.user.name)
    return RedirectResponse("/review/retrain", status_code=303)
