"""The bundled reference corpus: Islamic State defectors of 2014-2015, the ICSR study's
figures and foreign-fighter estimates, with their provenance notes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from defectio.ingest.jsonl import read as read_jsonl
from defectio.model import (
    Annotation,
    AnnotationStatus,
    Case,
    CoderKind,
    Corpus,
    Passage,
    Source,
)

REFERENCE_CODER = "reference"


def reference_dir() -> Traversable:
    return resources.files("defectio") / "data" / "reference"


def reference_jsonl() -> Path:
    """Path of the bundled case file, for ``defectio import``."""
    return Path(str(reference_dir() / "defectors_2014_2015.jsonl"))


@dataclass(frozen=True)
class Reference:
    """The reference corpus (gold labels as accepted annotations) and its context tables."""

    corpus: Corpus
    figures: list[dict[str, str]]
    foreign_fighters: list[dict[str, str]]
    provenance: str


def _read_csv(name: str) -> list[dict[str, str]]:
    text = (reference_dir() / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def load_reference() -> Reference:
    """Read the bundled reference data; no store needed."""
    cases: list[Case] = []
    passages: list[Passage] = []
    annotations: list[Annotation] = []
    sources: dict[str, Source] = {}
    links: dict[str, tuple[str, ...]] = {}
    for record, _ in read_jsonl(reference_jsonl()):
        cases.append(record.case)
        for s in record.sources:
            sources.setdefault(s.source_id, s)
        links[record.case.case_id] = tuple(s.source_id for s in record.sources)
        first = record.sources[0].source_id if record.sources else None
        for position, item in enumerate(record.passages):
            passage = Passage(
                case_id=record.case.case_id,
                text=item.text,
                voice=item.voice,
                lang=item.lang or "en",
                source_id=first,
                position=position,
            )
            passages.append(passage)
            annotations.extend(
                Annotation(
                    passage_id=passage.passage_id,
                    code=label,
                    coder=REFERENCE_CODER,
                    coder_kind=CoderKind.PERSON,
                    probability=1.0,
                    status=AnnotationStatus.ACCEPTED,
                )
                for label in item.labels
            )
    corpus = Corpus(
        cases=tuple(cases),
        sources=tuple(sources.values()),
        case_sources=links,
        passages=tuple(passages),
        annotations=tuple(annotations),
    )
    return Reference(
        corpus=corpus,
        figures=_read_csv("icsr_2015_figures.csv"),
        foreign_fighters=_read_csv("foreign_fighters.csv"),
        provenance=(reference_dir() / "PROVENANCE.md").read_text(encoding="utf-8"),
    )
