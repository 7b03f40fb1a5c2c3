"""Reads that join the store to the core: code counts, the stats summary and the prevalence
table from the database's aggregates, agreement over the passages coders share, and a cache
of whole analyses keyed by the store's data version.

The store answers in rows and numbers (``store/reads.py``); the core turns them into the
tables every output shows (``analysis/``, ``review/``). Neither imports the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from defectio.analysis.counts import (
    Basis,
    CodeCount,
    CodeTotals,
    case_counts_of,
    counts_by_codebook,
    summary_of,
)
from defectio.analysis.prevalence import prevalence_of
from defectio.codebook import Codebook
from defectio.model import Case, Corpus, PartialDate
from defectio.review.agreement import AgreementReport, agreement
from defectio.store import reads
from defectio.store.repo import Store
from defectio.store.review import settled_units

T = TypeVar("T")


def code_counts(store: Store, codebook: Codebook, basis: Basis = Basis.COMBINED) -> list[CodeCount]:
    """``analysis.counts.code_counts`` computed in the database."""
    tallies = reads.code_tallies(store, basis.value)
    return counts_by_codebook(
        codebook,
        {code: CodeTotals(t.cases, t.passages, t.unreviewed_cases) for code, t in tallies.items()},
    )


def stats_summary(store: Store, codebook: Codebook) -> dict[str, Any]:
    """What ``defectio stats --json`` prints, without reading the corpus."""
    t = reads.case_tallies(store)
    cases = case_counts_of(t.cases, t.by_gender, t.by_region, t.by_year_left)
    return summary_of(cases, t.passages, codebook, code_counts(store, codebook))


def prevalence(store: Store, codebook: Codebook, basis: Basis = Basis.COMBINED) -> pd.DataFrame:
    """``analysis.prevalence.prevalence`` over the whole store, from the database's counts."""
    n = reads.case_tallies(store).cases
    return prevalence_of(code_counts(store, codebook, basis), n, basis)


def dashboard(store: Store, codebook: Codebook) -> dict[str, Any]:
    """The dashboard's figures: cases, passages, codes carried (and how many wait for a
    person), and each code's cases."""
    tallies = reads.code_tallies(store)
    t = reads.case_tallies(store)
    total = sum(x.passages for x in tallies.values())
    unreviewed = sum(x.unreviewed_passages for x in tallies.values())
    counts = counts_by_codebook(
        codebook,
        {c: CodeTotals(x.cases, x.passages, x.unreviewed_cases) for c, x in tallies.items()},
    )
    return {
        "cases": t.cases,
        "passages": t.passages,
        "codes_total": total,
        "codes_unreviewed": unreviewed,
        "unreviewed_share": unreviewed / total if total else 0.0,
        "rows": [
            {
                "code": c.code,
                "label": c.label,
                "family": c.family,
                "cases": c.cases,
                "share": c.share(t.cases),
                "unreviewed_cases": c.unreviewed_cases,
            }
            for c in counts
        ],
    }


def store_agreement(store: Store, codebook: Codebook | None = None) -> AgreementReport:
    """Agreement over the store as the CLI, the API and the agreement page show it: the
    machine's coverage is its latest run's, and units a reviewer settled are off the list.
    Only the passages a person coded are read: the others have one coder at most."""
    passages, annotations, seen, run = reads.jointly_judged(store)
    return agreement(
        _Judged(passages, annotations),
        codebook or store.codebook(),
        machine_passages=seen if run is not None else None,
        settled=settled_units(reads.settled_events(store)),
        machine_run=run,
    )


@dataclass(frozen=True)
class _Judged:
    passages: Sequence[reads.JudgedPassage]
    annotations: Sequence[reads.JudgedCode]


def timeline_corpus(store: Store) -> Corpus:
    """The cases as the timeline reads them (id and date of leaving), without validating every
    case's other fields: they come from the store, which validated them on the way in."""
    cases = tuple(
        Case.model_construct(
            case_id=case_id, alias=case_id, left=PartialDate.parse(left) if left else None
        )
        for case_id, left in reads.departures(store)
    )
    return Corpus.model_construct(cases=cases)


class AnalysisCache:
    """Results computed once per change of the store: each is kept under its key and the
    store's data version (which every committed unit of work moves on), so a request after a
    write recomputes and the ones after it do not."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._results: dict[Hashable, tuple[int, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for ``key`` at the store's present version, computed if needed
        (once, however many requests ask at the same moment)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            version = self.store.data_version()
            cached = self._results.get(key)
            if cached is not None and cached[0] == version:
                result: T = cached[1]
                return result
            value = compute()
            self._results[key] = (version, value)
            return value
