"""Fixtures for counter-messaging: the reference index (built once a session) and a small
store of testimony in English and French with gated cases."""

from __future__ import annotations

import pytest

from defectio.counter import CounterIndex, reference_index
from defectio.store.repo import Store
from tests.counter._testimony import fill


@pytest.fixture
def reference(model_cache: object) -> CounterIndex:
    """The bundled corpus, coded by the default coder (trained once into the session cache)."""
    return reference_index()


@pytest.fixture
def testimony_store(store: Store) -> Store:
    return fill(store)
