"""Fresh databases for tests: a SQLite file in the test's temp dir, or a database of its own on
the PostgreSQL server that ``DEFECTIO_TEST_DB`` names (``scripts/with-postgres`` starts one and
sets it; ``make test`` does so whenever Debian's PostgreSQL binaries are installed).

Without ``DEFECTIO_TEST_DB`` the PostgreSQL cases skip; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tests.conftest import IN_CI, require

TEST_DB_ENV = "DEFECTIO_TEST_DB"
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> str:
    """The server's admin URL; skips (fails under CI=true) when no server is configured."""
    url = os.environ.get(TEST_DB_ENV)
    if not url:
        message = (
            f"{TEST_DB_ENV} is not set, so the PostgreSQL cases cannot run; "
            "run the tests under scripts/with-postgres (make test does when "
            "/usr/lib/postgresql/*/bin/initdb exists)"
        )
        if IN_CI:
            pytest.fail("CI=true: " + message)
        pytest.skip(message)
    require("psycopg")
    return url


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    admin = make_url(postgres_admin_url())
    name = f"defectio_test_{uuid.uuid4().hex[:16]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()
