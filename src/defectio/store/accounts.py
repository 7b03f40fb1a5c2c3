"""Rows of the web app's accounts: users, API tokens and sessions.

Writes take the open ``UnitOfWork`` (so they share its one transaction and event log); reads
take the ``Store``. Secrets never reach this module in clear: passwords arrive as argon2id
hashes, tokens and session ids as SHA-256 digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from defectio.errors import NotFoundError, StoreError
from defectio.store.repo import Store, UnitOfWork, _utc
from defectio.store.schema import ApiTokenRow, SessionRow, UserRow, utcnow


@dataclass(frozen=True)
class UserRecord:
    user_id: int
    name: str
    role: str
    password_hash: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    token_id: int
    user: str
    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


def _user(row: UserRow | Row[Any]) -> UserRecord:
    """From an ORM row or a plain result row of the users table (same column names)."""
    return UserRecord(
        user_id=row.user_id,
        name=row.name,
        role=row.role,
        password_hash=row.password_hash,
        active=row.active,
        failed_logins=row.failed_logins,
        locked_until=_utc(row.locked_until) if row.locked_until else None,
        created_at=_utc(row.created_at),
    )


# -- reads ---------------------------------------------------------------------------------
def find_user(store: Store, name: str) -> UserRecord | None:
    with Session(store.engine) as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        return _user(row) if row is not None else None


def users(store: Store) -> list[UserRecord]:
    with Session(store.engine) as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def count_users(store: Store) -> int:
    with Session(store.engine) as s:
        return s.scalar(select(func.count()).select_from(UserRow)) or 0


def user_for_token(store: Store, token_hash: str) -> UserRecord | None:
    """The active user an unrevoked token belongs to. One indexed query on a plain
    connection: scripts call the API in loops, so this runs on every request."""
    q = (
        select(UserRow)
        .join(ApiTokenRow, ApiTokenRow.user_id == UserRow.user_id)
        .where(ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None))
    )
    with store.engine.connect() as conn:
        row = conn.execute(q).first()
    return _user(row) if row is not None and row.active else None


def user_for_session(store: Store, session_hash: str) -> tuple[UserRecord, str] | None:
    """The active user of an unexpired session, with the session's CSRF token."""
    with Session(store.engine) as s:
        found = s.execute(
            select(UserRow, SessionRow)
            .join(SessionRow, SessionRow.user_id == UserRow.user_id)
            .where(SessionRow.session_hash == session_hash)
        ).first()
        if found is None:
            return None
        user, session = found
        if not user.active or _utc(session.expires_at) <= utcnow():
            return None
        return _user(user), session.csrf_token


def tokens(store: Store, user: str | None = None) -> list[TokenRecord]:
    with Session(store.engine) as s:
        q = (
            select(ApiTokenRow, UserRow.name)
            .join(UserRow, UserRow.user_id == ApiTokenRow.user_id)
            .order_by(ApiTokenRow.token_id)
        )
        if user is not None:
            q = q.where(UserRow.name == user)
        return [
            TokenRecord(
                token_id=t.token_id,
                user=name,
                prefix=t.prefix,
                label=t.label,
                created_at=_utc(t.created_at),
                revoked_at=_utc(t.revoked_at) if t.revoked_at else None,
            )
            for t, name in s.execute(q)
        ]


# -- writes --------------------------------------------------------------------------------
def _locked_user(uow: UnitOfWork, name: str) -> UserRow:
    row = uow.session.scalars(select(UserRow).where(UserRow.name == name).with_for_update()).first()
    if row is None:
        raise NotFoundError(f"no user named {name!r}")
    return row


def add_user(uow: UnitOfWork, name: str, role: str, password_hash: str) -> UserRecord:
    if uow.session.scalars(select(UserRow).where(UserRow.name == name)).first() is not None:
        raise StoreError(f"a user named {name!r} already exists")
    row = UserRow(
        name=name,
        role=role,
        password_hash=password_hash,
        active=True,
        failed_logins=0,
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.append_event("user.add", "user", name, {"role": role})
    return _user(row)


def set_role(uow: UnitOfWork, name: str, role: str) -> None:
    row = _locked_user(uow, name)
    before, row.role = row.role, role
    uow.append_event("user.role", "user", name, {"role": role, "before": before})


def set_password_hash(uow: UnitOfWork, name: str, password_hash: str, *, event: bool) -> None:
    """Store a new hash; ``event`` is False for a silent re-hash with stronger parameters."""
    row = _locked_user(uow, name)
    row.password_hash = password_hash
    if event:
        uow.append_event("user.password", "user", name)


def set_active(uow: UnitOfWork, name: str, active: bool) -> None:
    row = _locked_user(uow, name)
    row.active = active
    if not active:
        uow.session.execute(delete(SessionRow).where(SessionRow.user_id == row.user_id))
    uow.append_event("user.enable" if active else "user.disable", "user", name)


def record_failed_login(uow: UnitOfWork, name: str, lock_after: int, lock_until: datetime) -> int:
    """Count a failed sign-in; at ``lock_after`` in a row the account locks until a time."""
    row = _locked_user(uow, name)
    row.failed_logins += 1
    if row.failed_logins >= lock_after:
        row.locked_until = lock_until
        row.failed_logins = 0
        uow.append_event("user.locked", "user", name, {"until": lock_until.isoformat()})
    return row.failed_logins


def record_login(uow: UnitOfWork, name: str) -> None:
    row = _locked_user(uow, name)
    row.failed_logins = 0
    row.locked_until = None


def add_token(
    uow: UnitOfWork, name: str, token_hash: str, prefix: str, label: str | None
) -> TokenRecord:
    user = _locked_user(uow, name)
    row = ApiTokenRow(
        user_id=user.user_id,
        token_hash=token_hash,
        prefix=prefix,
        label=label,
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.append_event("token.create", "user", name, {"token_id": row.token_id, "prefix": prefix})
    return TokenRecord(row.token_id, name, prefix, label, _utc(row.created_at), None)


def revoke_token(uow: UnitOfWork, token_id: int) -> None:
    row = uow.session.get(ApiTokenRow, token_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no API token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        user = uow.session.get(UserRow, row.user_id)
        owner = user.name if user is not None else None
        uow.append_event("token.revoke", "user", owner, {"token_id": token_id})


def add_session(
    uow: UnitOfWork, name: str, session_hash: str, csrf_token: str, expires_at: datetime
) -> None:
    user = _locked_user(uow, name)
    uow.session.add(
        SessionRow(
            session_hash=session_hash,
            user_id=user.user_id,
            csrf_token=csrf_token,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    uow.session.execute(delete(SessionRow).where(SessionRow.expires_at <= utcnow()))


def end_session(uow: UnitOfWork, session_hash: str) -> None:
    uow.session.execute(delete(SessionRow).where(SessionRow.session_hash == session_hash))
