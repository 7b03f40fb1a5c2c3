"""Prevalence of every code by case, with Wilson 95% intervals, as the 2015 study counted."""

from __future__ import annotations

import pandas as pd

from defectio.analysis.counts import Basis, code_counts
from defectio.analysis.intervals import wilson_interval
from defectio.analysis.tables import code_matrix, describe
from defectio.codebook import Codebook
from defectio.model import Corpus

COLUMNS = [
    "code",
    "label",
    "family",
    "cases",
    "n",
    "share",
    "ci_low",
    "ci_high",
    "passages",
    "unreviewed",
]


def prevalence(corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED) -> pd.DataFrame:
    """One row per code, in codebook order: cases carrying it out of N, the share and its
    Wilson 95% interval, passages, and ``unreviewed`` (cases that carry it only through
    unreviewed machine suggestions)."""
    matrix = code_matrix(corpus, codebook, basis)
    passages = {c.code: c.passages for c in code_counts(corpus, codebook, basis)}
    n = matrix.n_cases
    rows = []
    for code in codebook.codes:
        k = int(matrix.carries[code.id].sum())
        low, high = wilson_interval(k, n)
        rows.append(
            {
                "code": code.id,
                "label": code.label,
                "family": code.family.value,
                "cases": k,
                "n": n,
                "share": k / n if n else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "passages": passages[code.id],
                "unreviewed": int(matrix.unreviewed[code.id].sum()),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return describe(frame, n_cases=n, unreviewed=int(frame["unreviewed"].sum()), basis=basis)


def ranked(frame: pd.DataFrame, family: str) -> pd.DataFrame:
    """The codes of one family, most prevalent first (ties in codebook order)."""
    part = frame[frame["family"] == family]
    return part.sort_values("cases", ascending=False, kind="stable").reset_index(drop=True)
