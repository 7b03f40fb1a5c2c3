"""Accounts on both databases: users, sign-in with lock-out, sessions and tokens, each change
in the event log (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from defectio.accounts import service
from defectio.accounts.roles import Role
from defectio.errors import InputError, NotFoundError, StoreError
from defectio.store import accounts
from defectio.store.repo import Store
from tests.store.databases import BACKENDS, fresh_database

PASSWORD = "a long enough passphrase"


@pytest.fixture(params=BACKENDS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_database(request.param, tmp_path) as url:
        store = Store(url)
        yield store
        store.dispose()


def test_roles_are_ordered_and_say_what_they_may_do() -> None:
    assert [r.value for r in Role] == ["viewer", "coder", "reviewer", "admin"]
    assert not Role.VIEWER.can_code() and Role.CODER.can_code()
    assert not Role.CODER.can_review() and Role.REVIEWER.can_review()
    assert not Role.REVIEWER.can_reveal_identity() and Role.ADMIN.can_reveal_identity()
    assert all(r.can_view() for r in Role)
    with pytest.raises(InputError, match="unknown role 'boss'"):
        Role.parse("boss")


def test_sign_in_locks_after_five_failures_and_unlocks_later(any_store: Store) -> None:
    service.add_user(any_store, "ana", Role.CODER, PASSWORD)
    now = datetime.now(UTC)
    for _ in range(5):
        assert service.sign_in(any_store, "ana", "wrong password", now)[0] is service.SignIn.BAD
    assert service.sign_in(any_store, "ana", PASSWORD, now)[0] is service.SignIn.LOCKED
    later = now + service.LOCK_FOR + timedelta(seconds=1)
    outcome, user = service.sign_in(any_store, "ana", PASSWORD, later)
    assert outcome is service.SignIn.OK and user is not None and user.role is Role.CODER
    actions = [e["action"] for e in any_store.events()]
    assert actions == ["user.add", "user.locked", "user.sign_in"]


def test_an_unknown_name_and_a_wrong_password_look_the_same(any_store: Store) -> None:
    service.add_user(any_store, "ana", Role.VIEWER, PASSWORD)
    assert service.sign_in(any_store, "nobody", PASSWORD) == (service.SignIn.BAD, None)
    assert service.sign_in(any_store, "ana", "not it at all") == (service.SignIn.BAD, None)


def test_sessions_end_on_sign_out_expiry_or_disable(any_store: Store) -> None:
    user = service.add_user(any_store, "ana", Role.REVIEWER, PASSWORD)
    session, csrf = service.start_session(any_store, user)
    assert service.session_user(any_store, session) == (user, csrf)
    service.end_session(any_store, session, "ana")
    assert service.session_user(any_store, session) is None
    expired, _ = service.start_session(
        any_store, user, now=datetime.now(UTC) - service.SESSION_TTL - timedelta(minutes=1)
    )
    assert service.session_user(any_store, expired) is None
    live, _ = service.start_session(any_store, user)
    with any_store.unit_of_work("admin") as uow:
        accounts.set_active(uow, "ana", False)
    assert service.session_user(any_store, live) is None


def test_tokens_are_stored_as_digests_and_can_be_revoked(any_store: Store) -> None:
    service.add_user(any_store, "bot", Role.CODER, PASSWORD)
    token, record = service.create_token(any_store, "bot", "nightly", actor="admin")
    assert service.token_user(any_store, token) is not None
    assert service.token_user(any_store, token + "x") is None
    assert service.token_user(any_store, "not-a-token") is None
    assert all(token not in str(t) for t in accounts.tokens(any_store))
    service.revoke_token(any_store, record.token_id, actor="admin")
    assert service.token_user(any_store, token) is None
    with pytest.raises(NotFoundError, match="no API token 999"):
        service.revoke_token(any_store, 999)
    assert [e["action"] for e in any_store.events()][-2:] == ["token.create", "token.revoke"]


def test_names_are_checked_and_unique(any_store: Store) -> None:
    with pytest.raises(InputError, match="user name 'a b'"):
        service.add_user(any_store, "a b", Role.VIEWER, PASSWORD)
    service.add_user(any_store, "ana", Role.VIEWER, PASSWORD)
    with pytest.raises(StoreError, match="already exists"):
        service.add_user(any_store, "ana", Role.ADMIN, PASSWORD)
    assert [u.name for u in accounts.users(any_store)] == ["ana"]
