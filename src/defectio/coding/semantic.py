"""``semantic.v1``: sentence embeddings (all-MiniLM-L6-v2, shipped by a package, run offline)
with a classifier per code on the embedding plus its similarity to the code's description in
the codebook (definition, "meets" notes, examples). Evidence: the most similar sentence.

A code with too few training examples is coded zero-shot, from similarity alone."""

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
from defectio.coding.embedding import Embedder, embedder_status, load_embedder
from defectio.coding.saved import sigmoid
from defectio.errors import CoderError
from defectio.text.segment import sentence_spans

FloatArray = NDArray[np.float64]
F32 = NDArray[np.float32]
MEMO_LIMIT = 20_000


class SemanticConfig(BaseModel):
    """Settings of ``semantic.v1``; stored with every coding run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    C: float = Field(default=2.0, gt=0, description="inverse regularisation strength")
    min_positives: int = Field(default=4, ge=1, description="fewer: the code is zero-shot")
    zero_shot_scale: float = Field(default=12.0, gt=0, description="slope of similarity -> p")
    zero_shot_offset: float = Field(default=0.45, description="similarity at which p = 0.5")
    cv_folds: int = Field(default=5, ge=2, le=10)


def code_descriptions(codebook: Codebook) -> list[list[str]]:
    """For each code, the texts that describe it: definition, meets notes and examples."""
    return [[c.definition, *c.meets, *c.examples] for c in codebook.codes]


def require_embedder() -> Embedder:
    embedder = load_embedder()
    if embedder is None:
        raise CoderError(embedder_status())
    return embedder


class SemanticCoder:
    name = "semantic"
    version = "v1"

    def __init__(
        self,
        codebook: Codebook,
        config: SemanticConfig | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.codebook = codebook
        self.settings = config or SemanticConfig()
        self.embedder = embedder or require_embedder()
        self.codes = codebook.code_ids
        self._memo: dict[str, F32] = {}
        self.prototypes = self._prototypes()
        d = self.embedder.dim
        self.coef: FloatArray = np.zeros((len(self.codes), d + len(self.codes)))
        self.intercept: FloatArray = np.zeros(len(self.codes))
        self.trained: NDArray[np.bool_] = np.zeros(len(self.codes), dtype=bool)
        self.thresholds: FloatArray = np.full(len(self.codes), 0.5)

    @property
    def config(self) -> dict[str, Any]:
        return {
            **self.settings.model_dump(),
            "codebook": self.codebook.ref,
            "embedder": self.embedder.name,
        }

    def embed(self, texts: Sequence[str]) -> F32:
        """Embeddings, memoised by text: training embeds the same passages several times."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            if len(self._memo) + len(missing) > MEMO_LIMIT:
                self._memo.clear()
            for text, vec in zip(missing, self.embedder.embed(missing), strict=True):
                self._memo[text] = vec
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def _prototypes(self) -> F32:
        rows = []
        for texts in code_descriptions(self.codebook):
            vec = self.embedder.embed(texts).mean(axis=0)
            rows.append(vec / max(float(np.linalg.norm(vec)), 1e-9))
        return np.asarray(rows, dtype=np.float32)

    def _features(self, emb: F32) -> FloatArray:
        sims = emb @ self.prototypes.T
        return np.asarray(np.concatenate([emb, sims], axis=1), dtype=float)

    def _zero_shot(self, sims: FloatArray) -> FloatArray:
        s = self.settings
        return sigmoid(s.zero_shot_scale * (sims - s.zero_shot_offset))

    def _train(
        self, x: FloatArray, y: NDArray[np.int_], weights: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
        coef = np.zeros((y.shape[1], x.shape[1]))
        intercept = np.zeros(y.shape[1])
        trained = np.zeros(y.shape[1], dtype=bool)
        for j in range(y.shape[1]):
            pos = int(y[:, j].sum())
            if pos < self.settings.min_positives or pos == len(y):
                continue
            model = LogisticRegression(
                C=self.settings.C, class_weight="balanced", max_iter=2000, random_state=SEED
            )
            model.fit(x, y[:, j], sample_weight=weights)
            coef[j], intercept[j], trained[j] = model.coef_[0], model.intercept_[0], True
        return coef, intercept, trained

    def _proba(
        self, x: FloatArray, coef: FloatArray, intercept: FloatArray, trained: NDArray[np.bool_]
    ) -> FloatArray:
        d = self.embedder.dim
        p = self._zero_shot(x[:, d:])
        learned = sigmoid(x @ coef.T + intercept)
        return np.where(trained[None, :], learned, p)

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        oof: FloatArray | None = None,
        weights: FloatArray | None = None,
    ) -> SemanticCoder:
        """Train on all examples; thresholds come from out-of-fold probabilities (computed
        here unless the caller already has them)."""
        y = np.array([[int(c in set(lab)) for c in self.codes] for lab in labels], dtype=int)
        x = self._features(self.embed(list(texts)))
        if oof is None:
            oof = self.out_of_fold_features(x, y, weights)
        self.thresholds = np.array(
            [best_threshold(y[:, j], oof[:, j]) for j in range(len(self.codes))]
        )
        self.coef, self.intercept, self.trained = self._train(x, y, weights)
        return self

    def out_of_fold_features(
        self, x: FloatArray, y: NDArray[np.int_], weights: FloatArray | None = None
    ) -> FloatArray:
        oof = np.zeros(y.shape)
        for train, test in folds(len(x), self.settings.cv_folds):
            w = None if weights is None else weights[train]
            coef, intercept, trained = self._train(x[train], y[train], w)
            oof[test] = self._proba(x[test], coef, intercept, trained)
        return oof

    def out_of_fold(
        self, texts: Sequence[str], y: NDArray[np.int_], weights: FloatArray | None = None
    ) -> FloatArray:
        return self.out_of_fold_features(self._features(self.embed(list(texts))), y, weights)

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        if not len(texts):
            return np.zeros((0, len(self.codes)))
        x = self._features(self.embed(list(texts)))
        return self._proba(x, self.coef, self.intercept, self.trained)

    def evidence(
        self, texts: Sequence[str], decisions: NDArray[np.bool_]
    ) -> list[dict[int, tuple[Span, ...]]]:
        """For each text, and each code decided for it, the sentence that scores highest."""
        jobs = [
            (i, spans)
            for i, t in enumerate(texts)
            if decisions[i].any()
            for spans in [sentence_spans(t)]
        ]
        flat = [texts[i][a:b] for i, spans in jobs for a, b in spans]
        out: list[dict[int, tuple[Span, ...]]] = [{} for _ in texts]
        if not flat:
            return out
        scores = self._proba(
            self._features(self.embed(flat)), self.coef, self.intercept, self.trained
        )
        k = 0
        for i, spans in jobs:
            block = scores[k : k + len(spans)]
            k += len(spans)
            for j in np.flatnonzero(decisions[i]):
                out[i][int(j)] = (spans[int(np.argmax(block[:, j]))],)
        return out

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Coding]:
        langs = langs if langs is not None else [None] * len(texts)
        probs = self.predict_proba(texts)
        decisions = probs >= self.thresholds[None, :]
        evidence = self.evidence(texts, decisions)
        return [
            Coding(
                tuple(
                    CodeScore(
                        code, float(probs[i, j]), bool(decisions[i, j]), evidence[i].get(j, ())
                    )
                    for j, code in enumerate(self.codes)
                ),
                lang=langs[i],
            )
            for i in range(len(texts))
        ]

    def save(self, directory: Path) -> None:
        arrays = {
            "coef": self.coef,
            "intercept": self.intercept,
            "trained": self.trained,
            "thresholds": self.thresholds,
        }
        coder_id = f"{self.name}.{self.version}"
        saved.write(
            directory, coder_id, self.settings, self.codebook, arrays, embedder=self.embedder.name
        )

    @classmethod
    def load(cls, directory: Path, embedder: Embedder | None = None) -> SemanticCoder:
        got = saved.read(directory, f"{cls.name}.{cls.version}")
        coder = cls(got.codebook, SemanticConfig.model_validate(got.meta["config"]), embedder)
        if got.meta["embedder"] != coder.embedder.name:
            raise CoderError(
                f"{directory}: trained on embeddings {got.meta['embedder']}, "
                f"but {coder.embedder.name} is installed"
            )
        a = got.arrays
        coder.coef, coder.intercept = a["coef"], a["intercept"]
        coder.trained, coder.thresholds = a["trained"], a["thresholds"]
        return coder
