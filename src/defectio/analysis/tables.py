"""The two frames every analysis starts from: one row per case with its attributes, and which
codes each case carries (a case carries a code if any of its passages does)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from defectio.analysis.counts import Basis, passage_codes
from defectio.codebook import Codebook, Family
from defectio.errors import InputError
from defectio.model import Case, Corpus, Region

UNKNOWN = "unknown"
# Fields a case table can be grouped by, and the column that holds each.
FIELDS: dict[str, str] = {
    "gender": "gender",
    "region": "region",
    "role": "role",
    "year": "year_left",
    "status_after": "status_after",
    "origin": "country",
}
_QUALIFIER = re.compile(r"\s*\(([^)]*)\)\s*$")
_NOT_NAMED = re.compile(r"\bnot (stated|named|known|given)\b", re.IGNORECASE)


def country_of(origin: str | None) -> str:
    """The country in an ``origin`` field: ``Germany (Tunisian descent)`` is Germany; an origin
    whose note says the country is not stated or named is unknown."""
    if not origin:
        return UNKNOWN
    match = _QUALIFIER.search(origin)
    if match and _NOT_NAMED.search(match.group(1)):
        return UNKNOWN
    return _QUALIFIER.sub("", origin).strip() or UNKNOWN


def case_table(cases: Iterable[Case]) -> pd.DataFrame:
    """One row per case (index ``case_id``): alias and every attribute a table groups by."""
    rows = [
        {
            "case_id": c.case_id,
            "alias": c.alias,
            "gender": c.gender.value,
            "region": c.region.value,
            "origin": c.origin or UNKNOWN,
            "country": country_of(c.origin),
            "role": c.role.value,
            "status_after": c.status_after.value,
            "year_left": str(c.left.year) if c.left else UNKNOWN,
            "month_left": c.left.month if c.left else 0,
            "left": str(c.left) if c.left else UNKNOWN,
            "went_public_via": c.went_public_via or UNKNOWN,
        }
        for c in cases
    ]
    columns = [
        "case_id",
        "alias",
        "gender",
        "region",
        "origin",
        "country",
        "role",
        "status_after",
        "year_left",
        "month_left",
        "left",
        "went_public_via",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("case_id")


@dataclass(frozen=True)
class CodeMatrix:
    """Cases x codes. ``carries``: the case carries the code; ``unreviewed``: it carries it only
    through machine suggestions no person has reviewed."""

    carries: pd.DataFrame
    unreviewed: pd.DataFrame
    basis: Basis

    @property
    def n_cases(self) -> int:
        return len(self.carries)


def code_matrix(corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED) -> CodeMatrix:
    """Which codes each case carries on a basis; people's decisions count before machines'."""
    case_ids = [c.case_id for c in corpus.cases]
    row = {case_id: i for i, case_id in enumerate(case_ids)}
    col = {code: j for j, code in enumerate(codebook.code_ids)}
    carries = np.zeros((len(row), len(col)), dtype=bool)
    reviewed = np.zeros_like(carries)
    for pc in passage_codes(corpus, basis):
        i, j = row.get(pc.case_id), col.get(pc.code)
        if i is not None and j is not None:
            carries[i, j] = True
            reviewed[i, j] |= pc.reviewed
    index = pd.Index(case_ids, name="case_id")
    columns = pd.Index(codebook.code_ids, name="code")
    return CodeMatrix(
        carries=pd.DataFrame(carries, index=index, columns=columns),
        unreviewed=pd.DataFrame(carries & ~reviewed, index=index, columns=columns),
        basis=basis,
    )


def family_codes(codebook: Codebook, family: Family | str) -> list[str]:
    return [c.id for c in codebook.family(family)]


def parse_region(value: str) -> Region:
    """A region by its name, case-insensitively; an unknown name lists the known ones."""
    for region in Region:
        if region.value.lower() == value.strip().lower() or region.name.lower() == value.lower():
            return region
    known = ", ".join(r.value for r in Region)
    raise InputError(f"unknown region '{value}'; regions are {known}", field="region")


def filter_corpus(corpus: Corpus, *, since: int | None = None, region: str | None = None) -> Corpus:
    """The cases that left in or after ``since`` and come from ``region``, with their passages,
    annotations and sources (a case with an unknown year of leaving is dropped by ``since``)."""
    if since is None and region is None:
        return corpus
    wanted = parse_region(region) if region is not None else None
    cases = tuple(
        c
        for c in corpus.cases
        if (since is None or (c.left is not None and c.left.year >= since))
        and (wanted is None or c.region == wanted)
    )
    keep = {c.case_id for c in cases}
    passages = tuple(p for p in corpus.passages if p.case_id in keep)
    pids = {p.passage_id for p in passages}
    links = {k: v for k, v in corpus.case_sources.items() if k in keep}
    used = {s for v in links.values() for s in v} | {p.source_id for p in passages if p.source_id}
    return Corpus(
        cases=cases,
        sources=tuple(s for s in corpus.sources if s.source_id in used),
        case_sources=links,
        passages=passages,
        annotations=tuple(a for a in corpus.annotations if a.passage_id in pids),
    )


def describe(frame: pd.DataFrame, *, n_cases: int, unreviewed: int, basis: Basis) -> pd.DataFrame:
    """Attach what every table states: N, the basis, and how many of its counts rest only on
    unreviewed machine codes (``frame.attrs``)."""
    frame.attrs.update({"n_cases": n_cases, "unreviewed": int(unreviewed), "basis": basis.value})
    return frame
