"""Who is asking and may they: the session cookie or a Bearer token, the role check every
route declares first, and the CSRF check on every state-changing request from a browser."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from defectio.accounts.roles import Role
from defectio.accounts.service import User, session_user, token_user
from defectio.web.state import AppState

SESSION_COOKIE = "defectio_session"
SIGNIN_CSRF_COOKIE = "defectio_signin_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Permission = Callable[[Role], bool]


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to sign-in, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role may not do this (or the CSRF token is missing): 403."""


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["session", "token"]
    csrf: str | None = None

    @property
    def role(self) -> Role:
        return self.user.role


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.defectio
    return state


def identify(request: Request) -> Principal | None:
    """The signed-in user of a request (a Bearer token wins over a cookie), or None."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    state = app_state(request)
    found: Principal | None = None
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        user = token_user(state.store, credential.strip())
        found = Principal(user, "token") if user is not None else None
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        session = session_user(state.store, cookie)
        found = Principal(session[0], "session", session[1]) if session is not None else None
    request.state.principal = found
    return found


async def csrf_ok(request: Request, expected: str | None) -> bool:
    """The request's CSRF token (header, or form field) matches the expected one."""
    if not expected:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A route's first check: signed in, allowed by role, and (for a browser session changing
    something) carrying the session's CSRF token. Token requests carry no cookie, so no CSRF."""

    async def check(request: Request) -> Principal:
        principal = await run_in_threadpool(identify, request)  # a database read
        if principal is None:
            raise NotSignedIn
        if not permission(principal.role):
            raise Forbidden(f"your role ({principal.role.value}) may not do this")
        if (
            request.method not in SAFE_METHODS
            and principal.via == "session"
            and not await csrf_ok(request, principal.csrf)
        ):
            raise Forbidden("missing or wrong CSRF token: reload the page and try again")
        return principal

    return check


can_view = require(Role.can_view)
can_code = require(Role.can_code)
can_review = require(Role.can_review)
can_retrain = require(Role.can_retrain)
can_admin = require(Role.can_admin)
can_reveal_identity = require(Role.can_reveal_identity)
can_read_audit_log = require(Role.can_read_audit_log)
