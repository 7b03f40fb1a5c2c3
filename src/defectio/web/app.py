"""The web app factory: ``create_app(settings)`` builds a FastAPI app over one store, with
server-rendered pages, the REST API under /api/v1, and every asset served locally."""

from __future__ import annotations

import gc
from importlib import resources
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from defectio import __version__
from defectio.errors import DefectioError, InputError, NotFoundError, StoreError
from defectio.store.repo import Store
from defectio.web.auth import Forbidden, NotSignedIn
from defectio.web.middleware import BodyLimit, SecurityHeaders
from defectio.web.retrain import Retrainer
from defectio.web.routes import api, auth_pages, pages, retrain, review_pages
from defectio.web.settings import WebSettings
from defectio.web.state import AppState
from defectio.web.templating import render

API_PREFIX = "/api/v1"


def create_app(settings: WebSettings, store: Store | None = None) -> FastAPI:
    """One app per store. ``store`` lets a caller (a test, ``serve``) share an open store."""
    app = FastAPI(
        title="defectio",
        version=__version__,
        description=(
            "Testimony of people who left violent extremist groups, coded into evidence. "
            "Authenticate with `Authorization: Bearer TOKEN` (`defectio token create USER`)."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; users are often offline
        redoc_url=None,
    )
    app.state.defectio = AppState(settings, store)
    app.state.retrain = Retrainer(app.state.defectio)
    static = resources.files("defectio") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(auth_pages.router)
    app.include_router(pages.router)
    app.include_router(review_pages.router)
    app.include_router(retrain.router)
    app.include_router(api.router, prefix=API_PREFIX)
    _handle_errors(app)
    app.add_middleware(BodyLimit, max_body=settings.max_body)
    app.add_middleware(SecurityHeaders)  # outermost: every response carries the headers
    return app


def prepare_for_serving(app: FastAPI) -> FastAPI:
    """Before the first request: load the coder and the codebook, then freeze the garbage
    collector's view of everything alive so far (models, modules), so that its full
    collections stop walking them; that halved the slowest 1% of API latencies."""
    state: AppState = app.state.defectio
    state.coder()
    state.codebook()
    gc.collect()
    gc.freeze()
    return app


def app_from_env() -> FastAPI:
    """The factory each worker process of `defectio serve --workers N` calls."""
    return prepare_for_serving(create_app(WebSettings.from_env()))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


# Errors a route raises on purpose, by status; the most specific class first (a NotFoundError
# is a StoreError, every one of them a DefectioError).
ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Forbidden, 403),
    (InputError, 400),
    (NotFoundError, 404),
    (StoreError, 409),
    (DefectioError, 400),
)


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "sign in, or send Authorization: Bearer TOKEN"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    async def as_error(request: Request, exc: Exception) -> Response:
        status = next(code for kind, code in ERROR_STATUS if isinstance(exc, kind))
        return _error(request, status, str(exc) or "your role may not do this")

    for kind, _status in ERROR_STATUS:
        app.add_exception_handler(kind, as_error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return _error(request, 422, "; ".join(str(e.get("msg", "")) for e in exc.errors()))


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)
