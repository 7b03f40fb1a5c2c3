"""Counts of cases by attribute and of codes by case, as the 2015 study counted them."""

from __future__ import annotations

from collections import Counter
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

    def tally(values: list[str]) -> dict[str, int]:
        return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))

    return {
        "cases": len(cases),
        "by_gender": tally([c.gender.value for c in cases]),
        "by_region": tally([c.region.value for c in cases]),
        "by_year_left": dict(sorted(Counter(year_left(c) for c in cases).items())),
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
    codes = passage_codes(corpus, basis)
    out = []
    for code in codebook.codes:
        mine = [c for c in codes if c.code == code.id]
        reviewed_cases = {c.case_id for c in mine if c.reviewed}
        all_cases = {c.case_id for c in mine}
        out.append(
            CodeCount(
                code=code.id,
                label=code.label,
                family=code.family.value,
                cases=len(all_cases),
                passages=len({c.passage_id for c in mine}),
                unreviewed_cases=len(all_cases - reviewed_cases),
            )
        )
    return out


def stats_summary(corpus: Corpus, codebook: Codebook) -> dict[str, Any]:
    """What ``defectio stats --json`` prints: case counts and code counts by basis."""
    summary = case_counts(corpus.cases)
    summary["passages"] = len(corpus.passages)
    summary["codebook"] = codebook.ref
    summary["codes"] = {
        c.code: {
            "family": c.family,
            "cases": c.cases,
            "passages": c.passages,
            "unreviewed_cases": c.unreviewed_cases,
        }
        for c in code_counts(corpus, codebook)
    }
    return summary
