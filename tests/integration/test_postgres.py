"""The whole store path on a real PostgreSQL server, through the command line: init, import,
code, review, stats; the same commands give the same answers as on SQLite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from defectio.cli import app
from defectio.model import AnnotationStatus
from defectio.store.repo import Store
from defectio.store.schema import AnnotationRow
from tests.store.databases import fresh_database

pytestmark = pytest.mark.integration
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _whole_path(db: str, reference_path: Path) -> dict[str, Any]:
    """init, import (twice), code, code --only-uncoded, a review, stats; what each said."""
    seen: dict[str, Any] = {"init": _run("--db", db, "init")}
    seen["import"] = json.loads(_run("--db", db, "import", str(reference_path), "--json"))
    seen["reimport"] = json.loads(_run("--db", db, "import", str(reference_path), "--json"))
    seen["code"] = _run("--db", db, "code", "--coder", "linear")
    seen["uncoded"] = _run("--db", db, "code", "--coder", "linear", "--only-uncoded")
    store = Store(db, create=False)
    try:
        with store.unit_of_work("reviewer") as uow:
            first = uow.session.scalars(
                select(AnnotationRow.annotation_id)
                .where(AnnotationRow.status == "suggested")
                .order_by(AnnotationRow.passage_id, AnnotationRow.code)
            ).first()
            assert first is not None
            uow.set_annotation_status(first, AnnotationStatus.ACCEPTED)
        seen["events"] = [e["action"] for e in store.events()]
        seen["run"] = {k: v for k, v in (store.latest_run() or {}).items() if k != "started_at"}
    finally:
        store.dispose()
    seen["stats"] = json.loads(_run("--db", db, "stats", "--json"))
    return seen


def test_the_store_path_on_postgresql_answers_as_on_sqlite(
    tmp_path: Path, reference_path: Path
) -> None:
    with (
        fresh_database("postgresql", tmp_path) as pg,
        fresh_database("sqlite", tmp_path) as lite,
    ):
        on_pg = _whole_path(pg, reference_path)
        on_sqlite = _whole_path(lite, reference_path)
    assert "postgresql+psycopg://" in on_pg["init"] and "(schema " in on_pg["init"]
    assert on_pg["import"]["cases"]["added"] == 37
    assert on_pg["reimport"]["passages"] == {"added": 0, "updated": 0, "unchanged": 103}
    assert "coded 103 passages" in on_pg["code"] and "coded 0 passages" in on_pg["uncoded"]
    assert on_pg["stats"]["cases"] == 37 and on_pg["stats"]["passages"] == 103
    assert on_pg["events"][-1] == "annotation.accepted"
    for key in ("import", "reimport", "code", "uncoded", "events", "run", "stats"):
        assert on_pg[key] == on_sqlite[key], key
