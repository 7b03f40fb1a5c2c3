"""When cases left: per month and per year, the share in the latest year and in the summer, a
Poisson trend with its interval, and a projection for the rest of the latest year."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from defectio.analysis.intervals import Z95, wilson_interval
from defectio.model import Corpus, PartialDate

SUMMER_MONTHS = (6, 7, 8)


def departures_by_year(corpus: Corpus) -> pd.DataFrame:
    """Cases leaving each year from the first to the last (zeros included), split into those
    dated to the month and those known only to the year."""
    dates = [c.left for c in corpus.cases if c.left is not None]
    if not dates:
        return pd.DataFrame(columns=["year", "cases", "month_known", "year_only"])
    years = range(min(d.year for d in dates), max(d.year for d in dates) + 1)
    rows = [
        {
            "year": y,
            "cases": sum(d.year == y for d in dates),
            "month_known": sum(d.year == y and d.month > 0 for d in dates),
            "year_only": sum(d.year == y and d.month == 0 for d in dates),
        }
        for y in years
    ]
    return pd.DataFrame(rows)


def departures_by_month(corpus: Corpus) -> pd.DataFrame:
    """Cases dated to the month, per month from the first such month to the last (zeros
    included); cases known only to the year are not in this table."""
    dated = [c.left for c in corpus.cases if c.left is not None and c.left.month]
    if not dated:
        return pd.DataFrame(columns=["month", "year", "cases"])
    first, last = min(dated), max(dated)
    rows = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        rows.append(
            {
                "month": f"{y:04d}-{m:02d}",
                "year": y,
                "cases": sum(d.year == y and d.month == m for d in dated),
            }
        )
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return pd.DataFrame(rows)


def observation_end(corpus: Corpus) -> PartialDate | None:
    """The end of the window: the latest month a case is dated to in the latest year, or the
    whole latest year when no case that year is dated to the month."""
    dates = [c.left for c in corpus.cases if c.left is not None]
    if not dates:
        return None
    latest = max(d.year for d in dates)
    months = [d.month for d in dates if d.year == latest and d.month]
    return PartialDate(latest, max(months) if months else 12)


@dataclass(frozen=True)
class Trend:
    """A Poisson regression of yearly counts on the year, with months observed as exposure."""

    rate_ratio: float  # change in the monthly rate from one year to the next
    ci_low: float
    ci_high: float
    p_value: float
    years: int
    projected: float  # expected cases in the rest of the latest year
    projected_low: float  # 95% interval for that expectation
    projected_high: float
    predicted_low: int  # 95% prediction interval for the count itself
    predicted_high: int
    months_left: int


def poisson_trend(counts: pd.DataFrame, months_left: int) -> Trend | None:
    """Fit ``cases ~ 1 + year`` (Poisson, log link, offset log ``months``) on a frame with
    ``year``, ``cases`` and ``months`` columns; None with fewer than two years."""
    if len(counts) < 2 or counts["cases"].sum() == 0:
        return None
    import statsmodels.api as sm

    t = (counts["year"] - counts["year"].min()).to_numpy(dtype=float)
    exog = np.column_stack([np.ones_like(t), t])
    model = sm.GLM(
        counts["cases"].to_numpy(dtype=float),
        exog,
        family=sm.families.Poisson(),
        offset=np.log(counts["months"].to_numpy(dtype=float)),
    )
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    # Two years give a saturated fit: it has no residual df and predicts perfectly, which is
    # expected here and does not touch the Wald interval of the slope.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        fit = model.fit()
    beta, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    se = math.sqrt(cov[1, 1])
    x_last = exog[-1]
    log_rate = float(x_last @ beta)
    se_rate = math.sqrt(float(x_last @ cov @ x_last))
    expected = math.exp(log_rate) * months_left
    low = math.exp(log_rate - Z95 * se_rate) * months_left
    high = math.exp(log_rate + Z95 * se_rate) * months_left
    return Trend(
        rate_ratio=math.exp(beta[1]),
        ci_low=math.exp(beta[1] - Z95 * se),
        ci_high=math.exp(beta[1] + Z95 * se),
        p_value=float(np.asarray(fit.pvalues)[1]),
        years=len(counts),
        projected=expected,
        projected_low=low,
        projected_high=high,
        predicted_low=int(stats.poisson.ppf(0.025, low)) if months_left else 0,
        predicted_high=int(stats.poisson.ppf(0.975, high)) if months_left else 0,
        months_left=months_left,
    )


def yearly_exposure(corpus: Corpus, as_of: PartialDate | None = None) -> pd.DataFrame:
    """Yearly counts with the months each year was observed: all twelve, except the latest
    year, observed up to ``as_of`` (default: ``observation_end``)."""
    years = departures_by_year(corpus)
    end = as_of or observation_end(corpus)
    if end is None or years.empty:
        return pd.DataFrame(columns=["year", "cases", "months"])
    years = years[years["year"] <= end.year].copy()
    years["months"] = [end.month or 12 if y == end.year else 12 for y in years["year"]]
    return years[["year", "cases", "months"]].reset_index(drop=True)


def timeline(corpus: Corpus, as_of: PartialDate | None = None) -> pd.DataFrame:
    """The timeline's measures, one row each: ``measure``, ``estimate``, ``ci_low``,
    ``ci_high``, ``cases``, ``n`` and a ``note`` saying what it rests on."""
    n = len(corpus.cases)
    dated = [c.left for c in corpus.cases if c.left is not None]
    end = as_of or observation_end(corpus)
    rows: list[dict[str, object]] = []
    if end is None:
        return _frame(rows, n)
    latest = end.year
    in_latest = sum(d.year == latest for d in dated)
    rows.append(_share("latest_year_share", in_latest, len(dated), f"left in {latest}"))
    summer = sum(d.year == latest and d.month in SUMMER_MONTHS for d in dated)
    year_only = sum(d.year == latest and d.month == 0 for d in dated)
    note = f"left June-August {latest}, of all cases"
    if year_only:
        note += f"; {year_only} cases of {latest} are dated to the year only"
    rows.append(_share("summer_share", summer, n, note))
    counts = yearly_exposure(corpus, end)
    months_left = 12 - (end.month or 12)
    fit = poisson_trend(counts, months_left)
    if fit is not None:
        rows.append(
            {
                "measure": "trend_rate_ratio",
                "estimate": fit.rate_ratio,
                "ci_low": fit.ci_low,
                "ci_high": fit.ci_high,
                "cases": int(counts["cases"].sum()),
                "n": fit.years,
                "note": f"change in the monthly rate per year, Poisson, p={fit.p_value:.2f}, "
                f"observed to {end}",
            }
        )
        if months_left:
            rows.append(
                {
                    "measure": "projection_rest_of_year",
                    "estimate": fit.projected,
                    "ci_low": float(fit.predicted_low),
                    "ci_high": float(fit.predicted_high),
                    "cases": in_latest,
                    "n": months_left,
                    "note": f"expected cases in the last {months_left} months of {latest} "
                    f"(95% prediction interval); {in_latest} already observed",
                }
            )
    return _frame(rows, n)


def _share(measure: str, k: int, n: int, note: str) -> dict[str, object]:
    low, high = wilson_interval(k, n)
    return {
        "measure": measure,
        "estimate": k / n if n else math.nan,
        "ci_low": low,
        "ci_high": high,
        "cases": k,
        "n": n,
        "note": note,
    }


def _frame(rows: list[dict[str, object]], n: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["measure", "estimate", "ci_low", "ci_high", "cases", "n", "note"]
    )
    frame.attrs.update({"n_cases": n, "unreviewed": 0, "basis": "dates"})
    return frame
