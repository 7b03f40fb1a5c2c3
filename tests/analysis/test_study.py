from __future__ import annotations

import pytest

from defectio.analysis.study import compare_with_study, verbal_share
from defectio.codebook import Codebook
from defectio.reference import load_reference


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("nearly two thirds", 2 / 3),
        ("about half", 0.5),
        ("one third", 1 / 3),
        ("60%", 0.6),
        ("hundreds", None),
    ],
)
def test_verbal_shares(text: str, share: float | None) -> None:
    assert verbal_share(text) == (pytest.approx(share) if share is not None else None)


def test_the_reference_agrees_with_the_study_where_it_covers_the_same_ground(
    codebook: Codebook,
) -> None:
    ref = load_reference()
    table = compare_with_study(ref.corpus, codebook, ref.figures).set_index("figure")
    # Women: 5 of 37 (Wilson 5.9-28.0%) holds the study's 7 of 58 (12.1%).
    assert table.loc["female_defectors", "verdict"] == "agrees"
    assert table.loc["female_defectors", "ours"] == pytest.approx(5 / 37)
    assert table.loc["middle_east_defectors", "verdict"] == "agrees"  # "about half"
    assert table.loc["british_defectors", "verdict"] == "agrees"
    # Where it differs, it says so and why: the corpus holds 37 of the 58 cases.
    for figure in (
        "share_defections_in_2015",
        "share_defections_summer_2015",
        "exit_narrative_order",
    ):
        assert table.loc[figure, "verdict"] == "differs", figure
    assert "37 of the study's 58 cases" in table.loc["share_defections_in_2015", "why"]
    assert "59%" in table.loc["share_defections_in_2015", "why"]  # all 21 missing in 2015
    assert "dated to the year only" in table.loc["share_defections_summer_2015", "why"]
    assert table.loc["defectors_publicly_known", "verdict"] == "subset"
    order = table.loc["exit_narrative_order"]
    assert order["study"] == "infighting > brutality > corruption > quality_of_life"
    assert "without counting them" in order["why"]
