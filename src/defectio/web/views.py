"""What the pages show, computed from a corpus: dashboard figures, the filtered case list, a
case's passages with their codes. Plain data; the templates only lay it out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from defectio.analysis.counts import Basis, code_counts, passage_codes, year_left
from defectio.codebook import Codebook
from defectio.model import Case, Corpus
from defectio.store.review import StoredAnnotation
from defectio.web.highlight import Run, colour_classes, evidence_runs


def dashboard(corpus: Corpus, codebook: Codebook) -> dict[str, Any]:
    """Counts, each code's cases, and how many codes still wait for a person's decision."""
    combined = passage_codes(corpus, Basis.COMBINED)
    unreviewed = sum(1 for c in combined if not c.reviewed)
    n_cases = len(corpus.cases)
    return {
        "cases": n_cases,
        "passages": len(corpus.passages),
        "codes_total": len(combined),
        "codes_unreviewed": unreviewed,
        "unreviewed_share": unreviewed / len(combined) if combined else 0.0,
        "rows": [
            {
                "code": c.code,
                "label": c.label,
                "family": c.family,
                "cases": c.cases,
                "share": c.share(n_cases),
                "unreviewed_cases": c.unreviewed_cases,
            }
            for c in code_counts(corpus, codebook)
        ],
    }


@dataclass(frozen=True)
class CaseFilter:
    gender: str | None = None
    region: str | None = None
    year: str | None = None
    code: str | None = None

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def case_codes(corpus: Corpus) -> dict[str, set[str]]:
    """The codes each case carries (a person's decision beats a machine's)."""
    out: dict[str, set[str]] = defaultdict(set)
    for c in passage_codes(corpus, Basis.COMBINED):
        out[c.case_id].add(c.code)
    return out


def filter_cases(corpus: Corpus, flt: CaseFilter) -> list[tuple[Case, list[str]]]:
    codes = case_codes(corpus)
    out = []
    for case in corpus.cases:
        mine = sorted(codes.get(case.case_id, set()))
        if flt.gender and case.gender.value != flt.gender:
            continue
        if flt.region and case.region.value != flt.region:
            continue
        if flt.year and year_left(case) != flt.year:
            continue
        if flt.code and flt.code not in mine:
            continue
        out.append((case, mine))
    return out


def filter_options(corpus: Corpus, codebook: Codebook) -> dict[str, list[str]]:
    return {
        "gender": sorted({c.gender.value for c in corpus.cases}),
        "region": sorted({c.region.value for c in corpus.cases}),
        "year": sorted({year_left(c) for c in corpus.cases}),
        "code": list(codebook.code_ids),
    }


@dataclass(frozen=True)
class PassageView:
    passage_id: str
    text: str
    lang: str | None
    voice: str
    runs: list[Run]
    annotations: list[StoredAnnotation]


def case_passages(
    corpus: Corpus, case_id: str, annotations: Sequence[StoredAnnotation]
) -> list[PassageView]:
    """A case's passages in order, each cut into runs marked with the codes whose evidence
    covers them, and with every annotation on it."""
    by_passage: dict[str, list[StoredAnnotation]] = defaultdict(list)
    for a in annotations:
        by_passage[a.passage_id].append(a)
    views = []
    for p in sorted((p for p in corpus.passages if p.case_id == case_id), key=lambda p: p.position):
        mine = sorted(by_passage.get(p.passage_id, []), key=lambda a: (a.code, a.annotation_id))
        spans = [(a.code, s, e) for a in mine if a.status != "rejected" for s, e in a.evidence]
        views.append(
            PassageView(
                passage_id=p.passage_id,
                text=p.text,
                lang=p.lang,
                voice=p.voice.value,
                runs=evidence_runs(p.text, spans),
                annotations=mine,
            )
        )
    return views


def code_colours(codebook: Codebook) -> dict[str, str]:
    return colour_classes(codebook.code_ids)
