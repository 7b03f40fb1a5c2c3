from __future__ import annotations

import math

import pandas as pd
import pytest

from defectio.analysis.timeline import (
    departures_by_month,
    departures_by_year,
    observation_end,
    poisson_trend,
    timeline,
)
from defectio.model import PartialDate
from defectio.reference import load_reference

Z = 1.959963984540054


def test_departures_by_year_and_month_match_the_reference(reference_rows) -> None:  # type: ignore[no-untyped-def]
    corpus = load_reference().corpus
    years = departures_by_year(corpus).set_index("year")
    assert years["cases"].to_dict() == {2014: 24, 2015: 13}
    assert years.loc[2015, "year_only"] == sum(r["left"] == "2015" for r in reference_rows)
    months = departures_by_month(corpus).set_index("month")["cases"]
    assert months.sum() == sum(len(r["left"]) == 7 for r in reference_rows)
    assert months["2014-03"] == 0 and months["2015-03"] == 2  # zeros kept, months in order
    assert observation_end(corpus) == PartialDate(2015, 6)


def test_two_year_poisson_trend_is_the_ratio_of_monthly_rates_by_hand() -> None:
    counts = pd.DataFrame({"year": [2014, 2015], "cases": [24, 13], "months": [12, 8]})
    fit = poisson_trend(counts, months_left=4)
    assert fit is not None
    # Saturated model: slope = log((13/8) / (24/12)), se = sqrt(1/24 + 1/13).
    slope, se = math.log((13 / 8) / (24 / 12)), math.sqrt(1 / 24 + 1 / 13)
    assert fit.rate_ratio == pytest.approx(0.8125)
    assert (fit.ci_low, fit.ci_high) == pytest.approx(
        (math.exp(slope - Z * se), math.exp(slope + Z * se))
    )
    # Rest of 2015: 4 months at 13/8 a month; log-scale interval with se sqrt(1/13).
    assert fit.projected == pytest.approx(6.5)
    assert (fit.projected_low, fit.projected_high) == pytest.approx(
        (6.5 * math.exp(-Z / math.sqrt(13)), 6.5 * math.exp(Z / math.sqrt(13)))
    )
    assert fit.predicted_low <= 6.5 <= fit.predicted_high


def test_poisson_trend_on_three_years_recovers_a_doubling() -> None:
    counts = pd.DataFrame({"year": [1, 2, 3], "cases": [10, 20, 40], "months": [12, 12, 12]})
    fit = poisson_trend(counts, months_left=0)
    assert fit is not None and fit.rate_ratio == pytest.approx(2.0)
    assert fit.projected == 0


def test_timeline_measures_on_the_reference() -> None:
    table = timeline(load_reference().corpus, as_of=PartialDate(2015, 8)).set_index("measure")
    assert table.loc["latest_year_share", ["cases", "n"]].tolist() == [13, 37]
    assert table.loc["summer_share", "cases"] == 1  # one case dated June-August 2015
    assert "9 cases of 2015 are dated to the year only" in table.loc["summer_share", "note"]
    assert table.loc["trend_rate_ratio", "estimate"] == pytest.approx(0.8125)
    assert table.loc["projection_rest_of_year", "estimate"] == pytest.approx(6.5)


def test_a_single_year_has_no_trend() -> None:
    counts = pd.DataFrame({"year": [2015], "cases": [5], "months": [6]})
    assert poisson_trend(counts, months_left=6) is None
