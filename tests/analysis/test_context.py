from __future__ import annotations

import math

import pytest

from defectio.analysis.context import as_of_key, context_rates, pick_estimate, rate_range
from defectio.analysis.intervals import poisson_interval
from defectio.model import PartialDate
from defectio.reference import load_reference


def test_as_of_cells_sort_by_their_end() -> None:
    assert as_of_key("2014-H2 (pub. 2015-01)") == (2014, 12)
    assert as_of_key("2015-03") == (2015, 3)
    assert as_of_key("2014-H1") == (2014, 6)


def test_rate_with_a_range_joins_count_and_estimate_uncertainty() -> None:
    rate, low, high, bound = rate_range(3, 500, 600)
    k_low, k_high = poisson_interval(3)
    assert rate == pytest.approx(3 / 550 * 1000)
    assert (low, high) == pytest.approx((k_low / 600 * 1000, k_high / 500 * 1000))
    assert bound == "range"


def test_an_upper_bound_estimate_makes_the_rate_a_floor_and_a_lower_bound_a_ceiling() -> None:
    rate, low, high, bound = rate_range(2, None, 3000)  # "up to 3,000"
    assert bound == "floor" and rate == pytest.approx(2 / 3) and math.isnan(high)
    rate, low, high, bound = rate_range(2, 700, None)  # "more than 700"
    assert bound == "ceiling" and low == 0.0 and high == pytest.approx(poisson_interval(2)[1] / 0.7)


def test_the_estimate_nearest_the_window_end_is_chosen() -> None:
    rows = load_reference().foreign_fighters
    before = pick_estimate(rows, "Germany", PartialDate(2015, 6))
    assert before is not None and before["as_of"].startswith("2014-H2")
    later = pick_estimate(rows, "Germany", PartialDate(2015, 12))
    assert later is not None and later["as_of"] == "2015-12"
    assert pick_estimate(rows, "Syria", None) is None


def test_context_rates_on_the_reference() -> None:
    ref = load_reference()
    table = context_rates(ref.corpus, ref.foreign_fighters).set_index("country")
    # Germany: 3 cases (one of Tunisian descent), ICSR Jan 2015: 500-600 fighters.
    assert table.loc["Germany", ["cases", "fighters_low", "fighters_high"]].tolist() == [
        3,
        500,
        600,
    ]
    assert table.loc["Germany", "rate"] == pytest.approx(3 / 550 * 1000)
    assert table.loc["Tunisia", "bound"] == "floor"  # the ICSR figure is "up to 3,000"
    assert math.isnan(table.loc["Syria", "rate"])  # no foreign-fighter estimate for locals
    assert "unknown" not in table.index
