"""Password hashing (argon2id) and random secrets kept only as digests (tokens, sessions)."""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's RFC 9106 "low memory" profile: argon2id, t=3, 64 MiB.
_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, type=Type.ID)
TOKEN_PREFIX = "dfo_"
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a sign-in takes as long
    either way and does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    """What the store keeps of a token or session id: its SHA-256 (they are long and random,
    so a fast hash is enough; a password needs argon2id)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)
