"""The one coder protocol, and what a coder returns for a text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from defectio.model import Annotation, AnnotationStatus, CoderKind

Span = tuple[int, int]


@dataclass(frozen=True)
class CodeScore:
    """One code's verdict on one text: probability, decision, and the evidence behind it."""

    code: str
    p: float
    decision: bool
    evidence: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Coding:
    """Every code's verdict on one text, plus the language the coder read it as."""

    scores: tuple[CodeScore, ...]
    lang: str | None = None
    notices: tuple[str, ...] = field(default=())

    @property
    def codes(self) -> list[CodeScore]:
        """The codes decided positive, most probable first."""
        return sorted((s for s in self.scores if s.decision), key=lambda s: -s.p)

    def score(self, code: str) -> CodeScore | None:
        return next((s for s in self.scores if s.code == code), None)

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {"code": s.code, "p": round(s.p, 4), "evidence": [list(e) for e in s.evidence]}
            for s in self.codes
        ]


def suggestion(passage_id: str, score: CodeScore, coder: str, run_id: int) -> Annotation:
    """A machine code as a suggestion on a passage, waiting for a person's decision."""
    return Annotation(
        passage_id=passage_id,
        code=score.code,
        coder=coder,
        coder_kind=CoderKind.MACHINE,
        probability=min(1.0, max(0.0, score.p)),
        evidence=score.evidence,
        status=AnnotationStatus.SUGGESTED,
        run_id=run_id,
    )


@runtime_checkable
class Coder(Protocol):
    """What every coder offers; ``name`` and ``version`` form its registered id (``lexicon.v1``)."""

    name: str
    version: str

    @property
    def config(self) -> dict[str, Any]: ...

    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> Coder: ...

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Coding]: ...

    def save(self, directory: Path) -> None: ...
