"""Scores from folds a coder did not train on, grouped by person: the honest quality figure
when a coder trains on the very passages it is scored on (the shipped default trains on the
development set; a team's retrained coder on its own reviewed passages)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sklearn.model_selection import GroupKFold

from defectio.coding.base import Coder, Coding
from defectio.coding.training import Example

#: Trains a coder on examples (the caller decides which coder and how).
Trainer = Callable[[list[Example]], Coder]


def grouped_predictions(
    train: Trainer,
    examples: Sequence[Example],
    scored: Sequence[bool],
    k: int = 5,
) -> dict[int, Coding]:
    """Index -> coding for every scored example, each from a coder trained on all examples
    except the fold of scored ones it belongs to. Folds group scored rows by ``group`` (a case),
    so one person's passages never sit on both sides."""
    targets = [i for i, s in enumerate(scored) if s]
    groups = [examples[i].group or examples[i].id for i in targets]
    k = min(k, len(set(groups)))
    out: dict[int, Coding] = {}
    if k < 2:
        return out
    for _, test in GroupKFold(n_splits=k).split(targets, groups=groups):
        held = {targets[t] for t in test}
        coder = train([e for i, e in enumerate(examples) if i not in held])
        order = sorted(held)
        codings = coder.predict(
            [examples[i].text for i in order], [examples[i].lang for i in order]
        )
        out.update(zip(order, codings, strict=True))
    return out
