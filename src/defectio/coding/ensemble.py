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
from defectio.coding.embedding import Embedder
from defectio.coding.encoders import ENCODERS, encoder_status, load_encoder
from defectio.coding.lexicon import LexiconCoder
from defectio.coding.linear import LinearCoder, LinearConfig
from defectio.coding.saved import logit, sigmoid
from defectio.coding.semantic import SemanticCoder, SemanticConfig
from defectio.errors import CoderError
from defectio.text.lang import detect_languages

log = logging.getLogger(__name__)
FloatArray = NDArray[np.float64]
#: A code's threshold is tuned on the real rows only when they hold this many positives.
MIN_REAL_POSITIVES = 5
#: A stance-gate code's threshold maximises F4 (recall first; on the development set F4 caught
#: 0.59 of its passages against 0.53 with F2, at -0.007 macro-F1): a missed one lets
#: unrenounced testimony into counter-messages, a false one only holds a case back.
GATE_BETA = 4.0
BASE_FEATURES = 3  # lexicon p, linear logit, their product


class EnsembleConfig(BaseModel):
    """Settings of ``ensemble.v1``; stored with every coding run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    C: float = Field(default=1.0, gt=0, description="regularisation of the per-code stacker")
    min_examples: int = Field(default=30, ge=1, description="fewer: fall back to the lexicon")
    primary_language: str = Field(default="en", description="the embedding model's language")
    use_semantic: bool = Field(default=True, description="include semantic members if installed")
    encoders: tuple[str, ...] = Field(
        default=("use",),
        description="sentence encoders, one semantic member each, in this order: "
        + ", ".join(ENCODERS),
    )
    own_primary_thresholds: bool = Field(
        default=True,
        description="tune the primary language's thresholds on its own real rows (the other "
        "languages, with fewer rows each, share the thresholds of all real rows)",
    )
    linear: LinearConfig = Field(default_factory=LinearConfig)
    semantic: SemanticConfig = Field(default_factory=SemanticConfig)


class EnsembleCoder:
    name = "ensemble"
    version = "v1"

    def __init__(
        self,
        codebook: Codebook,
        config: EnsembleConfig | None = None,
        embedders: dict[str, Embedder | None] | None = None,
    ) -> None:
        """``embedders`` overrides the installed encoder for a key (None: leave it out)."""
        self.codebook = codebook
        self.settings = config or EnsembleConfig()
        self.codes = codebook.code_ids
        self.lexicon = LexiconCoder(codebook)
        self.linear = LinearCoder(codebook, self.settings.linear)
        given = embedders or {}
        self.semantic: dict[str, SemanticCoder] = {}
        notices = []
        for key in self.settings.encoders if self.settings.use_semantic else ():
            found = given[key] if key in given else load_encoder(key)
            if found is None:
                notices.append(
                    f"{self.name}.{self.version} runs without its semantic member {key} "
                    f"({encoder_status(key)})"
                )
                continue
            self.semantic[key] = SemanticCoder(codebook, self.settings.semantic, found)
        self.notices: tuple[str, ...] = tuple(notices)
        self.stack_coef: FloatArray = np.zeros((len(self.codes), self.n_features))
        self.stack_intercept: FloatArray = np.zeros(len(self.codes))
        # Row 0: texts in the primary language; row 1: the others.
        self.thresholds: FloatArray = np.full((2, len(self.codes)), 0.5)
        self.lexicon_only = True

    @property
    def config(self) -> dict[str, Any]:
        return {
            **self.settings.model_dump(),
            "codebook": self.codebook.ref,
            "members": self.members,
        }

    @property
    def n_features(self) -> int:
        return BASE_FEATURES + 2 * len(self.semantic)

    @property
    def members(self) -> list[str]:
        names = ["lexicon.v1"]
        if not self.lexicon_only:
            names.append("linear.v1")
            names += [f"semantic.v1[{m.embedder.name}]" for m in self.semantic.values()]
        return names

    def _langs(self, texts: Sequence[str], langs: Sequence[str | None] | None) -> list[str | None]:
        if langs is not None and all(lang is not None for lang in langs):
            return list(langs)
        detected = detect_languages(list(texts)) if texts else []
        given = langs or [None] * len(texts)
        return [g or d for g, d in zip(given, detected, strict=True)]

    def _features(
        self, lex: FloatArray, lin: FloatArray, sem: list[FloatArray], primary: FloatArray
    ) -> NDArray[np.float64]:
        """(n, codes, features): lexicon p, linear logit, the lexicon-linear agreement, and
        each semantic member's logit split by whether the text is in the primary language
        (an encoder's weight differs between English and the other languages)."""
        n, k = lex.shape
        x = np.zeros((n, k, BASE_FEATURES + 2 * len(sem)))
        x[:, :, 0] = lex
        x[:, :, 1] = logit(lin)
        x[:, :, 2] = lex * logit(lin)
        for m, probs in enumerate(sem):
            s = logit(probs)
            x[:, :, BASE_FEATURES + 2 * m] = s * primary[:, None]
            x[:, :, BASE_FEATURES + 2 * m + 1] = s * (1 - primary[:, None])
        return x

    def _lexicon_p(self, texts: Sequence[str], langs: Sequence[str | None]) -> FloatArray:
        codings = self.lexicon.predict(texts, langs)
        return np.array([[s.p for s in c.scores] for c in codings]).reshape(len(texts), -1)

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        langs: Sequence[str | None] | None = None,
        real: Sequence[bool] | None = None,
        weights: Sequence[float] | None = None,
    ) -> EnsembleCoder:
        """Train on these examples. ``real`` marks the rows of real testimony: each code's
        threshold is chosen on their out-of-fold probabilities (text written for training is
        easier, so thresholds fitted on it run too high on real reports). ``weights`` weigh
        rows in every member and the stacker (a team's reviewed passages above the rest)."""
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
        w = None if weights is None else np.asarray(weights, dtype=float)
        lin = self.linear.out_of_fold(texts, y, w)
        sem = [m.out_of_fold(texts, y, w) for m in self.semantic.values()]
        x = self._features(lex, lin, sem, primary)
        tuning = np.asarray(real if real is not None else [True] * len(texts), dtype=bool)
        for j in range(len(self.codes)):
            if y[:, j].sum() < 2:
                self.stack_coef[j], self.stack_intercept[j] = 0.0, -30.0
                continue
            oof = np.zeros(len(texts))
            for train, test in folds(len(texts)):
                if y[train, j].sum() == 0:
                    continue
                model = self._stacker().fit(
                    x[train, j], y[train, j], None if w is None else w[train]
                )
                oof[test] = model.predict_proba(x[test, j])[:, 1]
            self.thresholds[:, j] = self._tune(y[:, j], oof, tuning, primary, j)
            model = self._stacker().fit(x[:, j], y[:, j], w)
            self.stack_coef[j], self.stack_intercept[j] = model.coef_[0], model.intercept_[0]
        self.linear.fit(texts, [list(lab) for lab in labels], oof=lin, weights=w)
        for member, oof_probs in zip(self.semantic.values(), sem, strict=True):
            member.fit(texts, [list(lab) for lab in labels], oof=oof_probs, weights=w)
        return self

    def _tune(
        self,
        y: NDArray[np.int_],
        oof: FloatArray,
        real: NDArray[np.bool_],
        primary: FloatArray,
        j: int,
    ) -> FloatArray:
        """Code j's threshold for the primary language and for the others. The primary side is
        tuned on its own real rows when they hold enough positives; otherwise, and for the other
        side (on the development set, tuning it apart cost 0.045 macro-F1), on all real rows
        when they do, else on every row."""
        beta = GATE_BETA if self.codebook.codes[j].counter_gate else 1.0
        out = np.zeros(2)
        for side, mask in enumerate((real & (primary == 1), real & (primary == 0))):
            own = side == 0 and self.settings.own_primary_thresholds
            candidates = (mask, real) if own else (real,)
            enough = (m for m in candidates if y[m].sum() >= MIN_REAL_POSITIVES)
            rows = next(enough, np.ones(len(y), dtype=bool))
            out[side] = best_threshold(y[rows], oof[rows], beta=beta)
        return out

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
        sem = [m.predict_proba(texts) for m in self.semantic.values()]
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
        primary = np.array([lang == self.settings.primary_language for lang in langs])
        decisions = probs >= np.where(primary[:, None], self.thresholds[0], self.thresholds[1])
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
        saved.write(
            directory,
            coder_id,
            self.settings,
            self.codebook,
            arrays,
            lexicon_only=self.lexicon_only,
            encoders=list(self.semantic),
        )
        if not self.lexicon_only:
            self.linear.save(directory / "linear")
            for key, member in self.semantic.items():
                member.save(directory / f"semantic-{key}")

    @classmethod
    def load(cls, directory: Path) -> EnsembleCoder:
        got = saved.read(directory, f"{cls.name}.{cls.version}")
        keys = [str(k) for k in got.meta["encoders"]]
        embedders: dict[str, Embedder | None] = {}
        for key in keys:
            embedders[key] = load_encoder(key)
            if embedders[key] is None:
                raise CoderError(
                    f"{directory}: trained with {key} embeddings, which are unavailable here "
                    f"({encoder_status(key)}); retrain with `defectio train`"
                )
        config = EnsembleConfig.model_validate(got.meta["config"])
        config = config.model_copy(update={"encoders": tuple(keys), "use_semantic": bool(keys)})
        coder = cls(got.codebook, config, embedders)
        coder.lexicon_only = bool(got.meta["lexicon_only"])
        a = got.arrays
        coder.stack_coef, coder.stack_intercept = a["stack_coef"], a["stack_intercept"]
        coder.thresholds = a["thresholds"]
        if not coder.lexicon_only:
            coder.linear = LinearCoder.load(directory / "linear")
            for key in keys:
                coder.semantic[key] = SemanticCoder.load(
                    directory / f"semantic-{key}", embedders[key]
                )
        return coder
