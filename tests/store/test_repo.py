from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from defectio.errors import StoreError, VaultError
from defectio.model import Case, Identity, Passage
from defectio.store import vault
from defectio.store.repo import Store
from defectio.store.schema import Base


def test_migrations_build_exactly_the_tables_the_models_describe(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert store.revision() == "0004"


def test_a_unit_of_work_that_raises_writes_nothing(store: Store) -> None:
    store.codebook()
    before = store.counts()
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.upsert_case(Case(case_id="A1", alias="a"))
        uow.flush()
        uow.upsert_passage(Passage(case_id="A1", text="Something happened."))
        uow.append_event("test")
        raise RuntimeError("power cut")
    assert store.counts() == before


def test_events_are_append_only(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.append_event("annotation.accepted", "annotation", "1")
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'someone else'"))
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    assert store.events()[-1]["actor"] == "tester"
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("TRUNCATE events"))
        assert store.events()


def test_the_default_codebook_is_installed_on_first_use(store: Store) -> None:
    book = store.codebook()
    assert book.id == "icsr2015"
    assert store.codebook().ref == book.ref


def test_opening_a_missing_store_without_create_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here; create one with `defectio init`"):
        Store(f"sqlite:///{tmp_path / 'missing.db'}", create=False)


def test_key_file_is_created_with_mode_0600_and_never_overwritten(store: Store) -> None:
    assert store.ensure_key() is True
    mode = stat.S_IMODE(os.stat(store.key_file).st_mode)
    assert mode == 0o600
    first = store.key_file.read_text()
    assert store.ensure_key() is False
    assert store.key_file.read_text() == first


def test_a_key_file_readable_by_others_is_refused(store: Store) -> None:
    store.ensure_key()
    store.key_file.chmod(0o644)
    with pytest.raises(VaultError, match="readable by others"):
        vault.load_key(store.key_file)


def test_sealed_identity_is_bound_to_its_case() -> None:
    key = vault.SecretKey.from_text(vault.new_key_text(), "test")
    sealed = vault.seal(key, "D1", Identity(legal_name="Example Person"))
    assert vault.unseal(key, "D1", sealed).legal_name == "Example Person"
    with pytest.raises(VaultError, match="integrity"):
        vault.unseal(key, "D2", sealed)
    assert "Example" not in repr(key) and "******" in repr(key)


def test_the_key_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFECTIO_SECRET_KEY", vault.new_key_text())
    key = vault.load_key(None)
    assert key is not None and len(key.key_id) == 12
