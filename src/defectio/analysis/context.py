"""Cases per country against the foreign-fighter estimates (``foreign_fighters.csv``): how many
defectors went public per 1,000 fighters who went, with an uncertainty range."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from defectio.analysis.intervals import poisson_interval
from defectio.analysis.tables import UNKNOWN, case_table
from defectio.analysis.timeline import observation_end
from defectio.model import Corpus, PartialDate

PER = 1000
_AS_OF = re.compile(r"^(\d{4})(?:-(H[12]|\d{2}))?")
COLUMNS = [
    "country",
    "cases",
    "fighters_low",
    "fighters_high",
    "as_of",
    "source",
    "rate",
    "rate_low",
    "rate_high",
    "bound",
]


def as_of_key(text: str) -> tuple[int, int]:
    """(year, month) of an ``as_of`` cell: ``2015-03``, ``2014``, ``2014-H2 (pub. 2015-01)``;
    a half-year ends in June or December, a bare year in December."""
    match = _AS_OF.match(text.strip())
    if not match:
        return (0, 0)
    part = match.group(2)
    month = 12 if part in (None, "H2") else 6 if part == "H1" else int(part)
    return (int(match.group(1)), month)


def _number(cell: str | None) -> float | None:
    text = (cell or "").replace(",", "").strip()
    return float(text) if text else None


def pick_estimate(
    rows: Sequence[Mapping[str, str]], country: str, end: PartialDate | None
) -> Mapping[str, str] | None:
    """The estimate for a country nearest the end of the window: the latest dated at or before
    it, else the earliest after it; rows with neither bound are skipped."""
    mine = [
        r
        for r in rows
        if r.get("country", "").strip() == country
        and (_number(r.get("estimate_low")) or _number(r.get("estimate_high")))
    ]
    if not mine:
        return None
    limit = (end.year, end.month or 12) if end else (9999, 12)
    before = [r for r in mine if as_of_key(r.get("as_of", "")) <= limit]
    if before:
        return max(before, key=lambda r: as_of_key(r.get("as_of", "")))
    return min(mine, key=lambda r: as_of_key(r.get("as_of", "")))


def rate_range(
    cases: int, low: float | None, high: float | None
) -> tuple[float, float, float, str]:
    """Cases per 1,000 fighters: (rate, low, high, bound). The range joins the exact Poisson
    interval of the count with the spread of the estimate. An estimate that is only an upper
    bound ("up to") makes the rate a floor; only a lower bound ("more than") makes it a ceiling;
    the open end is nan."""
    k_low, k_high = poisson_interval(cases)
    if low and high:
        return (cases / ((low + high) / 2) * PER, k_low / high * PER, k_high / low * PER, "range")
    if high:
        return (cases / high * PER, k_low / high * PER, math.nan, "floor")
    if low:
        return (cases / low * PER, 0.0, k_high / low * PER, "ceiling")
    return (math.nan, math.nan, math.nan, "none")


def context_rates(
    corpus: Corpus,
    foreign_fighters: Sequence[Mapping[str, str]],
    as_of: PartialDate | None = None,
) -> pd.DataFrame:
    """One row per country of origin with cases, most cases first: the estimate used (bounds,
    date, source) and the rate per 1,000 fighters with its range. A country with no estimate
    (the group's home countries have none: their people are not foreign fighters) keeps its
    row with nan rates."""
    end = as_of or observation_end(corpus)
    countries = case_table(corpus.cases)["country"]
    counts = countries[countries != UNKNOWN].value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    rows = [_row(str(c), int(counts[c]), foreign_fighters, end) for c in order]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs.update(
        {"n_cases": len(corpus.cases), "unreviewed": 0, "basis": "cases", "per": PER}
    )
    return frame


def _row(
    country: str, cases: int, table: Sequence[Mapping[str, str]], end: PartialDate | None
) -> dict[str, object]:
    estimate = pick_estimate(table, country, end)
    if estimate is None:
        return {
            "country": country,
            "cases": cases,
            "rate": math.nan,
            "rate_low": math.nan,
            "rate_high": math.nan,
            "bound": "none",
            "as_of": "",
            "source": "",
            "fighters_low": math.nan,
            "fighters_high": math.nan,
        }
    low, high = _number(estimate.get("estimate_low")), _number(estimate.get("estimate_high"))
    rate, rate_low, rate_high, bound = rate_range(cases, low, high)
    return {
        "country": country,
        "cases": cases,
        "fighters_low": low if low is not None else math.nan,
        "fighters_high": high if high is not None else math.nan,
        "as_of": estimate.get("as_of", ""),
        "source": estimate.get("source", ""),
        "rate": rate,
        "rate_low": rate_low,
        "rate_high": rate_high,
        "bound": bound,
    }
