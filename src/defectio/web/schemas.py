"""The REST API's request and response bodies: what /api/v1/openapi.json publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from defectio.model import Case, Region
from defectio.store.review import StoredAnnotation

Span = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]]


class MeOut(BaseModel):
    name: str
    role: str
    can: dict[str, bool]


class CaseOut(BaseModel):
    case_id: str
    alias: str
    gender: str
    origin: str | None
    region: str
    joined: str | None
    left: str | None
    role: str
    status_after: str
    went_public_via: str | None
    group: str | None
    codes: list[str]

    @classmethod
    def of(cls, case: Case, codes: list[str]) -> CaseOut:
        data = case.model_dump(mode="json")
        return cls(**{**data, "codes": codes})


class SourceOut(BaseModel):
    source_id: str
    url: str
    outlet: str | None
    title: str | None
    published: str | None


class PassageOut(BaseModel):
    passage_id: str
    case_id: str
    text: str
    lang: str | None
    voice: str
    position: int
    source_id: str | None


class CaseDetailOut(CaseOut):
    sources: list[SourceOut]
    passages: list[PassageOut]


class AnnotationOut(BaseModel):
    annotation_id: int
    passage_id: str
    code: str
    coder: str
    coder_kind: str
    probability: float | None
    evidence: list[list[int]]
    status: str
    run_id: int | None
    memo: str | None
    created_at: datetime

    @classmethod
    def of(cls, a: StoredAnnotation) -> AnnotationOut:
        return cls(**{**a.__dict__, "evidence": [list(e) for e in a.evidence]})


class AnnotationIn(_In):
    passage_id: str = Field(min_length=1, max_length=80)
    code: str = Field(min_length=1, max_length=64)
    memo: str | None = Field(default=None, max_length=4000)
    evidence: list[Span] = Field(default_factory=list, max_length=20)


class DecisionIn(_In):
    memo: str | None = Field(default=None, max_length=4000)


class CodeIn(_In):
    text: str = Field(min_length=1, max_length=20_000)
    lang: str | None = Field(default=None, max_length=8, pattern=r"^[a-z]{2,3}$")


class CodeScoreOut(BaseModel):
    code: str
    label: str
    probability: float
    evidence: list[list[int]]


class CodeOut(BaseModel):
    coder: str
    codebook: str
    lang: str | None
    codes: list[CodeScoreOut]
    notices: list[str]


class AudienceIn(_In):
    """Who the message is for; testimony from people like them ranks higher."""

    region: Region | None = None
    gender: Literal["m", "f", "x"] | None = None
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2}$")


class CounterIn(_In):
    claim: str = Field(min_length=1, max_length=2000)
    audience: AudienceIn | None = None
    n: int = Field(default=5, ge=1, le=20)
    include_unrenounced: bool = False


class JoinOut(BaseModel):
    code: str
    p: float


class CounterAnswerOut(BaseModel):
    passage_id: str
    case_id: str
    alias: str
    text: str
    codes: list[str]
    why: str
    source_url: str
    score: float


class ThemeOut(BaseModel):
    code: str
    label: str
    theme: str


class CounterOut(BaseModel):
    """What `defectio counter CLAIM --json` prints."""

    claim: str
    join: list[JoinOut]
    fallback: bool = Field(
        description="True when no join narrative was read in the claim (or the counter map "
        "gives no exit narrative for those read): the answers are then the most relevant "
        "testimony across the exit narratives"
    )
    answers: list[CounterAnswerOut]
    themes: list[ThemeOut]


class Page(BaseModel):
    total: int
    limit: int
    offset: int
