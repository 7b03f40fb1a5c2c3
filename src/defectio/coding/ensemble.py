"""``ensemble.v1``, the default coder: the lexicon, linear and semantic coders stacked per code.

The stacker is a logistic regression on the members' out-of-fold scores, which is Platt
calibration learned by cross-validation; each code's threshold is then chosen on the stacker's
own out-of-fold probabilities. Without the optional embedding package the semantic member is
left out and a one-line notice says so."""

from __future__ import annotations

import logging
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
from defectio.coding.lexicon import LexiconCoder
from defectio.coding.linear import LinearCoder, LinearConfig
from defectio.coding.saved import logit, sigmoid
from defectio.coding.semantic import SemanticCoder, SemanticConfig
from defectio.errors import CoderError
from defectio.ingest.lang import detect_languages

log = logging.getLogger(__name__)
FloatArray = NDArray[np.float64]
N_FEATURES = 5


class EnsembleConfig(BaseModel):
    """Settings of ``ensemble.v1``; stored with every coding run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    C: float = Field(default=1.0, gt=0, description="regularisation of the per-code stacker")
    min_examples: int = Field(default=30, ge=1, description="fewer: fall back to the lexicon")
    primary_language: str = Field(default="en", description="the embedding model's language")
    use_semantic: bool = Field(default=True, description="include the semantic member if installed")
    linear: LinearConfig = Field(default_factory=LinearConfig)
    semantic: SemanticConfig = Field(default_factory=SemanticConfig)


class EnsembleCoder:
    name = "ensemble"
    version = "v1"

    def __init__(
        self,
        codebook: Codebook,
        config: EnsembleConfig | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.codebook = codebook
        self.settings = config or EnsembleConfig()
        self.codes = codebook.code_ids
        self.lexicon = LexiconCoder(codebook)
        self.linear = LinearCoder(codebook, self.settings.linear)
        if embedder is None and self.settings.use_semantic:
            embedder = load_embedder()
        self.semantic = (
            SemanticCoder(codebook, self.settings.semantic, embedder) if embedder else None
        )
        self.notices: tuple[str, ...] = ()
        if self.semantic is None:
            self.notices = (
                f"ensemble.v1 runs without its semantic member ({embedder_status()}); "
                "lexicon and linear only",
            )
        self.stack_coef: FloatArray = np.zeros((len(self.codes), N_FEATURES))
        self.stack_intercept: FloatArray = np.zeros(len(self.codes))
        self.thresholds: FloatArray = np.full(len(self.codes), 0.5)
        self.lexicon_only = True

    @property
    def config(self) -> dict[str, Any]:
        return {
            **self.settings.model_dump(),
            "codebook": self.codebook.ref,
            "members": self.members,
        }

    @property
    def members(self) -> list[str]:
        names = ["lexicon.v1"]
        if not self.lexicon_only:
            names.append("linear.v1")
            if self.semantic is not None:
                names.append(f"semantic.v1[{self.semantic.embedder.name}]")
        return names

    def _langs(self, texts: Sequence[str], langs: Sequence[str | None] | None) -> list[str | None]:
        if langs is not None and all(lang is not None for lang in langs):
            return list(langs)
        detected = detect_languages(list(texts)) if texts else []
        given = langs or [None] * len(texts)
        return [g or d for g, d in zip(given, detected, strict=True)]

    def _features(
        self, lex: FloatArray, lin: FloatArray, sem: FloatArray | None, primary: FloatArray
    ) -> NDArray[np.float64]:
        """(n, codes, features): lexicon p, linear logit, semantic logit split by whether the
        text is in the embedding model's language, and the lexicon-linear agreement."""
        n, k = lex.shape
        x = np.zeros((n, k, N_FEATURES))
        x[:, :, 0] = lex
        x[:, :, 1] = logit(lin)
        if sem is not None:
            s = logit(sem)
            x[:, :, 2] = s * primary[:, None]
            x[:, :, 3] = s * (1 - primary[:, None])
        x[:, :, 4] = lex * logit(lin)
        return x

    def _lexicon_p(self, texts: Sequence[str], langs: Sequence[str | None]) -> FloatArray:
        codings = self.lexicon.predict(texts, langs)
        return np.array([[s.p for s in c.scores] for c in codings]).reshape(len(texts), -1)

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        langs: Sequence[str | None] | None = None,
    ) -> EnsembleCoder:
        texts = list(texts)
        if len(texts) < self.settings.min_examples:
            log.info("ensemble.v1: %d examples; the lexicon alone codes", len(texts))
            self.lexicon_only = True
            return self
        self.lexicon_only = False
        langs = self._langs(texts, langs)
        y = np.array([[int(c in set(lab)) for c in self.codes] for lab in labels], dtype=int)
        primary = np.array([lang == self.settings.primary_language for lang in langs], dtype=float)
        lex = self._lexicon_p(texts, langs)
        lin = self.linear.out_of_fold(texts, y)
        sem = self.semantic.out_of_fold(texts, y) if self.semantic is not None else None
        x = self._features(lex, lin, sem, primary)
        for j in range(len(self.codes)):
            if y[:, j].sum() < 2:
                self.stack_coef[j], self.stack_intercept[j] = 0.0, -30.0
                continue
            oof = np.zeros(len(texts))
            for train, test in folds(len(texts)):
                if y[train, j].sum() == 0:
                    continue
                model = self._stacker().fit(x[train, j], y[train, j])
                oof[test] = model.predict_proba(x[test, j])[:, 1]
            self.thresholds[j] = best_threshold(y[:, j], oof)
            model = self._stacker().fit(x[:, j], y[:, j])
            self.stack_coef[j], self.stack_intercept[j] = model.coef_[0], model.intercept_[0]
        self.linear.fit(texts, [list(lab) for lab in labels], oof=lin)
        if self.semantic is not None:
            self.semantic.fit(texts, [list(lab) for lab in labels], oof=sem)
        return self

    def _stacker(self) -> LogisticRegression:
        return LogisticRegression(C=self.settings.C, max_iter=1000, random_state=SEED)

    def predict_proba(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        lexicon: list[Coding] | None = None,
    ) -> tuple[FloatArray, list[str | None]]:
        langs = self._langs(texts, langs)
        lexicon = lexicon if lexicon is not None else self.lexicon.predict(texts, langs)
        lex = np.array([[s.p for s in c.scores] for c in lexicon]).reshape(len(texts), -1)
        if self.lexicon_only or not texts:
            return lex, langs
        primary = np.array([lang == self.settings.primary_language for lang in langs], dtype=float)
        lin = self.linear.predict_proba(texts)
        sem = self.semantic.predict_proba(texts) if self.semantic is not None else None
        x = self._features(lex, lin, sem, primary)
        z = np.einsum("nkf,kf->nk", x, self.stack_coef) + self.stack_intercept
        return sigmoid(z), langs

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Coding]:
        texts = list(texts)
        langs = self._langs(texts, langs)
        lex_codings = self.lexicon.predict(texts, langs)
        probs, langs = self.predict_proba(texts, langs, lex_codings)
        decisions = probs >= self.thresholds[None, :]
        # Evidence: the lexicon's phrases where it found some, else the linear member's best
        # sentence (scored in one batch); embedding every sentence again would halve the speed.
        need = decisions.copy()
        for i, coding in enumerate(lex_codings):
            for j, score in enumerate(coding.scores):
                if score.evidence:
                    need[i, j] = False
        sentence = (
            self.linear.evidence(texts, need) if not self.lexicon_only else [{} for _ in texts]
        )
        out = []
        for i in range(len(texts)):
            scores = []
            for j, code in enumerate(self.codes):
                spans: tuple[Span, ...] = ()
                if decisions[i, j]:
                    spans = lex_codings[i].scores[j].evidence
                    if not spans and j in sentence[i]:
                        spans = (sentence[i][j],)
                scores.append(CodeScore(code, float(probs[i, j]), bool(decisions[i, j]), spans))
            notices = self.notices + lex_codings[i].notices
            out.append(Coding(tuple(scores), lang=langs[i], notices=notices))
        return out

    def save(self, directory: Path) -> None:
        arrays = {
            "stack_coef": self.stack_coef,
            "stack_intercept": self.stack_intercept,
            "thresholds": self.thresholds,
        }
        coder_id = f"{self.name}.{self.version}"
        semantic = self.semantic is not None
        saved.write(
            directory,
            coder_id,
            self.settings,
            self.codebook,
            arrays,
            lexicon_only=self.lexicon_only,
            semantic=semantic,
        )
        if not self.lexicon_only:
            self.linear.save(directory / "linear")
            if self.semantic is not None:
                self.semantic.save(directory / "semantic")

    @classmethod
    def load(cls, directory: Path) -> EnsembleCoder:
        got = saved.read(directory, f"{cls.name}.{cls.version}")
        semantic = bool(got.meta["semantic"])
        embedder = load_embedder() if semantic else None
        if semantic and embedder is None:
            raise CoderError(
                f"{directory}: trained with the semantic member, which is unavailable here "
                f"({embedder_status()}); retrain with `defectio train`"
            )
        config = EnsembleConfig.model_validate(got.meta["config"])
        coder = cls(got.codebook, config.model_copy(update={"use_semantic": semantic}), embedder)
        coder.lexicon_only = bool(got.meta["lexicon_only"])
        a = got.arrays
        coder.stack_coef, coder.stack_intercept = a["stack_coef"], a["stack_intercept"]
        coder.thresholds = a["thresholds"]
        if not coder.lexicon_only:
            coder.linear = LinearCoder.load(directory / "linear")
            if semantic:
                coder.semantic = SemanticCoder.load(directory / "semantic", embedder)
        return coder
