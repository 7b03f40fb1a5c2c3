"""How close a passage is to what a claim says: the multilingual sentence encoder (USE) when it
is installed, else the English MiniLM embedder, else TF-IDF cosine (each fallback with a
one-line notice). All give L2-normalised rows, so a dot product is the cosine; TF-IDF rows stay
sparse, so a large store costs no dense matrix.

USE ranks best on the counter benchmark's hand relevance judgement (``python -m bench.counter``:
nDCG@5 0.424 against 0.405 for MiniLM int8 and 0.355 for TF-IDF over 48 claims in five
languages; better in English, Arabic and Turkish, worse in French), and it reads the
claims that MiniLM, an English model, cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from defectio.coding.embedding import Embedder, embedder_status, load_embedder
from defectio.coding.encoders import encoder_status, load_encoder

F32 = npt.NDArray[np.float32]
Matrix = Any  # a dense float32 array, or a SciPy sparse matrix for TF-IDF


class Relevance(Protocol):
    """Turns texts into unit vectors in one space; ``notice`` says why a fallback is in use."""

    name: str
    notice: str | None

    def encode(self, texts: Sequence[str]) -> Matrix: ...


class EmbeddingRelevance:
    """Semantic similarity with an offline sentence encoder."""

    def __init__(self, embedder: Embedder, notice: str | None = None) -> None:
        self.embedder = embedder
        self.notice = notice
        self.name = f"embedding:{embedder.name}"

    def encode(self, texts: Sequence[str]) -> F32:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.asarray(self.embedder.embed(list(texts)), dtype=np.float32)


class TfidfRelevance:
    """Character n-gram TF-IDF fitted on the corpus passages: no model needed, any script."""

    name = "tfidf"

    def __init__(self, corpus_texts: Sequence[str], notice: str | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.notice = notice
        self.vectorizer: Any = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True
        )
        self.vectorizer.fit(list(corpus_texts) or [" "])

    def encode(self, texts: Sequence[str]) -> Matrix:
        return self.vectorizer.transform(list(texts)).astype(np.float32)  # L2-normalised rows


def default_relevance(corpus_texts: Sequence[str]) -> Relevance:
    """USE when installed, else MiniLM, else TF-IDF; a fallback's notice names why."""
    multilingual = load_encoder("use")
    if multilingual is not None:
        return EmbeddingRelevance(multilingual)
    why = encoder_status("use")
    embedder = load_embedder()
    if embedder is not None:
        return EmbeddingRelevance(
            embedder,
            notice=f"counter: no multilingual encoder ({why}); relevance uses the English "
            f"{embedder.name}, weaker on other languages",
        )
    return TfidfRelevance(
        corpus_texts,
        notice=f"counter: no sentence embedder ({why}; {embedder_status()}); "
        "relevance falls back to TF-IDF cosine",
    )


def relevance_status() -> str:
    """What :func:`default_relevance` would use, in one line (a cache key for indexes)."""
    return f"{encoder_status('use')}; {embedder_status()}"


def dense(rows: Matrix) -> F32:
    """Rows as a dense float32 array, whether they came dense or sparse."""
    out = rows.toarray() if hasattr(rows, "toarray") else rows
    return np.asarray(out, dtype=np.float32)


def similarities(matrix: Matrix, query: F32) -> F32:
    """Cosine of each row of ``matrix`` with one unit ``query`` vector, clipped to [0, 1]."""
    sims = np.asarray(matrix @ query, dtype=np.float32).ravel()
    out: F32 = np.clip(sims, 0.0, 1.0)
    return out


def pairwise(matrix: Matrix, rows: Sequence[int]) -> F32:
    """Cosine between the chosen rows, clipped to [0, 1]."""
    sub = matrix[list(rows)]
    out: F32 = np.clip(dense(sub @ sub.T), 0.0, 1.0)
    return out


def centroid(rows: Matrix) -> F32:
    """The unit-length mean direction of some rows (a zero vector if they cancel out)."""
    total = np.asarray(rows.sum(axis=0), dtype=np.float32).ravel()
    norm = float(np.linalg.norm(total))
    out: F32 = total / norm if norm > 0 else total
    return out
