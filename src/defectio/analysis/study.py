"""Reproduce the 2015 study: set the corpus's figures beside ``icsr_2015_figures.csv`` wherever
the corpus covers the same ground, and say where they differ and why."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from defectio.analysis.intervals import wilson_interval
from defectio.analysis.prevalence import prevalence
from defectio.analysis.tables import UNKNOWN, case_table
from defectio.codebook import Codebook
from defectio.model import Corpus, Gender, Region

_NUM = {"one": 1, "two": 2, "three": 3, "four": 4}
_DEN = {"half": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5}
_ORDER = re.compile(r"^exit_narrative_(\d+)_(\w+)$")
COLUMNS = ["figure", "study", "study_value", "ours", "ci_low", "ci_high", "verdict", "why"]


def verbal_share(text: str) -> float | None:
    """A share the sources give in words or percent: ``nearly two thirds`` is 2/3, ``about
    half`` 1/2, ``60%`` 0.6; None when the text holds no share."""
    words = text.lower().replace("-", " ").split()
    for i, word in enumerate(words):
        if word.endswith("%"):
            return float(word.rstrip("%")) / 100
        if word in _DEN:
            num = _NUM.get(words[i - 1], 1) if i else 1
            return num / _DEN[word]
    return None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class _Share:
    """A study figure that is a share of its cases, and how to count it in the corpus."""

    figure: str
    label: str
    select: Callable[[pd.DataFrame], pd.Series]
    of_dated: bool = False  # the denominator is the cases with a known year of leaving


def _shares(year: int) -> list[_Share]:
    return [
        _Share("female_defectors", "women", lambda t: t["gender"] == Gender.FEMALE.value),
        _Share(
            "middle_east_defectors",
            "from the Middle East & North Africa",
            lambda t: t["region"] == Region.MENA.value,
        ),
        _Share(
            "western_europe_and_australia_defectors",
            "from Western Europe and Australia",
            lambda t: t["region"].isin([Region.WESTERN_EUROPE.value, Region.AUSTRALIA.value]),
        ),
        _Share(
            f"share_defections_in_{year}",
            f"left in {year}",
            lambda t: t["year_left"] == str(year),
            of_dated=True,
        ),
        _Share(
            f"share_defections_summer_{year}",
            f"left June-August {year}",
            lambda t: (t["year_left"] == str(year)) & t["month_left"].isin([6, 7, 8]),
        ),
    ]


def compare_with_study(
    corpus: Corpus, codebook: Codebook, figures: Sequence[Mapping[str, str]]
) -> pd.DataFrame:
    """One row per study figure the corpus can speak to: the study's value, ours with its 95%
    interval, a verdict (``agrees``: the study's value lies in our interval; ``differs``;
    ``subset``: a count the corpus can only cover part of) and why."""
    by_name = {f["figure"]: f for f in figures}
    cases = case_table(corpus.cases)
    n = len(cases)
    total = _number(by_name.get("defectors_publicly_known", {}).get("value", "")) or math.nan
    gap = f"the bundled corpus holds {n} of the study's {total:.0f} cases"
    rows: list[dict[str, object]] = []
    if not math.isnan(total):
        rows.append(
            _row(
                "defectors_publicly_known",
                f"{total:.0f}",
                total,
                n,
                math.nan,
                math.nan,
                "subset",
                gap + "; the study's own case list was not "
                "readable, so the rest were rebuilt from press accounts",
            )
        )
    study_year = _study_year(by_name)
    for spec in _shares(study_year):
        row = by_name.get(spec.figure)
        if row is None:
            continue
        value = _number(row["value"])
        share = value / total if value is not None and total else verbal_share(row["value"])
        if share is None:
            continue
        base = cases[cases["year_left"] != UNKNOWN] if spec.of_dated else cases
        k = int(spec.select(base).sum())
        low, high = wilson_interval(k, len(base))
        agrees = low <= share <= high
        why = "" if agrees else _why(spec, base, study_year, total, share, by_name)
        rows.append(
            _row(
                spec.figure,
                row["value"],
                share,
                k / len(base) if len(base) else math.nan,
                low,
                high,
                "agrees" if agrees else "differs",
                why or f"{k} of {_cases(len(base))} {spec.label}",
            )
        )
    rows.extend(_counts(by_name, cases, gap))
    order = _order_row(corpus, codebook, figures)
    if order is not None:
        rows.append(order)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs.update({"n_cases": n, "study_cases": total, "unreviewed": 0, "basis": "combined"})
    return frame


def _study_year(by_name: Mapping[str, Mapping[str, str]]) -> int:
    end = by_name.get("coverage_period_end", {}).get("value", "")
    return int(end[:4]) if end[:4].isdigit() else 0


def _why(
    spec: _Share,
    cases: pd.DataFrame,
    year: int,
    total: float,
    share: float,
    by_name: Mapping[str, Mapping[str, str]],
) -> str:
    """Why a share differs: what the cases the corpus lacks would have to be to close the gap."""
    n = len(cases)
    k = int(spec.select(cases).sum())
    missing = int(total) - n
    implied = share * total
    reason = f"{_cases(k)} {spec.label}; the corpus holds {n} of the study's {total:.0f} cases"
    if missing > 0:
        reach = (k + missing) / total
        needed = math.ceil(implied - k - 1e-9)
        if k / total <= share <= reach:
            reason += (
                f": the study's figure (about {implied:.0f} of {total:.0f}) needs {needed} of "
                f"the {missing} cases the corpus lacks to be ones that {spec.label}"
            )
        else:
            reason += (
                f": even if all {missing} cases the corpus lacks {spec.label}, the share would "
                f"be {reach:.0%}; the corpus also holds cases the study may not have counted "
                "or dated alike (several dates here are estimates, see PROVENANCE)"
            )
    months = cases[(cases["year_left"] == str(year)) & (cases["month_left"] == 0)]
    if "summer" in spec.figure and len(months):
        reason += (
            f"; {_cases(len(months))} of {year} are dated to the year only and cannot be "
            "placed in the summer"
        )
        late = by_name.get(f"defections_june_to_august_{year}")
        if late is not None:
            reason += f" (the study counted at least {late['value']} in June-August {year})"
    note = by_name.get(spec.figure, {}).get("note")
    return reason + (f". Study note: {note}" if note else "")


def _cases(k: int) -> str:
    return f"{k} case" if k == 1 else f"{k} cases"


def _counts(
    by_name: Mapping[str, Mapping[str, str]], cases: pd.DataFrame, gap: str
) -> list[dict[str, object]]:
    out = []
    countries = cases.loc[cases["country"] != UNKNOWN, "country"]
    specs = [
        ("countries_of_origin", countries.nunique(), "countries of origin"),
        (
            "british_defectors",
            int((countries == "United Kingdom").sum()),
            "from the United Kingdom",
        ),
    ]
    for figure, ours, label in specs:
        row = by_name.get(figure)
        value = _number(row["value"]) if row else None
        if row is None or value is None:
            continue
        verdict = "agrees" if ours == value else "subset" if ours < value else "differs"
        why = f"{ours} {label}" + ("" if verdict == "agrees" else f"; {gap}")
        out.append(_row(figure, row["value"], value, ours, math.nan, math.nan, verdict, why))
    return out


def _order_row(
    corpus: Corpus, codebook: Codebook, figures: Sequence[Mapping[str, str]]
) -> dict[str, object] | None:
    """The study's order of the exit narratives against the corpus's ranking by cases."""
    listed = sorted(
        (int(m.group(1)), m.group(2))
        for f in figures
        if (m := _ORDER.match(f["figure"])) and m.group(2) in codebook
    )
    if not listed:
        return None
    study = [code for _, code in listed]
    table = prevalence(corpus, codebook).set_index("code")
    ours = sorted(study, key=lambda c: (-int(table.loc[c, "cases"]), study.index(c)))
    same = ours == study
    counts = ", ".join(f"{codebook.by_id[c].label} {int(table.loc[c, 'cases'])}" for c in ours)
    why = f"cases: {counts}"
    if not same:
        why += (
            "; the report lists the narratives without counting them (its per-narrative "
            "counts were not published), so its order need not be a ranking by frequency"
        )
    return _row(
        "exit_narrative_order",
        " > ".join(study),
        math.nan,
        math.nan,
        math.nan,
        math.nan,
        "agrees" if same else "differs",
        why + f" (corpus: {' > '.join(ours)})",
    )


def _row(
    figure: str,
    study: str,
    study_value: float,
    ours: float,
    low: float,
    high: float,
    verdict: str,
    why: str,
) -> dict[str, object]:
    return {
        "figure": figure,
        "study": study,
        "study_value": study_value,
        "ours": ours,
        "ci_low": low,
        "ci_high": high,
        "verdict": verdict,
        "why": why,
    }
