"""Text features shared by the trained coders: hashed word and character n-grams with TF-IDF
weights. Hashing keeps the model free of a vocabulary, so it saves as plain arrays."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "’": "'"})


def fold(text: str) -> str:
    """Lower-case and unify Arabic letter forms; cheap enough for the hot path."""
    return _AR_DIACRITICS.sub("", text.lower().translate(_AR_MAP))


@lru_cache(maxsize=200_000)
def _word_char_ngrams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    return tuple(padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))


def char_ngrams(text: str) -> list[str]:
    """Character 3-5 grams inside each word padded with spaces (scikit-learn's ``char_wb``),
    cached per word: words repeat, so most texts cost a few dictionary lookups."""
    out: list[str] = []
    for word in text.split():
        out.extend(_word_char_ngrams(word))
    return out


class HashedTfidf:
    """Word 1-2 grams and character 3-5 grams (within word boundaries), hashed, TF-IDF
    weighted (sublinear tf, smoothed idf), each block L2-normalised."""

    def __init__(self, n_word: int = 2**18, n_char: int = 2**18) -> None:
        self.n_word, self.n_char = n_word, n_char
        common: dict[str, Any] = {
            "alternate_sign": False,
            "norm": None,
            "lowercase": False,
            "dtype": np.float32,
        }
        self.word = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            n_features=n_word,
            **common,
        )
        self.char = HashingVectorizer(analyzer=char_ngrams, n_features=n_char, **common)
        self.idf_word: NDArray[np.float32] = np.ones(n_word, dtype=np.float32)
        self.idf_char: NDArray[np.float32] = np.ones(n_char, dtype=np.float32)

    def _counts(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        folded = [fold(t) for t in texts]
        return self.word.transform(folded), self.char.transform(folded)

    def fit(self, texts: Sequence[str]) -> HashedTfidf:
        w, c = self._counts(texts)
        self.idf_word = _idf(w)
        self.idf_char = _idf(c)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        w, c = self._counts(texts)
        return sp.hstack([_weigh(w, self.idf_word), _weigh(c, self.idf_char)], format="csr")

    def transform_words(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The word block alone: cheap, for scoring sentences as evidence."""
        return _weigh(self.word.transform([fold(t) for t in texts]), self.idf_word)

    @property
    def n_features(self) -> int:
        return self.n_word + self.n_char


def _idf(counts: sp.csr_matrix) -> NDArray[np.float32]:
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf: NDArray[np.float32] = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
    return idf


def _weigh(counts: sp.csr_matrix, idf: NDArray[np.float32]) -> sp.csr_matrix:
    x = sp.csr_matrix(counts, copy=True)
    np.log1p(x.data, out=x.data)
    # Scale each stored value by its column's idf in place: the same as ``x @ diags(idf)``
    # without building a million-column diagonal matrix on every call.
    x.data *= idf[x.indices]
    return normalize(x, norm="l2", copy=False).astype(np.float32)
