"""How alike the accounts are: Jaccard similarity of the cases' code profiles, its mean over
all pairs, and the cases whose account stands apart from the rest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from defectio.analysis.counts import Basis
from defectio.analysis.tables import code_matrix, family_codes
from defectio.codebook import Codebook, Family
from defectio.model import Corpus

FloatArray = NDArray[np.float64]
OUTLIER_Z = 2.0


def _robust_z(values: FloatArray) -> FloatArray:
    """(x - median) / (1.4826 MAD); all zero when the spread is nil (no case stands apart)."""
    if len(values) < 2:
        return np.zeros(len(values))
    median = float(np.median(values))
    mad = 1.4826 * float(np.median(np.abs(values - median)))
    if mad == 0:
        return np.zeros(len(values))
    return np.asarray((values - median) / mad, dtype=np.float64)


def jaccard_matrix(profiles: NDArray[np.bool_]) -> FloatArray:
    """Pairwise Jaccard similarity of boolean rows (|a and b| / |a or b|); 0 where both are
    empty. The diagonal is 1 for a non-empty row."""
    x = profiles.astype(np.float64)
    both = x @ x.T
    sizes = x.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - both
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = np.where(union > 0, both / union, 0.0)
    return np.asarray(sim, dtype=np.float64)


def consistency(
    corpus: Corpus,
    codebook: Codebook,
    basis: Basis = Basis.COMBINED,
    families: Sequence[Family] = (Family.EXIT,),
) -> pd.DataFrame:
    """One row per case with at least one code of ``families`` (default: why they left): its
    codes, its mean similarity to every other such case, and ``outlier``.

    A case is an outlier when it shares no code with any other case, or when its mean
    similarity lies more than two robust standard deviations below the median
    (``robust_z`` = (x - median) / (1.4826 MAD)). ``attrs`` holds the mean pairwise
    similarity, the cases profiled and those left out for carrying no such code."""
    matrix = code_matrix(corpus, codebook, basis)
    codes = [c for f in families for c in family_codes(codebook, f)]
    carries = matrix.carries[codes]
    profiled = carries[carries.any(axis=1)]
    unreviewed = (matrix.unreviewed[codes] & carries).loc[profiled.index].any(axis=1)
    n = len(profiled)
    sim = jaccard_matrix(profiled.to_numpy(dtype=bool))
    off = ~np.eye(n, dtype=bool)
    mean_to_others = (sim * off).sum(axis=1) / (n - 1) if n > 1 else np.full(n, np.nan)
    max_to_others = np.where(off, sim, 0.0).max(axis=1) if n > 1 else np.zeros(n)
    robust_z = _robust_z(mean_to_others)
    aliases = {c.case_id: c.alias for c in corpus.cases}
    frame = pd.DataFrame(
        {
            "case_id": profiled.index,
            "alias": [aliases[c] for c in profiled.index],
            "codes": [";".join(c for c in codes if row[c]) for _, row in profiled.iterrows()],
            "mean_similarity": mean_to_others,
            "robust_z": robust_z,
            "outlier": (max_to_others == 0) | (robust_z < -OUTLIER_Z),
            "unreviewed": unreviewed.to_numpy(dtype=bool),
        }
    )
    pairs = sim[np.triu_indices(n, k=1)]
    frame.attrs.update(
        {
            "n_cases": matrix.n_cases,
            "profiled": n,
            "no_code": matrix.n_cases - n,
            "mean_similarity": float(pairs.mean()) if len(pairs) else float("nan"),
            "unreviewed": int(unreviewed.sum()),
            "basis": basis.value,
            "codes": codes,
        }
    )
    return frame
