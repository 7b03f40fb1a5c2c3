"""Security by default: cookie flags, CSRF on every browser form, sign-in throttling and
lock-out, headers, request limits, hashed secrets, token revocation, identity reveals logged."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from defectio.accounts import service
from defectio.accounts.roles import Role
from defectio.store import review as review_store
from defectio.store.repo import Store
from defectio.web import WebSettings, create_app
from tests.web.conftest import PASSWORD, WebStore, seal_identity, sign_in


def _signin_form(client: TestClient) -> str:
    page = client.get("/sign-in")
    return (
        page.text.split('action="/sign-in"')[1].split('name="csrf_token" value="')[1].split('"')[0]
    )


def test_session_cookie_is_httponly_and_samesite_strict(client: TestClient) -> None:
    token = _signin_form(client)
    response = client.post(
        "/sign-in", data={"username": "coder", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["set-cookie"]
    assert "defectio_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback


def test_session_cookie_is_secure_behind_https(web_store: WebStore) -> None:
    app = create_app(WebSettings(db_url=web_store.url))
    try:
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        token = _signin_form(client)
        response = client.post(
            "/sign-in", data={"username": "coder", "password": PASSWORD, "csrf_token": token}
        )
        assert "Secure" in response.headers["set-cookie"]
        assert "max-age=31536000" in response.headers["strict-transport-security"]
    finally:
        app.state.defectio.store.dispose()


def test_the_store_keeps_only_hashes_of_passwords_tokens_and_sessions(
    web_store: WebStore, client: TestClient
) -> None:
    sign_in(client, "coder")
    token = web_store.tokens[Role.CODER]
    session = client.cookies["defectio_session"]
    with sqlite3.connect(web_store.path) as db:
        dump = "\n".join(db.iterdump())
        hashes = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    assert PASSWORD not in dump
    assert token not in dump and session not in dump
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, store_of: Store) -> None:
    sign_in(client, "coder")
    suggestion = review_store.open_suggestions(store_of)[0]
    response = client.post(f"/annotations/{suggestion.annotation_id}/accept", data={})
    assert response.status_code == 403
    assert "CSRF" in response.text
    wrong = client.post(
        f"/annotations/{suggestion.annotation_id}/accept", data={"csrf_token": "forged"}
    )
    assert wrong.status_code == 403
    assert review_store.get_annotation(store_of, suggestion.annotation_id).status == "suggested"  # type: ignore[union-attr]


def test_the_api_with_a_session_cookie_needs_the_csrf_header(
    client: TestClient, store_of: Store
) -> None:
    csrf = sign_in(client, "coder")
    suggestion = review_store.open_suggestions(store_of)[0]
    url = f"/api/v1/annotations/{suggestion.annotation_id}/accept"
    assert client.post(url, json={}).status_code == 403
    assert client.post(url, json={}, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_the_sign_in_form_needs_its_own_csrf_token(client: TestClient) -> None:
    client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"username": "coder", "password": PASSWORD, "csrf_token": "guess"}
    )
    assert response.status_code == 403
    assert "defectio_session" not in response.headers.get("set-cookie", "")


def test_a_sign_in_without_the_sign_in_csrf_cookie_is_refused(
    client: TestClient, web_store: WebStore
) -> None:
    # a real token from another browser's form, but this client never got the cookie
    other = TestClient(client.app, follow_redirects=False)
    token = _signin_form(other)
    for sent in (token, ""):
        response = client.post(
            "/sign-in",
            data={"username": "coder", "password": PASSWORD, "csrf_token": sent, "next": "/"},
        )
        assert response.status_code == 403, sent
        assert "defectio_session" not in response.headers.get("set-cookie", "")
    assert "defectio_session" not in client.cookies


def test_an_invalid_bearer_token_is_refused_even_with_a_signed_in_session(
    client: TestClient,
) -> None:
    sign_in(client, "admin")
    assert client.get("/api/v1/me").status_code == 200  # the session alone works
    for header in ("Bearer dfo_madeup", "Bearer x"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"
        page = client.get("/audit", headers={"Authorization": header})
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")


def test_five_wrong_passwords_lock_the_account(client: TestClient, store_of: Store) -> None:
    for _ in range(5):
        token = _signin_form(client)
        bad = client.post(
            "/sign-in", data={"username": "viewer", "password": "wrong!", "csrf_token": token}
        )
        assert bad.status_code == 401
    token = _signin_form(client)
    locked = client.post(
        "/sign-in", data={"username": "viewer", "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 423
    assert "locked" in locked.text
    assert any(e["action"] == "user.locked" for e in store_of.events())
    # after the lock-out the right password works again
    outcome, user = service.sign_in(
        store_of, "viewer", PASSWORD, now=datetime.now(UTC) + timedelta(minutes=16)
    )
    assert outcome is service.SignIn.OK and user is not None


def test_many_failed_sign_ins_from_one_address_are_throttled(web_store: WebStore) -> None:
    app = create_app(WebSettings(db_url=web_store.url, signin_failures_per_ip=3))
    try:
        client = TestClient(app, follow_redirects=False)
        for name in ("nobody", "viewer", "coder"):
            token = _signin_form(client)
            client.post("/sign-in", data={"username": name, "password": "x", "csrf_token": token})
        token = _signin_form(client)
        response = client.post(
            "/sign-in", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 429
    finally:
        app.state.defectio.store.dispose()


def test_sign_in_redirects_only_to_this_site(client: TestClient) -> None:
    for target, expected in (
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/cases?code=brutality", "/cases?code=brutality"),
    ):
        token = _signin_form(client)
        response = client.post(
            "/sign-in",
            data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.status_code == 303, response.text[-600:]
        assert response.headers["location"] == expected


def test_every_response_carries_strict_security_headers(client: TestClient) -> None:
    sign_in(client, "viewer")
    for url in ("/", "/sign-in", "/api/v1/openapi.json", "/static/app.css", "/nowhere"):
        headers = client.get(url).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_and_no_external_asset(client: TestClient) -> None:
    sign_in(client, "admin")
    for url in ("/", "/cases", "/cases/D001", "/review", "/agreement", "/codebook", "/audit"):
        html = client.get(url).text
        assert "<script>" not in html and "onclick=" not in html
        assert "http://" not in html.replace("http://www.w3.org", "")
        assert 'src="https://' not in html and 'href="https://fonts' not in html


def test_a_request_body_over_the_limit_is_refused(web_store: WebStore) -> None:
    app = create_app(WebSettings(db_url=web_store.url, max_body=4096))
    try:
        client = TestClient(app)
        token = web_store.tokens[Role.CODER]
        response = client.post(
            "/api/v1/code",
            json={"text": "x" * 10_000},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 413

        def chunks() -> object:
            yield b'{"text": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        streamed = client.post(
            "/api/v1/code",
            content=chunks(),  # type: ignore[arg-type]
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        assert streamed.status_code == 413
    finally:
        app.state.defectio.store.dispose()


def test_a_revoked_token_stops_working(client: TestClient, store_of: Store) -> None:
    token, record = service.create_token(store_of, "viewer", "script")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["name"] == "viewer"
    service.revoke_token(store_of, record.token_id)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer dfo_madeup"}).status_code == 401
    )


def test_identity_is_shown_to_admin_only_and_each_reveal_is_logged(
    client: TestClient, store_of: Store, web_store: WebStore
) -> None:
    admin_token = web_store.tokens[Role.ADMIN]
    seal_identity(store_of, "D001")
    csrf = sign_in(client, "admin")
    page = client.get("/cases/D001").text
    assert "TEST-NAME-0001" not in page
    revealed = client.post("/cases/D001/identity", data={"csrf_token": csrf})
    assert "TEST-NAME-0001" in revealed.text
    reveals = [e for e in store_of.events() if e["action"] == "identity.reveal"]
    assert [(e["actor"], e["target_id"]) for e in reveals] == [("admin", "D001")]
    # the name never reaches the event log, nor any API answer
    assert "TEST-NAME-0001" not in str(store_of.events())
    api = client.get("/api/v1/cases/D001", headers={"Authorization": f"Bearer {admin_token}"})
    assert api.status_code == 200 and "TEST-NAME-0001" not in api.text


def test_signing_out_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client, "viewer")
    session = client.cookies["defectio_session"]
    assert client.post("/sign-out", data={"csrf_token": csrf}).status_code == 303
    client.cookies.set("defectio_session", session)
    assert client.get("/").status_code == 303


def test_a_disabled_user_loses_sessions_and_tokens(
    client: TestClient, store_of: Store, web_store: WebStore
) -> None:
    from defectio.store import accounts

    sign_in(client, "coder")
    with store_of.unit_of_work("admin") as uow:
        accounts.set_active(uow, "coder", False)
    assert client.get("/").status_code == 303
    token = web_store.tokens[Role.CODER]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
