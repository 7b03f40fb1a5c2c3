from __future__ import annotations

import math

import numpy as np
import pytest

from defectio.analysis.crosstab import association, crosstab, fisher_2xk, independence_test
from defectio.codebook import Codebook
from defectio.errors import InputError
from defectio.reference import load_reference
from tests.analysis._corpus import tiny_corpus


def test_crosstab_counts_cases_per_level_and_flags_small_cells(codebook: Codebook) -> None:
    table = crosstab(load_reference().corpus, codebook, "gender").set_index(["code", "level"])
    # 23 cases carry brutality: 21 of the 32 men, 2 of the 5 women (PROVENANCE counts).
    assert table.loc[("brutality", "m"), ["cases", "n"]].tolist() == [21, 32]
    assert table.loc[("brutality", "f"), ["cases", "n"]].tolist() == [2, 5]
    assert bool(table.loc[("brutality", "f"), "small"]) is True
    assert bool(table.loc[("brutality", "m"), "small"]) is False


def test_unknown_field_is_a_clear_error(codebook: Codebook) -> None:
    with pytest.raises(InputError, match="cannot group by 'shoe_size'; fields are gender"):
        crosstab(load_reference().corpus, codebook, "shoe_size")


def test_chi_square_is_used_when_every_expected_count_reaches_five() -> None:
    table = np.array([[10, 10], [10, 30]])
    # By hand: row sums 20, 40; column sums 20, 40; N 60; expected 6.67, 13.33, 13.33, 26.67.
    expected = [[20 * 20 / 60, 20 * 40 / 60], [40 * 20 / 60, 40 * 40 / 60]]
    chi2 = sum(
        (table[i][j] - expected[i][j]) ** 2 / expected[i][j] for i in range(2) for j in range(2)
    )
    result = independence_test(table)
    assert result.test == "chi-square" and result.dof == 1
    assert result.statistic == pytest.approx(chi2) == pytest.approx(3.75)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(3.75 / 2)))  # chi2(1) tail


def test_fisher_exact_is_used_for_small_two_by_two_tables() -> None:
    # [[1, 3], [4, 1]]: margins 4/5 by 5/4, N 9. Tables by x = top-left cell, P = C(5,x)C(4,4-x)/C(9,4).
    probs = {x: math.comb(5, x) * math.comb(4, 4 - x) / math.comb(9, 4) for x in range(5)}
    by_hand = sum(p for p in probs.values() if p <= probs[1] + 1e-12)
    result = independence_test(np.array([[1, 3], [4, 1]]))
    assert result.test == "fisher"
    assert result.p_value == pytest.approx(by_hand) == pytest.approx(26 / 126)


def test_freeman_halton_enumerates_two_by_three_tables_by_hand() -> None:
    table = np.array([[2, 0, 1], [0, 3, 1]])  # column sums 2, 3, 2; row sums 3, 4; N 7
    total = math.comb(7, 3)
    probs = {}
    for a in range(3):
        for b in range(4):
            c = 3 - a - b
            if 0 <= c <= 2:
                probs[(a, b, c)] = math.comb(2, a) * math.comb(3, b) * math.comb(2, c) / total
    assert sum(probs.values()) == pytest.approx(1.0)
    by_hand = sum(p for p in probs.values() if p <= probs[(2, 0, 1)] + 1e-12)
    assert fisher_2xk(table) == pytest.approx(by_hand)
    assert independence_test(table).test == "fisher"


def test_no_test_without_variation_or_groups() -> None:
    assert independence_test(np.array([[0, 0], [3, 4]])).test == "none"
    assert independence_test(np.array([[2, 0], [3, 0]])).test == "none"


def test_association_leaves_unknown_values_out_and_counts_small_cells(codebook: Codebook) -> None:
    corpus = tiny_corpus(
        {"A": ["brutality"], "B": ["brutality"], "C": [], "D": [], "E": ["brutality"]},
        attrs={
            "A": {"gender": "m"},
            "B": {"gender": "m"},
            "C": {"gender": "f"},
            "D": {"gender": "f"},
            "E": {},
        },
    )
    row = association(corpus, codebook, "gender").set_index("code").loc["brutality"]
    # 2x2 of the four known cases: m 2/2, f 0/2; Fisher p = 2 * C(2,2)C(2,0)/C(4,2) = 1/3.
    assert row["test"] == "fisher" and row["p_value"] == pytest.approx(1 / 3)
    assert row["levels"] == 2 and row["small_cells"] == 2
