"""``linear.v1``: TF-IDF on hashed word and character n-grams, one-vs-rest logistic regression,
a threshold per code chosen by cross-validation. Evidence: the sentences that score highest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import LogisticRegression

from defectio.codebook import Codebook
from defectio.coding import saved
from defectio.coding.base import CodeScore, Coding, Span
from defectio.coding.calibrate import SEED, best_threshold, folds
from defectio.coding.features import HashedTfidf
from defectio.coding.saved import sigmoid
from defectio.errors import CoderError
from defectio.text.segment import sentence_spans

FloatArray = NDArray[np.float64]


class LinearConfig(BaseModel):
    """Settings of ``linear.v1``; stored with every coding run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    C: float = Field(default=8.0, gt=0, description="inverse regularisation strength")
    hash_bits: int = Field(default=16, ge=12, le=22, description="log2 features per block")
    min_positives: int = Field(default=4, ge=1, description="fewer positives: the code is off")
    cv_folds: int = Field(default=5, ge=2, le=10)


class LinearCoder:
    name = "linear"
    version = "v1"

    def __init__(self, codebook: Codebook, config: LinearConfig | None = None) -> None:
        self.codebook = codebook
        self.settings = config or LinearConfig()
        self.codes = codebook.code_ids
        bits = self.settings.hash_bits
        self.features = HashedTfidf(2**bits, 2**bits)
        self.coef: NDArray[np.float32] = np.zeros((len(self.codes), 0), dtype=np.float32)
        self._weights_cache: (
            tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]] | None
        ) = None
        self.intercept: FloatArray = np.zeros(len(self.codes))
        self.thresholds: FloatArray = np.full(len(self.codes), 0.5)
        self.active: NDArray[np.bool_] = np.zeros(len(self.codes), dtype=bool)

    @property
    def config(self) -> dict[str, Any]:
        return {**self.settings.model_dump(), "codebook": self.codebook.ref}

    @property
    def fitted(self) -> bool:
        return bool(self.coef.shape[1] > 0)

    def _train(
        self, x: Any, y: NDArray[np.int_], weights: FloatArray | None = None
    ) -> tuple[NDArray[np.float32], FloatArray]:
        coef = np.zeros((y.shape[1], x.shape[1]), dtype=np.float32)
        intercept = np.full(y.shape[1], -30.0)
        for j in range(y.shape[1]):
            if y[:, j].sum() < self.settings.min_positives or y[:, j].sum() == len(y):
                continue
            # The dual problem is far cheaper with many more features than examples.
            model = LogisticRegression(
                C=self.settings.C,
                class_weight="balanced",
                solver="liblinear",
                dual=True,
                max_iter=2000,
                random_state=SEED,
            )
            model.fit(x, y[:, j], sample_weight=weights)
            coef[j] = model.coef_[0]
            intercept[j] = model.intercept_[0]
        return coef, intercept

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        oof: FloatArray | None = None,
        weights: FloatArray | None = None,
    ) -> LinearCoder:
        """Train on all examples; thresholds come from out-of-fold probabilities (computed
        here unless the caller already has them)."""
        if not texts:
            raise CoderError("linear.v1 needs training examples")
        y = np.array([[int(c in set(lab)) for c in self.codes] for lab in labels], dtype=int)
        self.active = y.sum(axis=0) >= self.settings.min_positives
        if oof is None:
            oof = self.out_of_fold(texts, y, weights)
        self.thresholds = np.array(
            [best_threshold(y[:, j], oof[:, j]) for j in range(len(self.codes))]
        )
        self.features.fit(texts)
        self.coef, self.intercept = self._train(self.features.transform(texts), y, weights)
        return self

    def out_of_fold(
        self, texts: Sequence[str], y: NDArray[np.int_], weights: FloatArray | None = None
    ) -> FloatArray:
        """Probabilities for each training text from a model that did not see it."""
        oof = np.zeros(y.shape, dtype=float)
        for train, test in folds(len(texts), self.settings.cv_folds):
            feats = HashedTfidf(self.features.n_word, self.features.n_char)
            feats.fit([texts[i] for i in train])
            coef, intercept = self._train(
                feats.transform([texts[i] for i in train]),
                y[train],
                None if weights is None else weights[train],
            )
            x_test = feats.transform([texts[i] for i in test])
            oof[test] = sigmoid(np.asarray(x_test @ coef.T) + intercept)
        return oof

    def _weights(self) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """The coefficients as contiguous (features x codes) arrays, all and word-only. A
        sparse row times ``coef.T`` (a strided view) makes scipy copy it on every call, which
        was most of the time coding one text took."""
        if self._weights_cache is None or self._weights_cache[0] is not self.coef:
            full = np.ascontiguousarray(self.coef.T)
            words = np.ascontiguousarray(self.coef[:, : self.features.n_word].T)
            self._weights_cache = (self.coef, full, words)
        return self._weights_cache[1], self._weights_cache[2]

    def logits(self, texts: Sequence[str]) -> FloatArray:
        if not self.fitted:
            raise CoderError("linear.v1 is not trained; run `defectio train --coder linear`")
        x = self.features.transform(texts)
        out: FloatArray = np.asarray(x @ self._weights()[0], dtype=float) + self.intercept
        return out

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        return sigmoid(self.logits(texts))

    def evidence(self, texts: Sequence[str], decisions: NDArray[np.bool_]) -> list[dict[int, Span]]:
        """For each text and each code decided for it, the sentence whose word n-grams weigh most
        for the code; all sentences are scored in one batch (the word block alone is cheap)."""
        jobs = [(i, sentence_spans(t)) for i, t in enumerate(texts) if decisions[i].any()]
        out: list[dict[int, Span]] = [{} for _ in texts]
        flat = [texts[i][a:b] for i, spans in jobs for a, b in spans]
        if not flat:
            return out
        words = self.features.transform_words(flat)
        scores = np.asarray(words @ self._weights()[1])
        k = 0
        for i, spans in jobs:
            block = scores[k : k + len(spans)]
            k += len(spans)
            for j in np.flatnonzero(decisions[i]):
                out[i][int(j)] = spans[int(np.argmax(block[:, j]))]
        return out

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Coding]:
        langs = langs if langs is not None else [None] * len(texts)
        probs = self.predict_proba(texts) if texts else np.zeros((0, len(self.codes)))
        decisions = self.active[None, :] & (probs >= self.thresholds[None, :])
        evidence = self.evidence(texts, decisions)
        return [
            Coding(
                tuple(
                    CodeScore(
                        code,
                        float(probs[i, j]),
                        bool(decisions[i, j]),
                        (evidence[i][j],) if j in evidence[i] else (),
                    )
                    for j, code in enumerate(self.codes)
                ),
                lang=langs[i],
            )
            for i in range(len(texts))
        ]

    def save(self, directory: Path) -> None:
        arrays: dict[str, NDArray[Any]] = {
            "coef": self.coef,
            "intercept": self.intercept,
            "thresholds": self.thresholds,
            "active": self.active,
            "idf_word": self.features.idf_word,
            "idf_char": self.features.idf_char,
        }
        saved.write(directory, f"{self.name}.{self.version}", self.settings, self.codebook, arrays)

    @classmethod
    def load(cls, directory: Path) -> LinearCoder:
        got = saved.read(directory, f"{cls.name}.{cls.version}")
        coder = cls(got.codebook, LinearConfig.model_validate(got.meta["config"]))
        a = got.arrays
        coder.coef, coder.intercept, coder.thresholds = a["coef"], a["intercept"], a["thresholds"]
        coder.active = a["active"]
        coder.features.idf_word, coder.features.idf_char = a["idf_word"], a["idf_char"]
        return coder
