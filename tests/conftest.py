"""Shared fixtures: real SQLite stores in temp dirs, built from the bundled reference data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from defectio.codebook import Codebook, load_codebook
from defectio.reference import reference_jsonl
from defectio.store.repo import Store

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(module: str) -> None:
    """Skip when an optional package is absent; under CI=true fail instead, so a missing
    install step cannot hide behind a skip."""
    try:
        __import__(module)
    except ImportError:
        if IN_CI:
            pytest.fail(f"CI=true and the optional package '{module}' is not installed")
        pytest.skip(f"optional package '{module}' not installed")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the session: the default coder is trained once, not per test."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_cache: Path) -> None:
    """No test reads the developer's own key, database, model cache or user name."""
    monkeypatch.setenv("DEFECTIO_CACHE", str(model_cache))
    monkeypatch.delenv("DEFECTIO_NO_EMBEDDINGS", raising=False)
    monkeypatch.delenv("DEFECTIO_DB", raising=False)
    monkeypatch.delenv("DEFECTIO_SECRET_KEY", raising=False)
    monkeypatch.setenv("DEFECTIO_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("DEFECTIO_USER", "tester")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def keyed_store(store: Store) -> Store:
    store.ensure_key()
    return store


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture(scope="session")
def reference_path() -> Path:
    return reference_jsonl()


@pytest.fixture(scope="session")
def reference_rows(reference_path: Path) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in reference_path.read_text("utf-8").splitlines() if line]
