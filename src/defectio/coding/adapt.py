"""Learning from review: a team's reviewed passages combined with the bundled training data and
weighted up, the next passages to review (most uncertain first), and a new coder's figures on
the reviewed passages from folds grouped by case, beside the current coder's on the same
passages. Pure: the caller supplies the examples and a function that trains a coder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from defectio.coding.base import Coder, Coding
from defectio.coding.evaluate import evaluate
from defectio.coding.heldout import Trainer, grouped_predictions
from defectio.coding.training import Example
from defectio.review.queue import review_order

#: How much a reviewed passage of the store weighs against a bundled one. Chosen with
#: ``bench/adapt.py`` on the English development set (see README, "Learning from review").
STORE_WEIGHT = 3.0
#: Folds for the figures on reviewed passages (fewer when there are fewer cases).
REVIEW_FOLDS = 5


def combine(
    bundled: Sequence[Example], reviewed: Sequence[Example], weight: float
) -> list[Example]:
    """The bundled examples, less any whose text a person reviewed (their codes win), then the
    reviewed passages, each weighing ``weight``."""
    texts = {e.text for e in reviewed}
    kept = [e for e in bundled if e.text not in texts]
    return kept + [replace(e, weight=weight, real=True) for e in reviewed]


@dataclass(frozen=True)
class _Score:
    passage_id: str
    code: str
    probability: float | None


def uncertain_first(ids: Sequence[str], codings: Sequence[Coding]) -> list[str]:
    """Passage ids in the review queue's order: a passage comes where its most uncertain code
    score would (every code's score counts, so a near miss is reviewed too)."""
    scores = [
        _Score(pid, s.code, s.p)
        for pid, coding in zip(ids, codings, strict=True)
        for s in coding.scores
    ]
    order = list(dict.fromkeys(s.passage_id for s in review_order(scores)))
    return order + [pid for pid in ids if pid not in set(order)]


def _scored(coder: Coder, examples: Sequence[Example], codes: Sequence[str]) -> dict[str, Any]:
    codings = coder.predict([e.text for e in examples], [e.lang for e in examples])
    return evaluate(
        [e.labels for e in examples],
        [[s.code for s in c.codes] for c in codings],
        codes,
        coder=f"{coder.name}.{coder.version}",
    )


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "macro_f1": round(float(result["macro_f1"]), 4),
        "per_code": {
            code: {"f1": round(float(s["f1"]), 4), "support": int(s["support"])}
            for code, s in result["per_code"].items()
        },
    }


def review_figures(
    train: Trainer,
    bundled: Sequence[Example],
    reviewed: Sequence[Example],
    current: Coder,
    codes: Sequence[str],
    *,
    weight: float = STORE_WEIGHT,
    k: int = REVIEW_FOLDS,
) -> dict[str, Any]:
    """A new coder's macro-F1 and per-code F1 on the reviewed passages, each predicted by a
    coder trained (bundled data plus the other folds' reviewed passages) without its case,
    beside the current coder's on the same passages. Needs reviewed passages of two cases."""
    groups = [e.group or e.id for e in reviewed]
    n_folds = min(k, len(set(groups)))
    if n_folds < 2:
        raise ValueError("figures need reviewed passages of at least two cases")
    # Reviewed passages come last in the combined set; each is scored by a coder trained on
    # everything but its fold's cases (a held-out text's bundled copy is left out too).
    combined = combine(bundled, reviewed, weight)
    first = len(combined) - len(reviewed)
    scored = [i >= first for i in range(len(combined))]
    codings = grouped_predictions(train, combined, scored, k=n_folds)
    predicted = [[s.code for s in codings[first + i].codes] for i in range(len(reviewed))]
    new = evaluate([e.labels for e in reviewed], predicted, codes)
    return {
        "n": len(reviewed),
        "cases": len(set(groups)),
        "folds": n_folds,
        "weight": weight,
        "new": _summary(new),
        "current": _summary(_scored(current, reviewed, codes)),
    }
