"""Training examples for a codebook: the bundled reference passages, real testimony and written
training set, plus, from a store, the codes people have accepted.

A codebook's folder ``data/training/<id>/`` holds text the team wrote (``*.jsonl``) and, under
``real/``, real testimony paraphrased from public reports. Real rows are marked: the ensemble
tunes its thresholds on them, and benchmarks score on them with folds grouped by ``case``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from defectio.codebook import Codebook
from defectio.errors import InputError
from defectio.model import AnnotationStatus, CoderKind, Corpus
from defectio.text.files import iter_json_lines


@dataclass(frozen=True)
class Example:
    text: str
    labels: tuple[str, ...]
    lang: str | None = None
    id: str = ""
    origin: str = ""
    #: One person's passages share a group, so that cross-validation never splits them.
    group: str = ""
    #: Real testimony (as opposed to text written to train a coder).
    real: bool = False
    weight: float = 1.0


def _data() -> Path:
    return Path(str(resources.files("defectio") / "data"))


def reference_codebook() -> str:
    manifest = yaml.safe_load((_data() / "reference" / "manifest.yaml").read_text("utf-8"))
    return str(manifest["codebook"])


def read_examples(
    path: Path, codebook: Codebook | None = None, *, real: bool = False
) -> Iterator[Example]:
    """Stream ``{"text", "labels", "lang"?, "id"?, "case"?}`` lines; unknown codes are an
    error."""
    for number, row, _ in iter_json_lines(path):
        text = row.get("text") if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise InputError("missing text", path=str(path), line=number, field="text")
        labels = tuple(row.get("labels") or ())
        if codebook is not None:
            for label in labels:
                if label not in codebook:
                    raise InputError(
                        f"unknown code '{label}' for codebook {codebook.ref}",
                        path=str(path),
                        line=number,
                        field="labels",
                    )
        row_id = str(row.get("id") or f"{path.stem}:{number}")
        yield Example(
            text=text,
            labels=labels,
            lang=row.get("lang"),
            id=row_id,
            origin=path.name,
            group=str(row.get("case") or row_id),
            real=real,
        )


def training_files(codebook: Codebook) -> list[Path]:
    """The codebook's training files: written ones first, then real testimony (``real/``)."""
    folder = _data() / "training" / codebook.id
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.jsonl")) + sorted(folder.glob("real/*.jsonl"))


def bundled_examples(codebook: Codebook, *, include_reference: bool = True) -> list[Example]:
    """The training set for this codebook (written and real), plus the reference passages
    when they were labelled with the same codebook."""
    out: list[Example] = []
    if include_reference and reference_codebook() == codebook.id:
        out.extend(reference_examples())
    for path in training_files(codebook):
        out.extend(read_examples(path, codebook, real=path.parent.name == "real"))
    return out


def reference_examples() -> list[Example]:
    """Every reference passage with the codes its coders gave, none included: a passage they
    coded with no code is a negative example for every code. (The import validates this file;
    here only its passages are read.)"""
    path = _data() / "reference" / "defectors_2014_2015.jsonl"
    out: list[Example] = []
    for _, row, _ in iter_json_lines(path):
        case_id = str(row["case_id"])
        for i, item in enumerate(row.get("passages") or ()):
            out.append(
                Example(
                    text=item["text"],
                    labels=tuple(item.get("labels") or ()),
                    lang=item.get("lang") or "en",
                    id=f"{case_id}:{i}",
                    origin="reference",
                    group=case_id,
                    real=True,
                )
            )
    return out


def examples_from_corpus(corpus: Corpus, origin: str = "store") -> list[Example]:
    """Passages a person has coded, with the codes people accepted (a passage coded by people
    with no code accepted is a negative example for every code)."""
    accepted: dict[str, set[str]] = {}
    for a in corpus.annotations:
        if a.coder_kind == CoderKind.PERSON or a.status != AnnotationStatus.SUGGESTED:
            labels = accepted.setdefault(a.passage_id, set())
            if a.status == AnnotationStatus.ACCEPTED:
                labels.add(a.code)
    return [
        Example(
            text=p.text,
            labels=tuple(sorted(accepted[p.passage_id])),
            lang=p.lang,
            id=p.passage_id,
            origin=origin,
            group=p.case_id,
            real=True,
        )
        for p in corpus.passages
        if p.passage_id in accepted
    ]


def label_matrix(examples: Iterable[Example], codes: list[str]) -> list[list[int]]:
    return [[int(c in ex.labels) for c in codes] for ex in examples]
