"""Account operations shared by the web app and the command line: users, sign-in with
lock-out, sessions and API tokens. Every change is one transaction with its event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from defectio.accounts import secrets
from defectio.accounts.roles import Role
from defectio.errors import InputError
from defectio.store import accounts as rows
from defectio.store.repo import Store

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")


@dataclass(frozen=True)
class User:
    """A signed-in person as the app sees one: name and role, nothing secret."""

    user_id: int
    name: str
    role: Role

    @classmethod
    def of(cls, record: rows.UserRecord) -> User:
        return cls(record.user_id, record.name, Role(record.role))


class SignIn(StrEnum):
    OK = "ok"
    BAD = "bad"
    LOCKED = "locked"


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InputError(
            f"user name {name!r}: use 2-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit (a login name or an alias, never a legal name)"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < secrets.MIN_PASSWORD:
        raise InputError(f"password: at least {secrets.MIN_PASSWORD} characters")
    return password


def add_user(store: Store, name: str, role: Role, password: str, actor: str | None = None) -> User:
    check_name(name)
    check_password(password)
    password_hash = secrets.hash_password(password)
    with store.unit_of_work(actor) as uow:
        return User.of(rows.add_user(uow, name, role.value, password_hash))


def sign_in(
    store: Store, name: str, password: str, now: datetime | None = None
) -> tuple[SignIn, User | None]:
    """Check a password; five failures in a row lock the account for fifteen minutes."""
    now = now or datetime.now(UTC)
    record = rows.find_user(store, name)
    if record is None or not record.active:
        secrets.verify_password(secrets.dummy_hash(), password)
        return SignIn.BAD, None
    if record.locked_until is not None and record.locked_until > now:
        return SignIn.LOCKED, None
    if not secrets.verify_password(record.password_hash, password):
        with store.unit_of_work(name) as uow:
            rows.record_failed_login(uow, name, LOCK_AFTER, now + LOCK_FOR)
        return SignIn.BAD, None
    with store.unit_of_work(name) as uow:
        rows.record_login(uow, name)
        if secrets.needs_rehash(record.password_hash):
            rows.set_password_hash(uow, name, secrets.hash_password(password), event=False)
        uow.append_event("user.sign_in", "user", name)
    return SignIn.OK, User.of(record)


def start_session(store: Store, user: User, now: datetime | None = None) -> tuple[str, str]:
    """A new session: the cookie value (kept only as a digest) and its CSRF token."""
    session_id, csrf = secrets.new_session_id(), secrets.new_csrf_token()
    expires = (now or datetime.now(UTC)) + SESSION_TTL
    with store.unit_of_work(user.name) as uow:
        rows.add_session(uow, user.name, secrets.digest(session_id), csrf, expires)
    return session_id, csrf


def end_session(store: Store, session_id: str, actor: str) -> None:
    with store.unit_of_work(actor) as uow:
        rows.end_session(uow, secrets.digest(session_id))
        uow.append_event("user.sign_out", "user", actor)


def session_user(store: Store, session_id: str) -> tuple[User, str] | None:
    found = rows.user_for_session(store, secrets.digest(session_id))
    return (User.of(found[0]), found[1]) if found is not None else None


def token_user(store: Store, token: str) -> User | None:
    if not token.startswith(secrets.TOKEN_PREFIX):
        return None
    found = rows.user_for_token(store, secrets.digest(token))
    return User.of(found) if found is not None else None


def create_token(
    store: Store, name: str, label: str | None = None, actor: str | None = None
) -> tuple[str, rows.TokenRecord]:
    """A new API token for a user: printed once, stored only as its digest."""
    token = secrets.new_token()
    with store.unit_of_work(actor) as uow:
        record = rows.add_token(uow, name, secrets.digest(token), token[:12], label)
    return token, record


def revoke_token(store: Store, token_id: int, actor: str | None = None) -> None:
    with store.unit_of_work(actor) as uow:
        rows.revoke_token(uow, token_id)
