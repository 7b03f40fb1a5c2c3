"""A real store for the web tests: the reference corpus imported and coded, one user per role
with an API token each. Built once per session and copied per test (a SQLite file copy)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from defectio.accounts import service
from defectio.accounts.roles import Role
from defectio.coding.registry import build_coder
from defectio.ingest.importer import import_paths
from defectio.model import Identity
from defectio.reference import reference_jsonl
from defectio.store.repo import Store
from defectio.web import WebSettings, create_app
from defectio.workflow import code_store

PASSWORD = "a long enough passphrase"
ROLES = tuple(Role)


@dataclass(frozen=True)
class WebStore:
    url: str
    path: Path
    tokens: dict[Role, str]


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Role, str]]:
    folder = tmp_path_factory.mktemp("web-template")
    path = folder / "web.db"
    store = Store(f"sqlite:///{path}")
    try:
        import_paths(store, [reference_jsonl()])
        code_store(store, build_coder("lexicon.v1", store.codebook()), actor="setup")
        tokens = {}
        for role in ROLES:
            service.add_user(store, role.value, role, PASSWORD, actor="setup")
            tokens[role] = service.create_token(store, role.value, actor="setup")[0]
    finally:
        store.dispose()
    return path, tokens


@pytest.fixture
def web_store(
    _template: tuple[Path, dict[Role, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> WebStore:
    path = tmp_path / "web.db"
    shutil.copy(_template[0], path)
    return WebStore(f"sqlite:///{path}", path, _template[1])


@pytest.fixture
def store_of(web_store: WebStore) -> Iterator[Store]:
    store = Store(web_store.url)
    yield store
    store.dispose()


@pytest.fixture
def client(web_store: WebStore) -> Iterator[TestClient]:
    app = create_app(WebSettings(db_url=web_store.url, coder="linear.v1"))
    with TestClient(app, follow_redirects=False) as c:
        yield c
    app.state.defectio.store.dispose()


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form as a browser does; returns the session's CSRF token."""
    page = client.get("/sign-in")
    token = (
        page.text.split('action="/sign-in"')[1].split('name="csrf_token" value="')[1].split('"')[0]
    )
    response = client.post(
        "/sign-in",
        data={"username": name, "password": password, "csrf_token": token, "next": "/"},
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    assert home.status_code == 200
    return home.text.split('name="csrf-token" content="')[1].split('"')[0]


def seal_identity(store: Store, case_id: str) -> None:
    store.ensure_key()
    with store.unit_of_work("setup") as uow:
        uow.put_identity(
            case_id, Identity(legal_name="TEST-NAME-0001", contact="contact-0001@example.invalid")
        )
