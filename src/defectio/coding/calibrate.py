"""Thresholds chosen by cross-validation, and the folds used for them (shared by trained coders)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import KFold

SEED = 20150921  # the ICSR report's release date; any fixed seed makes training deterministic
GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


def folds(n: int, k: int = 5) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    k = max(2, min(k, n))
    return list(KFold(n_splits=k, shuffle=True, random_state=SEED).split(np.arange(n)))


def best_threshold(
    y: NDArray[np.int_], p: NDArray[np.float64], default: float = 0.5, beta: float = 1.0
) -> float:
    """The probability cut that maximises F-beta (F1 unless told) on out-of-fold predictions;
    ties go to the cut nearest 0.5, so a flat curve keeps the natural threshold. A beta above 1
    weighs recall above precision."""
    if y.sum() == 0:
        return default
    best, best_f1 = default, -1.0
    for t in GRID:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        fp = float(np.sum(pred & (y == 0)))
        fn = float(np.sum(~pred & (y == 1)))
        b2 = beta * beta
        f1 = (1 + b2) * tp / ((1 + b2) * tp + fp + b2 * fn) if tp + fp + fn else 0.0
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(t - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(t), f1
    return best
