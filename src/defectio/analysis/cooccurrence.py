"""Which codes travel together in a case (counts, Jaccard, lift), and the pathways from the
reasons for going (join family) to the reasons for leaving (exit family)."""

from __future__ import annotations

import math

import pandas as pd

from defectio.analysis.counts import Basis
from defectio.analysis.tables import CodeMatrix, code_matrix, describe, family_codes
from defectio.codebook import Codebook, Family
from defectio.model import Corpus


def _pair(matrix: CodeMatrix, a: str, b: str) -> dict[str, float | int]:
    """Counts for codes a and b: cases with each, with both, and the two association measures.

    Jaccard = both / (a + b - both); lift = P(a and b) / (P(a) P(b)) = both * N / (a * b).
    """
    has_a, has_b = matrix.carries[a], matrix.carries[b]
    both = has_a & has_b
    n_a, n_b, n_both, n = int(has_a.sum()), int(has_b.sum()), int(both.sum()), matrix.n_cases
    union = n_a + n_b - n_both
    unreviewed = both & (matrix.unreviewed[a] | matrix.unreviewed[b])
    return {
        "cases_a": n_a,
        "cases_b": n_b,
        "both": n_both,
        "jaccard": n_both / union if union else math.nan,
        "lift": n_both * n / (n_a * n_b) if n_a and n_b else math.nan,
        "unreviewed": int(unreviewed.sum()),
    }


def cooccurrence(corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED) -> pd.DataFrame:
    """One row per unordered pair of codes (codebook order): cases with each, with both,
    Jaccard, lift, and how many of the shared cases rest on an unreviewed machine code."""
    matrix = code_matrix(corpus, codebook, basis)
    ids = codebook.code_ids
    rows = [
        {"code_a": a, "code_b": b, **_pair(matrix, a, b)}
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
    ]
    frame = pd.DataFrame(
        rows,
        columns=["code_a", "code_b", "cases_a", "cases_b", "both", "jaccard", "lift", "unreviewed"],
    )
    return describe(
        frame, n_cases=matrix.n_cases, unreviewed=int(frame["unreviewed"].sum()), basis=basis
    )


def pathways(corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED) -> pd.DataFrame:
    """One row per (join code, exit code): of the cases that went for that reason, how many
    left for this one (``share`` = P(exit | join)), and the lift over all cases."""
    matrix = code_matrix(corpus, codebook, basis)
    rows = []
    for join in family_codes(codebook, Family.JOIN):
        for exit_ in family_codes(codebook, Family.EXIT):
            pair = _pair(matrix, join, exit_)
            rows.append(
                {
                    "join": join,
                    "exit": exit_,
                    "join_cases": pair["cases_a"],
                    "exit_cases": pair["cases_b"],
                    "cases": pair["both"],
                    "share": pair["both"] / pair["cases_a"] if pair["cases_a"] else math.nan,
                    "lift": pair["lift"],
                    "answers": exit_ in codebook.answers_for(join),
                    "unreviewed": pair["unreviewed"],
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "join",
            "exit",
            "join_cases",
            "exit_cases",
            "cases",
            "share",
            "lift",
            "answers",
            "unreviewed",
        ],
    )
    return describe(
        frame, n_cases=matrix.n_cases, unreviewed=int(frame["unreviewed"].sum()), basis=basis
    )
