"""Identity fields sealed with AES-GCM; the key comes from the environment or a 0600 key file."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from defectio.errors import VaultError
from defectio.model import Identity

KEY_ENV = "DEFECTIO_SECRET_KEY"
KEY_FILE_ENV = "DEFECTIO_KEY_FILE"


class SecretKey:
    """A 256-bit key that never prints itself."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise VaultError(f"the secret key must be 32 bytes, got {len(raw)}")
        self._raw = raw

    @classmethod
    def from_text(cls, text: str, origin: str) -> SecretKey:
        try:
            raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise VaultError(
                f"{origin}: not a base64 key; create one with `defectio init`"
            ) from None
        return cls(raw)

    @property
    def key_id(self) -> str:
        """A short fingerprint, so a store can say which key sealed a row."""
        return hashlib.sha256(b"defectio-key-id" + self._raw).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"SecretKey(id={self.key_id}, ******)"

    __str__ = __repr__


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def create_key_file(path: Path) -> bool:
    """Write a new key to ``path`` with 0600 permissions; False when the file already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key_text() + "\n")
    return True


def load_key(key_file: Path | None) -> SecretKey | None:
    """The key from ``DEFECTIO_SECRET_KEY``, else from the key file; None when there is neither."""
    text = os.environ.get(KEY_ENV)
    if text:
        return SecretKey.from_text(text, KEY_ENV)
    if key_file is not None and key_file.is_file():
        mode = key_file.stat().st_mode & 0o077
        if mode:
            raise VaultError(f"{key_file}: the key file is readable by others; chmod 600 it")
        return SecretKey.from_text(key_file.read_text(encoding="ascii"), str(key_file))
    return None


@dataclass(frozen=True)
class Sealed:
    nonce: bytes
    sealed: bytes
    key_id: str


def seal(key: SecretKey, case_id: str, identity: Identity) -> Sealed:
    """Encrypt an identity; the case id is bound as associated data so rows cannot be swapped."""
    nonce = secrets.token_bytes(12)
    plain = json.dumps(identity.model_dump(), sort_keys=True).encode("utf-8")
    sealed = AESGCM(key._raw).encrypt(nonce, plain, case_id.encode("utf-8"))
    return Sealed(nonce, sealed, key.key_id)


def unseal(key: SecretKey, case_id: str, row: Sealed) -> Identity:
    if row.key_id != key.key_id:
        raise VaultError(f"case {case_id}: sealed with key {row.key_id}, not the key given")
    try:
        plain = AESGCM(key._raw).decrypt(row.nonce, row.sealed, case_id.encode("utf-8"))
    except InvalidTag:
        raise VaultError(f"case {case_id}: the identity record fails its integrity check") from None
    return Identity.model_validate_json(plain)
