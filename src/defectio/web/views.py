"""What the pages show, read from the store: the filtered case list, a case's passages with
their codes, the filter options. Plain data; the templates only lay it out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from defectio.codebook import Codebook
from defectio.model import Passage
from defectio.store import reads
from defectio.store.repo import Store
from defectio.store.review import StoredAnnotation
from defectio.web.highlight import Run, colour_classes, evidence_runs

CASES_PAGE = 100


@dataclass(frozen=True)
class CaseFilter:
    gender: str | None = None
    region: str | None = None
    year: str | None = None
    code: str | None = None

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def query(self) -> reads.CaseQuery:
        return reads.CaseQuery(self.gender, self.region, self.year, self.code)


def filter_options(store: Store, codebook: Codebook) -> dict[str, list[str]]:
    return {**reads.case_filter_values(store), "code": list(codebook.code_ids)}


@dataclass(frozen=True)
class PassageView:
    passage_id: str
    text: str
    lang: str | None
    voice: str
    runs: list[Run]
    annotations: list[StoredAnnotation]


def case_passages(
    passages: Sequence[Passage], annotations: Sequence[StoredAnnotation]
) -> list[PassageView]:
    """A case's passages in order, each cut into runs marked with the codes whose evidence
    covers them, and with every annotation on it."""
    by_passage: dict[str, list[StoredAnnotation]] = defaultdict(list)
    for a in annotations:
        by_passage[a.passage_id].append(a)
    views = []
    for p in sorted(passages, key=lambda p: p.position):
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
