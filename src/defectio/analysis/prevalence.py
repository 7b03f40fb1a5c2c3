"""Prevalence of every code by case, with Wilson 95% intervals, as the 2015 study counted."""

from __future__ import annotations

import pandas as pd

from defectio.analysis.counts import Basis, CodeCount, code_counts
from defectio.analysis.intervals import wilson_interval
from defectio.analysis.tables import describe
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
    return prevalence_of(code_counts(corpus, codebook, basis), len(corpus.cases), basis)


def prevalence_of(counts: list[CodeCount], n: int, basis: Basis) -> pd.DataFrame:
    """The prevalence table from code counts (one per codebook code, in its order) out of
    ``n`` cases, however the counts were reached."""
    rows = []
    for count in counts:
        k = count.cases
        low, high = wilson_interval(k, n)
        rows.append(
            {
                "code": count.code,
                "label": count.label,
                "family": count.family,
                "cases": k,
                "n": n,
                "share": k / n if n else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "passages": count.passages,
                "unreviewed": count.unreviewed_cases,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return describe(frame, n_cases=n, unreviewed=int(frame["unreviewed"].sum()), basis=basis)


def ranked(frame: pd.DataFrame, family: str) -> pd.DataFrame:
    """The codes of one family, most prevalent first (ties in codebook order)."""
    part = frame[frame["family"] == family]
    return part.sort_values("cases", ascending=False, kind="stable").reset_index(drop=True)
