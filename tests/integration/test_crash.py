"""A process killed with SIGKILL in the middle of a large import leaves the store exactly as it
was, on SQLite and on PostgreSQL, and the store takes the next import as usual.

The test watches the importer through channels that exist anyway: how far it has read its input
(``/proc/PID/fdinfo``) and what the database shows of its open transaction (SQLite's rollback
journal; PostgreSQL's ``pg_stat_activity``), and kills it once it has written part of the file
inside its one transaction.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from defectio.ingest.importer import import_paths
from defectio.store.repo import Store
from defectio.store.schema import Base
from tests.store.databases import BACKENDS, fresh_database

pytestmark = pytest.mark.integration

CASES = 3000  # 20-45 s to import here: time enough to be caught in the middle
KILL_AFTER = 0.25  # share of the file read before the kill
DEFECTIO = Path(sys.executable).with_name("defectio")


@pytest.fixture(params=BACKENDS)
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


def _big_file(path: Path, reference_rows: list[dict[str, Any]]) -> Path:
    """A reference case with changed fields first (an update), then many new cases."""
    changed = dict(reference_rows[0], alias="changed by the import that dies")
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(changed) + "\n")
        for i in range(CASES):
            row = {
                "case_id": f"K{i:05d}",
                "alias": f"case {i} of the killed import",
                "gender": "f" if i % 2 else "m",
                "region": "Western Europe",
                "source_urls": [f"https://example.org/killed/{i}"],
                "passages": [
                    {
                        "text": f"Passage {k} of case {i}: they beat the prisoners, so I ran.",
                        "lang": "en",
                        "labels": ["brutality"] if k == 0 else [],
                    }
                    for k in range(4)
                ],
            }
            handle.write(json.dumps(row) + "\n")
    return path


def _snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with store.engine.connect() as conn:
        rows = {
            table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        }
        rows["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))
        ]
    return rows


def _read_position(pid: int, path: Path) -> int:
    """How far the process has read ``path``, from its open file descriptor."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            if Path(os.readlink(fd)) == path:
                for line in (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().splitlines():
                    if line.startswith("pos:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def _writing_inside_a_transaction(store: Store) -> bool:
    """The importer's transaction has written rows that nobody else can see yet."""
    if store.path is not None:  # a rollback journal, or a write-ahead log in WAL mode
        logs = [store.path.with_name(store.path.name + s) for s in ("-journal", "-wal")]
        return any(log.exists() and log.stat().st_size > 0 for log in logs)
    with store.engine.connect() as conn:
        open_writes = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
        ).scalar()
    return bool(open_writes)


def _kill_in_the_middle(proc: subprocess.Popen[bytes], store: Store, path: Path) -> int:
    size = path.stat().st_size
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the import ended (exit {proc.returncode}) before it could be killed")
        position = _read_position(proc.pid, path)
        if position >= KILL_AFTER * size and _writing_inside_a_transaction(store):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return position
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the import never got a quarter of the way in two minutes")


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
def test_an_import_killed_with_sigkill_leaves_the_store_exactly_as_it_was(
    any_db_url: str, tmp_path: Path, reference_path: Path, reference_rows: list[dict[str, Any]]
) -> None:
    store = Store(any_db_url)
    try:
        import_paths(store, [reference_path])
        before = _snapshot(store)
        big = _big_file(tmp_path / "big.jsonl", reference_rows)

        with (tmp_path / "import.log").open("wb") as log:
            proc = subprocess.Popen(
                [str(DEFECTIO), "--db", any_db_url, "import", str(big)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            position = _kill_in_the_middle(proc, store, big)
        assert proc.returncode == -signal.SIGKILL
        assert position < big.stat().st_size

        store.dispose()
        store = Store(any_db_url, create=False)  # reopen: SQLite rolls its hot journal back
        assert _snapshot(store) == before

        # the store takes the next import as if nothing had happened
        head = tmp_path / "head.jsonl"
        head.write_text("".join(big.read_text("utf-8").splitlines(keepends=True)[:6]), "utf-8")
        report = import_paths(store, [head])
        assert report.counts["cases"] == {"added": 5, "updated": 1, "unchanged": 0}
        assert store.counts()["cases"] == len(before["cases"]) + 5
    finally:
        store.dispose()
