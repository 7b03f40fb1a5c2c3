"""The web app in a real browser: Debian's chromium driven by Playwright (never `playwright
install`), against the real server (uvicorn on a loopback port, in a thread) over a copy of
the web tests' store (tests/web/conftest.py: reference corpus coded, one user per role).

One server and one browser per module; each test gets a fresh browser context (no cookies),
its console messages and page errors collected, and a `shots` helper that saves a full-page
screenshot of each page into the test's tmp_path (and, when DEFECTIO_SCREENSHOTS names a
folder, a copy there, one sub-folder per test)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from defectio.accounts.roles import Role
from tests.conftest import IN_CI, require
from tests.web.conftest import PASSWORD, _template  # noqa: F401  (re-exported fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]
SCREENSHOTS_ENV = "DEFECTIO_SCREENSHOTS"
# Collects what the page's CSP refused (the event fires even where nothing is logged).
# Injected over the DevTools protocol, so the page's own CSP does not apply to it.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def need_browser() -> None:
    """Skip without Playwright or Debian's chromium; under CI=true fail instead."""
    require("playwright")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        if IN_CI:
            pytest.fail(f"CI=true and {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")


@dataclass(frozen=True)
class LiveServer:
    url: str
    db_url: str
    tokens: dict[Role, str]


@pytest.fixture(scope="module")
def live_server(
    _template: tuple[Path, dict[Role, str]],  # noqa: F811  (the fixture, re-exported)
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: Path,
) -> Iterator[LiveServer]:
    """uvicorn in a daemon thread on a socket bound here (port 0: no race for a free port)."""
    need_browser()  # before building anything
    import uvicorn

    from defectio.web import WebSettings, create_app

    folder = tmp_path_factory.mktemp("browser-store")
    path = folder / "web.db"
    shutil.copy(_template[0], path)
    db_url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as env:
        # What the per-test _isolated_env sets, for the server's whole life.
        env.setenv("DEFECTIO_CACHE", str(model_cache))
        env.setenv("DEFECTIO_KEY_FILE", str(folder / "secret.key"))
        env.delenv("DEFECTIO_DB", raising=False)
        env.delenv("DEFECTIO_SECRET_KEY", raising=False)
        app = create_app(WebSettings(db_url=db_url, coder="linear.v1"))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,  # leave pytest's logging alone
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the web server did not start")
                time.sleep(0.02)
            yield LiveServer(f"http://127.0.0.1:{port}", db_url, _template[1])
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()
            app.state.defectio.store.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watched:
    """A page with what it logged: console messages and uncaught errors."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # responses >= 400, requests that failed

    def csp_refusals(self) -> list[str]:
        logged = [m for m in self.console if re.search(r"Refused to|Content.Security.Policy", m)]
        try:
            seen: list[str] = self.page.evaluate("window.__cspViolations || []")
        except Exception:  # the page is navigating; the console still has the message
            seen = []
        return logged + seen


@pytest.fixture
def watched(live_server: LiveServer, browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.console.append(f"{m.type}: {m.text} ({page.url})"))
    page.on("pageerror", lambda e: w.errors.append(f"{e} ({page.url})"))
    page.on(
        "response", lambda r: w.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on("requestfailed", lambda r: w.failed.append(f"{r.failure} {r.url}"))
    try:
        yield w
    finally:
        context.close()


class Shots:
    """Full-page screenshots, numbered in the order taken."""

    def __init__(self, folder: Path, copy_to: Path | None) -> None:
        self.folder = folder
        self.copy_to = copy_to
        self.taken: list[Path] = []

    def __call__(self, page: Page, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.is_file() and path.stat().st_size > 0, path
        with path.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n", path
        if self.copy_to is not None:
            self.copy_to.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.copy_to / path.name)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(tmp_path: Path, request: pytest.FixtureRequest) -> Shots:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    target = os.environ.get(SCREENSHOTS_ENV)
    copy_to = Path(target) / re.sub(r"[^\w.-]+", "_", request.node.name) if target else None
    return Shots(folder, copy_to)


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    """Through the form, as a person does."""
    page.goto("/sign-in")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    with loads(page):
        page.click("form[action='/sign-in'] button[type=submit]")


def loads(page: Page) -> Any:
    """Around an action that navigates: returns once the next document has loaded (a form
    that answers with a page of its own leaves the URL as it was, so no wait_for_url)."""
    return page.expect_event("load")
