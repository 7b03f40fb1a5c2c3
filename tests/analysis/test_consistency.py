from __future__ import annotations

import numpy as np
import pytest

from defectio.analysis.consistency import consistency, jaccard_matrix
from defectio.codebook import Codebook, Family
from defectio.reference import load_reference
from tests.analysis._corpus import tiny_corpus


def test_jaccard_matrix_by_hand() -> None:
    sim = jaccard_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=bool))
    assert sim.tolist() == [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_mean_pairwise_similarity_and_a_case_sharing_nothing_is_an_outlier(
    codebook: Codebook,
) -> None:
    corpus = tiny_corpus(
        {"A": ["brutality"], "B": ["brutality", "infighting"], "C": ["corruption"], "D": []}
    )
    table = consistency(corpus, codebook).set_index("case_id")
    # Pairs: A-B 1/2, A-C 0, B-C 0 -> mean 1/6; D has no exit code and is left out.
    assert table.attrs["mean_similarity"] == pytest.approx(1 / 6)
    assert table.attrs["profiled"] == 3 and table.attrs["no_code"] == 1
    assert table.loc["A", "mean_similarity"] == pytest.approx(0.25)
    assert table["outlier"].to_dict() == {"A": False, "B": False, "C": True}


def test_consistency_on_the_reference_uses_the_exit_family(codebook: Codebook) -> None:
    table = consistency(load_reference().corpus, codebook)
    assert table.attrs["codes"] == [c.id for c in codebook.family(Family.EXIT)]
    assert table.attrs["profiled"] + table.attrs["no_code"] == 37
    assert 0 < table.attrs["mean_similarity"] < 1
