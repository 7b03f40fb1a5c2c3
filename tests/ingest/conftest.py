"""Imports and their refusals run on SQLite and on PostgreSQL: ``db_url`` (and so ``store``)
is parametrised over both backends, as in tests/store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.databases import BACKENDS, fresh_database

# Tests that look inside the SQLite file itself, so have no PostgreSQL twin.
SQLITE_FILE_ONLY = {"test_identity_fields_are_sealed_not_stored_in_clear"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        only_sqlite = metafunc.function.__name__ in SQLITE_FILE_ONLY
        metafunc.parametrize("db_url", ["sqlite"] if only_sqlite else BACKENDS, indirect=True)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url
