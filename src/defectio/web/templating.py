"""Jinja2 pages: one environment, autoescaped, and the context every page shares (the user,
the CSRF token, the navigation their role may see)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from defectio.web.auth import CSRF_FIELD, identify

TEMPLATES = Jinja2Templates(directory=str(resources.files("defectio") / "web" / "templates"))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    principal = identify(request)
    shared: dict[str, Any] = {
        "principal": principal,
        "role": principal.role if principal is not None else None,
        "csrf": principal.csrf if principal is not None else None,
        "csrf_field": CSRF_FIELD,
        "path": request.url.path,
    }
    return TEMPLATES.TemplateResponse(
        request, name, {**shared, **(context or {})}, status_code=status
    )
