from __future__ import annotations

import pytest

from defectio.analysis.cooccurrence import cooccurrence, pathways
from defectio.codebook import Codebook
from tests.analysis._corpus import tiny_corpus

PROFILES = {
    "A": ["brutality", "infighting", "defend_sunnis"],
    "B": ["brutality", "defend_sunnis"],
    "C": ["brutality", "quality_of_life", "belonging_material"],
    "D": ["quality_of_life", "belonging_material"],
    "E": [],
}


def test_cooccurrence_counts_jaccard_and_lift_by_hand(codebook: Codebook) -> None:
    table = cooccurrence(tiny_corpus(PROFILES), codebook).set_index(["code_a", "code_b"])
    row = table.loc[("infighting", "brutality")]  # pairs follow codebook order
    # infighting in A (1); brutality in A, B, C (3); both in A; N = 5.
    assert (row["cases_a"], row["cases_b"], row["both"]) == (1, 3, 1)
    assert row["jaccard"] == pytest.approx(1 / (3 + 1 - 1))
    assert row["lift"] == pytest.approx(1 * 5 / (3 * 1))
    qol = table.loc[("quality_of_life", "belonging_material")]
    assert qol["jaccard"] == 1.0 and qol["lift"] == pytest.approx(2 * 5 / (2 * 2))
    n_codes = len(codebook)
    assert len(table) == n_codes * (n_codes - 1) // 2


def test_pathways_run_from_join_to_exit_codes_of_the_codebook(codebook: Codebook) -> None:
    table = pathways(tiny_corpus(PROFILES), codebook).set_index(["join", "exit"])
    joins = {c.id for c in codebook.family("join")}
    exits = {c.id for c in codebook.family("exit")}
    assert set(table.index) == {(j, e) for j in joins for e in exits}
    row = table.loc[("defend_sunnis", "brutality")]
    # Both defend_sunnis cases (A, B) left over brutality: P(exit | join) = 2/2; lift 2*5/(2*3).
    assert (row["join_cases"], row["cases"], row["share"]) == (2, 2, 1.0)
    assert row["lift"] == pytest.approx(10 / 6)
    assert bool(row["answers"]) is ("brutality" in codebook.answers_for("defend_sunnis"))
    assert table.loc[("belonging_material", "quality_of_life"), "share"] == 1.0


def test_pairs_resting_on_machine_codes_are_counted(codebook: Codebook) -> None:
    corpus = tiny_corpus({"A": ["brutality"], "B": ["brutality"]}, machine={"A": ["infighting"]})
    table = cooccurrence(corpus, codebook).set_index(["code_a", "code_b"])
    assert table.loc[("infighting", "brutality"), "unreviewed"] == 1
    assert table.attrs["unreviewed"] == 1
