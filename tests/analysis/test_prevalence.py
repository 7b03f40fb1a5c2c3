from __future__ import annotations

from defectio.analysis.counts import Basis
from defectio.analysis.intervals import wilson_interval
from defectio.analysis.prevalence import prevalence, ranked
from defectio.codebook import Codebook
from defectio.reference import load_reference
from tests.analysis._corpus import tiny_corpus


def test_prevalence_counts_cases_with_wilson_intervals(codebook: Codebook, reference_rows) -> None:  # type: ignore[no-untyped-def]
    table = prevalence(load_reference().corpus, codebook).set_index("code")
    for code in codebook.code_ids:
        k = sum(code in r["case_labels"] for r in reference_rows)
        assert table.loc[code, "cases"] == k
        assert (table.loc[code, "ci_low"], table.loc[code, "ci_high"]) == wilson_interval(k, 37)
    assert table.loc["brutality", "share"] == 23 / 37
    assert table.attrs == {"n_cases": 37, "unreviewed": 0, "basis": "combined"}


def test_prevalence_says_how_many_cases_rest_on_unreviewed_machine_codes(
    codebook: Codebook,
) -> None:
    corpus = tiny_corpus(
        {"A": ["brutality"], "B": [], "C": []},
        machine={"B": ["brutality"], "C": ["brutality", "infighting"], "A": ["brutality"]},
    )
    table = prevalence(corpus, codebook).set_index("code")
    # A is reviewed; B and C carry brutality only through the machine.
    assert table.loc["brutality", ["cases", "unreviewed"]].tolist() == [3, 2]
    assert table.loc["infighting", ["cases", "unreviewed"]].tolist() == [1, 1]
    assert table.attrs["unreviewed"] == 3
    people = prevalence(corpus, codebook, Basis.PEOPLE).set_index("code")
    assert people.loc["brutality", "cases"] == 1 and people.attrs["unreviewed"] == 0


def test_ranked_orders_a_family_by_cases(codebook: Codebook) -> None:
    order = ranked(prevalence(load_reference().corpus, codebook), "exit")["code"].tolist()
    assert order[0] == "brutality" and set(order) == {c.id for c in codebook.family("exit")}
