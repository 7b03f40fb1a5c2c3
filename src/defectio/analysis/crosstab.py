"""Codes by case attribute (gender, region, role, year of leaving, status after leaving), with a
chi-square or Fisher exact test of association where the cells allow it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from defectio.analysis.counts import Basis
from defectio.analysis.intervals import wilson_interval
from defectio.analysis.tables import FIELDS, UNKNOWN, case_table, code_matrix, describe
from defectio.codebook import Codebook
from defectio.errors import InputError
from defectio.model import Corpus

SMALL_CELL = 3  # a cell resting on fewer cases than this is flagged
MIN_EXPECTED = 5.0  # Cochran: chi-square only when every expected count reaches this
MAX_TABLES = 2_000_000  # exact enumeration budget before falling back to Monte Carlo
IntArray = NDArray[np.int64]


def field_column(by: str) -> str:
    try:
        return FIELDS[by]
    except KeyError:
        raise InputError(
            f"cannot group by '{by}'; fields are {', '.join(FIELDS)}", field="by"
        ) from None


def crosstab(
    corpus: Corpus, codebook: Codebook, by: str, basis: Basis = Basis.COMBINED
) -> pd.DataFrame:
    """One row per code and level of ``by``: cases carrying the code out of the level's cases,
    the share with its Wilson interval, unreviewed cases, and ``small`` (fewer than 3 cases)."""
    column = field_column(by)
    cases = case_table(corpus.cases)
    matrix = code_matrix(corpus, codebook, basis)
    levels = _levels(cases[column])
    rows = []
    for code in codebook.codes:
        for level in levels:
            members = cases.index[cases[column] == level]
            k = int(matrix.carries.loc[members, code.id].sum())
            n = len(members)
            low, high = wilson_interval(k, n)
            rows.append(
                {
                    "code": code.id,
                    "family": code.family.value,
                    "by": by,
                    "level": level,
                    "cases": k,
                    "n": n,
                    "share": k / n if n else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                    "unreviewed": int(matrix.unreviewed.loc[members, code.id].sum()),
                    "small": k < SMALL_CELL,
                }
            )
    frame = pd.DataFrame(rows)
    return describe(
        frame,
        n_cases=matrix.n_cases,
        unreviewed=int(frame["unreviewed"].sum()) if len(frame) else 0,
        basis=basis,
    )


def _levels(values: pd.Series) -> list[str]:
    """Levels most frequent first (ties by name), ``unknown`` last."""
    counts = values.value_counts()
    known = sorted((str(v) for v in counts.index if v != UNKNOWN), key=lambda v: (-counts[v], v))
    return known + ([UNKNOWN] if UNKNOWN in counts.index else [])


@dataclass(frozen=True)
class Independence:
    test: str  # "chi-square", "fisher", or "none"
    statistic: float
    dof: int
    p_value: float
    note: str


def association(
    corpus: Corpus, codebook: Codebook, by: str, basis: Basis = Basis.COMBINED
) -> pd.DataFrame:
    """One row per code: is carrying it associated with ``by``? Cases whose value is unknown
    are left out of the test; chi-square when every expected count is at least 5, else
    Fisher's exact test (Freeman-Halton for more than two levels)."""
    column = field_column(by)
    cases = case_table(corpus.cases)
    matrix = code_matrix(corpus, codebook, basis)
    known = cases.index[cases[column] != UNKNOWN]
    levels = [lv for lv in _levels(cases.loc[known, column]) if lv != UNKNOWN]
    rows = []
    for code in codebook.codes:
        table = np.array(
            [
                [
                    int(matrix.carries.loc[cases.index[cases[column] == lv], code.id].sum())
                    for lv in levels
                ],
                [int((cases[column] == lv).sum()) for lv in levels],
            ],
            dtype=np.int64,
        )
        table[1] -= table[0]
        result = independence_test(table)
        rows.append(
            {
                "code": code.id,
                "by": by,
                "test": result.test,
                "statistic": result.statistic,
                "dof": result.dof,
                "p_value": result.p_value,
                "levels": len(levels),
                "small_cells": int((table[0] < SMALL_CELL).sum()),
                "note": result.note,
            }
        )
    frame = pd.DataFrame(rows)
    unreviewed = int(matrix.unreviewed.loc[known].to_numpy().sum())
    return describe(frame, n_cases=len(known), unreviewed=unreviewed, basis=basis)


def independence_test(table: IntArray) -> Independence:
    """Test a 2 x K table (carries the code / does not, by level) for independence."""
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return Independence("none", math.nan, 0, math.nan, "fewer than two groups")
    if table[0].sum() == 0 or table[1].sum() == 0:
        return Independence("none", math.nan, 0, math.nan, "no variation: all or no cases")
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    dof = table.shape[1] - 1
    if (expected >= MIN_EXPECTED).all():
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
        return Independence("chi-square", float(chi2), dof, float(p), "")
    if table.shape[1] == 2:
        odds, p = stats.fisher_exact(table)
        return Independence("fisher", float(odds), dof, float(p), "odds ratio")
    p_exact = fisher_2xk(table)
    if p_exact is None:
        mc = stats.MonteCarloMethod(n_resamples=20_000, rng=np.random.default_rng(0))
        res = stats.fisher_exact(table, method=mc)
        return Independence("fisher", math.nan, dof, float(res.pvalue), "Monte Carlo p")
    return Independence("fisher", math.nan, dof, p_exact, "Freeman-Halton exact p")


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_2xk(table: IntArray) -> float | None:
    """Exact p of a 2 x K table with fixed margins: the probability of every table no more
    likely than the observed one. None when there are too many tables to enumerate."""
    cols = [int(c) for c in table.sum(axis=0)]
    r1 = int(table[0].sum())
    total = sum(cols)
    base = _log_choose(total, r1)
    observed = sum(_log_choose(n, int(x)) for n, x in zip(cols, table[0], strict=True)) - base
    tail = [sum(cols[j:]) for j in range(len(cols))] + [0]
    p = 0.0
    for count, logp in enumerate(_tables(cols, tail, r1, 0, 0.0), start=1):
        if count > MAX_TABLES:
            return None
        if logp - base <= observed + 1e-9:
            p += math.exp(logp - base)
    return min(1.0, p)


def _tables(cols: list[int], tail: list[int], left: int, j: int, acc: float) -> Iterator[float]:
    if j == len(cols) - 1:
        if left <= cols[j]:
            yield acc + _log_choose(cols[j], left)
        return
    for x in range(max(0, left - tail[j + 1]), min(cols[j], left) + 1):
        yield from _tables(cols, tail, left - x, j + 1, acc + _log_choose(cols[j], x))
