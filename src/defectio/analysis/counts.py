"""Counts of cases by attribute and of codes by case, as the 2015 study counted them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from defectio.codebook import Codebook
from defectio.model import AnnotationStatus, Case, CoderKind, Corpus, is_settlement


class Basis(StrEnum):
    """Which codes a count rests on."""

    COMBINED = "combined"  # people's decisions first, then unreviewed machine suggestions
    PEOPLE = "people"  # accepted codes only
    MACHINE = "machine"  # the latest machine run only, ignoring people


def year_left(case: Case) -> str:
    return str(case.left.year) if case.left else "unknown"


def case_counts(cases: tuple[Case, ...] | list[Case]) -> dict[str, Any]:
    """Cases in all and by gender, region and year of leaving, most frequent first."""
    return case_counts_of(
        len(cases),
        Counter(c.gender.value for c in cases),
        Counter(c.region.value for c in cases),
        Counter(year_left(c) for c in cases),
    )


def case_counts_of(
    n: int, by_gender: Mapping[str, int], by_region: Mapping[str, int], by_year: Mapping[str, int]
) -> dict[str, Any]:
    """``case_counts``' dict from tallies however they were reached (a corpus, the database)."""

    def ordered(counts: Mapping[str, int]) -> dict[str, int]:
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return {
        "cases": n,
        "by_gender": ordered(by_gender),
        "by_region": ordered(by_region),
        "by_year_left": dict(sorted(by_year.items())),
    }


@dataclass(frozen=True)
class PassageCode:
    passage_id: str
    case_id: str
    code: str
    reviewed: bool
    probability: float | None


def latest_machine_run(corpus: Corpus) -> int | None:
    runs = [
        a.run_id
        for a in corpus.annotations
        if a.coder_kind == CoderKind.MACHINE and a.run_id is not None
    ]
    return max(runs) if runs else None


def passage_codes(corpus: Corpus, basis: Basis = Basis.COMBINED) -> list[PassageCode]:
    """The codes each passage carries under a basis; a person's decision beats a machine's,
    and a reviewer's ruling on a disagreement beats both."""
    case_of = {p.passage_id: p.case_id for p in corpus.passages}
    run = latest_machine_run(corpus)
    decided: dict[tuple[str, str], bool] = {}
    settled: dict[tuple[str, str], bool] = {}
    machine: dict[tuple[str, str], float | None] = {}
    for a in corpus.annotations:
        key = (a.passage_id, a.code)
        if a.coder_kind == CoderKind.PERSON and is_settlement(a.coder):
            if a.status != AnnotationStatus.SUGGESTED:  # the latest ruling stands
                settled[key] = a.status == AnnotationStatus.ACCEPTED
        elif a.coder_kind == CoderKind.PERSON or a.status != AnnotationStatus.SUGGESTED:
            if a.status == AnnotationStatus.ACCEPTED:
                decided[key] = True
            elif a.status == AnnotationStatus.REJECTED:
                decided.setdefault(key, False)
        elif a.run_id == run:
            machine[key] = a.probability
    decided.update(settled)  # a reviewer's ruling overrules the coders it settled
    out: list[PassageCode] = []
    if basis in (Basis.COMBINED, Basis.PEOPLE):
        out += [
            PassageCode(pid, case_of[pid], code, True, 1.0)
            for (pid, code), ok in decided.items()
            if ok and pid in case_of
        ]
    if basis in (Basis.COMBINED, Basis.MACHINE):
        out += [
            PassageCode(pid, case_of[pid], code, False, p)
            for (pid, code), p in machine.items()
            if pid in case_of and (basis == Basis.MACHINE or (pid, code) not in decided)
        ]
    return out


@dataclass(frozen=True)
class CodeCount:
    code: str
    label: str
    family: str
    cases: int
    passages: int
    unreviewed_cases: int

    def share(self, n_cases: int) -> float:
        return self.cases / n_cases if n_cases else 0.0


def code_counts(
    corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED
) -> list[CodeCount]:
    """For each code of the codebook: cases and passages carrying it, and how many of those
    cases rest only on unreviewed machine codes."""
    by_code: dict[str, list[PassageCode]] = {}
    for c in passage_codes(corpus, basis):
        by_code.setdefault(c.code, []).append(c)
    found = {}
    for code, mine in by_code.items():
        reviewed_cases = {c.case_id for c in mine if c.reviewed}
        all_cases = {c.case_id for c in mine}
        found[code] = CodeTotals(
            len(all_cases), len({c.passage_id for c in mine}), len(all_cases - reviewed_cases)
        )
    return counts_by_codebook(codebook, found)


@dataclass(frozen=True)
class CodeTotals:
    """A code's counts however they were reached (from a corpus, or in the database)."""

    cases: int
    passages: int
    unreviewed_cases: int


def counts_by_codebook(codebook: Codebook, found: Mapping[str, CodeTotals]) -> list[CodeCount]:
    """One count per code of the codebook, in its order; a code nobody carries counts zero."""
    out = []
    for code in codebook.codes:
        totals = found.get(code.id, CodeTotals(0, 0, 0))
        out.append(
            CodeCount(
                code=code.id,
                label=code.label,
                family=code.family.value,
                cases=totals.cases,
                passages=totals.passages,
                unreviewed_cases=totals.unreviewed_cases,
            )
        )
    return out


def stats_summary(corpus: Corpus, codebook: Codebook) -> dict[str, Any]:
    """What ``defectio stats --json`` prints: case counts and code counts by basis."""
    return summary_of(
        case_counts(corpus.cases), len(corpus.passages), codebook, code_counts(corpus, codebook)
    )


def summary_of(
    cases: dict[str, Any], n_passages: int, codebook: Codebook, counts: list[CodeCount]
) -> dict[str, Any]:
    """The stats summary from its parts: ``case_counts``' dict, passages, the code counts."""
    summary = dict(cases)
    summary["passages"] = n_passages
    summary["codebook"] = codebook.ref
    summary["codes"] = {
        c.code: {
            "family": c.family,
            "cases": c.cases,
            "passages": c.passages,
            "unreviewed_cases": c.unreviewed_cases,
        }
        for c in counts
    }
    return summary
