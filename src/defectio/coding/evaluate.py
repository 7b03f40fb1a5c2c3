"""Evaluation against gold codes: per-code precision, recall, F1 and Cohen's kappa; micro and
macro F1; the same per language. Plain arithmetic, checked against scikit-learn in the tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CodeScores:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 0.0

    @property
    def kappa(self) -> float:
        """Cohen's kappa between the coder's yes/no and the gold yes/no for this code."""
        n = self.tp + self.fp + self.fn + self.tn
        if n == 0:
            return 0.0
        observed = (self.tp + self.tn) / n
        expected = (
            (self.tp + self.fp) * (self.tp + self.fn) + (self.fn + self.tn) * (self.fp + self.tn)
        ) / (n * n)
        if expected == 1.0:
            return 1.0 if observed == 1.0 else 0.0
        return (observed - expected) / (1.0 - expected)


def confusion(gold: Sequence[set[str]], predicted: Sequence[set[str]], code: str) -> CodeScores:
    tp = fp = fn = tn = 0
    for g, p in zip(gold, predicted, strict=True):
        if code in p:
            tp, fp = (tp + 1, fp) if code in g else (tp, fp + 1)
        else:
            fn, tn = (fn + 1, tn) if code in g else (fn, tn + 1)
    return CodeScores(tp, fp, fn, tn)


def macro_f1(scores: dict[str, CodeScores]) -> float:
    """Mean F1 over the codes that occur in the gold (a code nobody used cannot be scored)."""
    present = [s.f1 for s in scores.values() if s.support > 0]
    return sum(present) / len(present) if present else 0.0


def micro_f1(scores: dict[str, CodeScores]) -> float:
    tp = sum(s.tp for s in scores.values())
    fp = sum(s.fp for s in scores.values())
    fn = sum(s.fn for s in scores.values())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def evaluate(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    codes: Sequence[str],
    *,
    langs: Sequence[str | None] | None = None,
    coder: str = "",
) -> dict[str, Any]:
    """The ``defectio eval --json`` object: coder, n, macro_f1, micro_f1, per_code, per_lang."""
    g = [set(x) for x in gold]
    p = [set(x) for x in predicted]
    scores = {code: confusion(g, p, code) for code in codes}
    result: dict[str, Any] = {
        "coder": coder,
        "n": len(g),
        "macro_f1": macro_f1(scores),
        "micro_f1": micro_f1(scores),
        "per_code": {
            code: {
                "precision": s.precision,
                "recall": s.recall,
                "f1": s.f1,
                "kappa": s.kappa,
                "support": s.support,
            }
            for code, s in scores.items()
        },
        "per_lang": {},
    }
    if langs is not None:
        for lang in sorted({x or "und" for x in langs}):
            idx = [i for i, x in enumerate(langs) if (x or "und") == lang]
            sub = {
                code: confusion([g[i] for i in idx], [p[i] for i in idx], code) for code in codes
            }
            result["per_lang"][lang] = {"n": len(idx), "macro_f1": macro_f1(sub)}
    return result
