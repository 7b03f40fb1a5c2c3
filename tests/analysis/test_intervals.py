from __future__ import annotations

import math

import pytest

from defectio.analysis.intervals import poisson_interval, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombes_published_values(
    k: int, n: int, low: float, high: float
) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_by_hand_for_five_women_of_37() -> None:
    z, n, p = 1.959963984540054, 37, 5 / 37
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert wilson_interval(5, 37) == pytest.approx((centre - half, centre + half))


def test_wilson_interval_of_nothing_is_undefined() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


@pytest.mark.parametrize(("k", "n"), [(5, 3), (-1, 10)])
def test_wilson_interval_refuses_a_count_outside_zero_to_n(k: int, n: int) -> None:
    with pytest.raises(ValueError, match=f"k={k} is outside 0..n={n}"):
        wilson_interval(k, n)


@pytest.mark.parametrize(
    ("k", "low", "high"),
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.6235, 11.668)],  # Garwood exact, standard tables
)
def test_poisson_interval_matches_the_exact_tables(k: int, low: float, high: float) -> None:
    assert poisson_interval(k) == pytest.approx((low, high), abs=1e-3)
