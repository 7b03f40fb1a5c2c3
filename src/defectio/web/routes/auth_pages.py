"""Sign-in and sign-out. The sign-in form carries its own CSRF token (a SameSite=Strict cookie
matched against a hidden field), since there is no session yet to bind one to."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from defectio.accounts import secrets
from defectio.accounts.service import SignIn, end_session, sign_in, start_session
from defectio.web.auth import (
    SESSION_COOKIE,
    SIGNIN_CSRF_COOKIE,
    Principal,
    app_state,
    can_view,
)
from defectio.web.templating import render

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    return app_state(request).settings.secure_cookies or request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //) may be a redirect target."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _form(request: Request, next_path: str, message: str | None, status: int = 200) -> Response:
    token = secrets.new_csrf_token()
    response = render(
        request,
        "sign_in.html",
        {"signin_csrf": token, "next": _safe_next(next_path), "message": message},
        status=status,
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
        path="/sign-in",
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:
    return _form(request, next, None)


@router.post("/sign-in")
def sign_in_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    state = app_state(request)
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _form(request, next, "The form expired; please sign in again.", status=403)
    client = request.client.host if request.client else "unknown"
    if state.throttle.blocked(client):
        return _form(request, next, "Too many failed sign-ins; wait a few minutes.", status=429)
    outcome, user = sign_in(state.store, username.strip(), password)
    if outcome is SignIn.LOCKED:
        return _form(
            request, next, "This account is locked for a while after failed sign-ins.", status=423
        )
    if user is None:
        state.throttle.failed(client)
        return _form(request, next, "Wrong user name or password.", status=401)
    session_id, _csrf = start_session(state.store, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, principal: Annotated[Principal, Depends(can_view)]) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is not None:
        end_session(app_state(request).store, cookie, principal.user.name)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
