"""The web app's commands: users, tokens, and `defectio serve` answering on a real port, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from defectio.accounts import service
from defectio.cli import app
from defectio.ingest.importer import import_paths
from defectio.reference import reference_jsonl
from defectio.store import accounts
from defectio.store.repo import Store
from tests.store.databases import BACKENDS, fresh_database

runner = CliRunner()
PASSWORD = "a long enough passphrase"


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_user_add_reads_the_password_from_stdin_and_stores_a_hash(db_url: str) -> None:
    Store(db_url).dispose()
    code, out, _ = _invoke(
        "--db",
        db_url,
        "user",
        "add",
        "ana",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0 and "added user ana (admin)" in out
    store = Store(db_url)
    try:
        user = accounts.find_user(store, "ana")
        assert user is not None and user.role == "admin"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert service.sign_in(store, "ana", PASSWORD)[0] is service.SignIn.OK
        assert [e["action"] for e in store.events()][-2:] == ["user.add", "user.sign_in"]
    finally:
        store.dispose()


def test_user_add_refuses_a_bad_role_a_short_password_and_a_duplicate(db_url: str) -> None:
    Store(db_url).dispose()
    code, _, err = _invoke(
        "--db", db_url, "user", "add", "ana", "--role", "boss", "--password-stdin", stdin=PASSWORD
    )
    assert (
        code == 1 and "unknown role 'boss': expected one of viewer, coder, reviewer, admin" in err
    )
    code, _, err = _invoke("--db", db_url, "user", "add", "ana", "--password-stdin", stdin="short")
    assert code == 1 and "at least 10 characters" in err
    code, _, err = _invoke("--db", db_url, "user", "add", "ana", "--role", "viewer")
    assert code == 1 and "--password-stdin" in err
    assert _invoke("--db", db_url, "user", "add", "ana", "--password-stdin", stdin=PASSWORD)[0] == 0
    code, _, err = _invoke("--db", db_url, "user", "add", "ana", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "already exists" in err


def test_token_create_prints_it_once_list_hides_it_and_revoke_ends_it(db_url: str) -> None:
    store = Store(db_url)
    try:
        service.add_user(store, "bot", service.Role.CODER, PASSWORD)
        code, out, err = _invoke("--db", db_url, "token", "create", "bot", "--label", "nightly")
        token = out.strip()
        assert code == 0 and token.startswith("dfo_") and "shown once" in err
        assert service.token_user(store, token) is not None
        code, listing, _ = _invoke("--db", db_url, "token", "list")
        assert "nightly" in listing and token not in listing and token[:12] in listing
        record = accounts.tokens(store, "bot")[0]
        assert _invoke("--db", db_url, "token", "revoke", str(record.token_id))[0] == 0
        assert service.token_user(store, token) is None
        code, _, err = _invoke("--db", db_url, "token", "create", "nobody")
        assert code == 1 and "no user named 'nobody'" in err
    finally:
        store.dispose()


def test_user_role_and_disable_are_logged(db_url: str) -> None:
    store = Store(db_url)
    try:
        service.add_user(store, "cleo", service.Role.VIEWER, PASSWORD)
        assert _invoke("--db", db_url, "user", "role", "cleo", "reviewer")[0] == 0
        assert _invoke("--db", db_url, "user", "disable", "cleo")[0] == 0
        code, listing, _ = _invoke("--db", db_url, "user", "list")
        assert code == 0 and "cleo" in listing and "reviewer" in listing
        assert service.sign_in(store, "cleo", PASSWORD)[0] is service.SignIn.BAD
        actions = [e["action"] for e in store.events()]
        assert {"user.role", "user.disable"} <= set(actions)
    finally:
        store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.integration
@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_answers_pages_and_the_api_on_a_real_port(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        store = Store(url)
        try:
            import_paths(store, [reference_jsonl()])
            service.add_user(store, "ana", service.Role.ADMIN, PASSWORD)
            token, _ = service.create_token(store, "ana")
        finally:
            store.dispose()
        port = _free_port()
        env = {**os.environ, "DEFECTIO_USER": "server"}
        log = (tmp_path / "serve.log").open("w")
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from defectio.cli import app; app()",
                "--db",
                url,
                "serve",
                "--port",
                str(port),
                "--coder",
                "lexicon.v1",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    signin = httpx.get(f"{base}/sign-in", timeout=2)
                    break
                except httpx.TransportError:
                    assert server.poll() is None, (tmp_path / "serve.log").read_text()
                    assert time.monotonic() < deadline, "serve did not start in 60 s"
                    time.sleep(0.3)
            assert signin.status_code == 200 and "Sign in" in signin.text
            headers = {"Authorization": f"Bearer {token}"}
            stats = httpx.get(f"{base}/api/v1/stats", headers=headers, timeout=30).json()
            assert stats["cases"] == 37
            coded = httpx.post(
                f"{base}/api/v1/code",
                headers=headers,
                timeout=30,
                json={"text": "They executed civilians in the square."},
            ).json()
            assert coded["coder"] == "lexicon.v1" and "brutality" in {
                c["code"] for c in coded["codes"]
            }
            spec = httpx.get(f"{base}/api/v1/openapi.json", timeout=10).json()
            assert json.dumps(spec).count("/api/v1/") > 10
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()
