"""Every analysis table by name, for the command line and other edges: ``--by FIELD`` (codes
by a case field, or ``code`` for prevalence) or ``--table NAME``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from defectio.analysis.consistency import consistency
from defectio.analysis.cooccurrence import cooccurrence, pathways
from defectio.analysis.crosstab import association, crosstab
from defectio.analysis.prevalence import prevalence
from defectio.analysis.tables import FIELDS
from defectio.analysis.timeline import departures_by_month, departures_by_year, timeline
from defectio.codebook import Codebook
from defectio.errors import InputError
from defectio.model import Corpus

TABLES: dict[str, Callable[[Corpus, Codebook], pd.DataFrame]] = {
    "prevalence": prevalence,
    "cooccurrence": cooccurrence,
    "pathways": pathways,
    "timeline": lambda corpus, _: timeline(corpus),
    "years": lambda corpus, _: departures_by_year(corpus),
    "months": lambda corpus, _: departures_by_month(corpus),
    "consistency": consistency,
}
BY_FIELDS = (*FIELDS, "code")


@dataclass(frozen=True)
class AnalysisTable:
    name: str
    frame: pd.DataFrame
    by: str | None = None
    tests: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """``{table, by, basis, cases, unreviewed, rows[, tests]}``; NaN becomes null."""
        out: dict[str, Any] = {
            "table": self.name,
            "by": self.by,
            "basis": self.frame.attrs.get("basis"),
            "cases": self.frame.attrs.get("n_cases"),
            "unreviewed": self.frame.attrs.get("unreviewed", 0),
            "rows": records(self.frame),
        }
        if self.tests is not None:
            out["tests"] = records(self.tests)
        out.update(self.extra)
        return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain JSON values (numpy scalars unwrapped, NaN as None)."""
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float) and math.isnan(value):
                value = None
            clean[str(key)] = value
        out.append(clean)
    return out


def analysis_table(
    corpus: Corpus, codebook: Codebook, *, by: str | None = None, table: str | None = None
) -> AnalysisTable:
    """The table ``--by`` or ``--table`` names (``--by`` wins when both are given)."""
    if by is not None:
        if by == "code":
            return AnalysisTable("prevalence", prevalence(corpus, codebook), by="code")
        if by not in FIELDS:
            raise InputError(
                f"cannot group by '{by}'; use one of {', '.join(BY_FIELDS)}", field="--by"
            )
        return AnalysisTable(
            "crosstab",
            crosstab(corpus, codebook, by),
            by=by,
            tests=association(corpus, codebook, by),
        )
    name = table or "prevalence"
    if name not in TABLES:
        raise InputError(f"unknown table '{name}'; tables are {', '.join(TABLES)}", field="--table")
    frame = TABLES[name](corpus, codebook)
    extra = {}
    if name == "consistency":
        extra = {k: frame.attrs[k] for k in ("mean_similarity", "profiled", "no_code")}
    return AnalysisTable(name, frame, extra=extra)
