"""Alembic takes an empty database from the first revision to the latest one step at a time,
back down to nothing, and up again, on SQLite and on PostgreSQL (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from defectio.ingest.importer import import_paths
from defectio.model import Case
from defectio.store.repo import Store, _alembic_config
from defectio.store.schema import Base


def _revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(_alembic_config(None))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def _migrate(url: str, target: str, *, down: bool = False) -> str | None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            cfg = _alembic_config(conn)
            (command.downgrade if down else command.upgrade)(cfg, target)
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _user_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_there_is_one_line_of_revisions_from_the_first_to_the_head() -> None:
    revisions = _revisions_oldest_first()
    assert revisions[0] == "0001"
    assert len(revisions) == len(set(revisions))


def test_upgrading_one_revision_at_a_time_reaches_the_tables_the_models_describe(
    db_url: str,
) -> None:
    revisions = _revisions_oldest_first()
    for revision in revisions:
        assert _migrate(db_url, revision) == revision
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()
    store = Store(db_url)  # opens at head: nothing left to migrate
    try:
        assert store.revision() == revisions[-1]
    finally:
        store.dispose()


def test_downgrading_to_base_removes_everything_and_upgrading_again_works(db_url: str) -> None:
    store = Store(db_url)
    with store.unit_of_work() as uow:
        uow.upsert_case(Case(case_id="M1", alias="before the downgrade"))
        uow.append_event("test")
    store.dispose()
    assert _migrate(db_url, "base", down=True) is None
    assert _user_tables(db_url) == set()
    head = _migrate(db_url, "head")
    assert head == _revisions_oldest_first()[-1]
    assert _user_tables(db_url) == set(Base.metadata.tables)
    store = Store(db_url)
    try:
        assert store.cases() == []
        with store.unit_of_work() as uow:
            uow.append_event("after the upgrade")
        # the append-only triggers came back with the table
        with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("DELETE FROM events"))
        assert [e["action"] for e in store.events()] == ["after the upgrade"]
    finally:
        store.dispose()


def test_a_store_left_at_the_first_revision_is_brought_to_head_with_its_rows(
    db_url: str,
) -> None:
    first = _revisions_oldest_first()[0]
    _migrate(db_url, first)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO meta (key, value) VALUES ('note', 'written at the first revision')")
        )
    engine.dispose()
    store = Store(db_url)
    try:
        assert store.revision() == _revisions_oldest_first()[-1]
        assert store.get_meta("note") == "written at the first revision"
    finally:
        store.dispose()


def test_upgrading_to_0004_fills_the_codes_per_case_from_the_annotations(
    db_url: str, reference_path: Path
) -> None:
    store = Store(db_url)
    try:
        import_paths(store, [reference_path], actor="test")
        before = _case_codes(store)
    finally:
        store.dispose()
    assert before and len(before) > 30
    _migrate(db_url, "0003", down=True)
    assert "case_codes" not in _user_tables(db_url)
    assert _migrate(db_url, "head") == _revisions_oldest_first()[-1]
    store = Store(db_url)
    try:
        assert _case_codes(store) == before
    finally:
        store.dispose()


def _case_codes(store: Store) -> list[tuple[str, str, int, int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM case_codes ORDER BY case_id, code"))
        return [(r[0], r[1], r[2], r[3]) for r in rows]
