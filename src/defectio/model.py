"""The registry's data model: cases, sources, passages, annotations and partial dates.

Pure pydantic objects; nothing here touches a database, a file or the console.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, field_validator
from pydantic_core import core_schema

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
UNKNOWN_WORDS = frozenset({"", "unknown", "n/a", "na", "none", "?"})


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    """A date known to the year, month or day; sorts by (year, month, day), unknown parts first.

    ``month`` and ``day`` are 0 when unknown.
    """

    year: int
    month: int = 0
    day: int = 0

    @classmethod
    def parse(cls, value: str | int | PartialDate) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; an impossible date is a ``ValueError``."""
        if isinstance(value, PartialDate):
            return value
        text = str(value).strip()
        m = _DATE_RE.match(text)
        if not m:
            raise ValueError(f"'{text}' is not a date; expected YYYY, YYYY-MM or YYYY-MM-DD")
        year = int(m.group(1))
        month = int(m.group(2) or 0)
        day = int(m.group(3) or 0)
        if m.group(2) is not None and not 1 <= month <= 12:
            raise ValueError(f"'{text}' has month {month}; a month is 01 to 12")
        if m.group(3) is not None:
            try:
                date(year, month, day)
            except ValueError as exc:
                raise ValueError(f"'{text}' is not a real day ({exc})") from None
        return cls(year, month, day)

    @property
    def precision(self) -> str:
        """``year``, ``month`` or ``day``: how much of the date is known."""
        return "day" if self.day else "month" if self.month else "year"

    def __str__(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


class Gender(StrEnum):
    MALE = "m"
    FEMALE = "f"
    OTHER = "x"
    UNKNOWN = "unknown"


class Region(StrEnum):
    MENA = "Middle East & North Africa"
    WESTERN_EUROPE = "Western Europe"
    EASTERN_EUROPE = "Eastern Europe"
    BALKANS = "Balkans"
    CAUCASUS = "Caucasus"
    CENTRAL_ASIA = "Central Asia"
    SOUTH_ASIA = "South Asia"
    SOUTHEAST_ASIA = "Southeast Asia"
    EAST_ASIA = "East Asia"
    SUB_SAHARAN_AFRICA = "Sub-Saharan Africa"
    NORTH_AMERICA = "North America"
    LATIN_AMERICA = "Latin America"
    AUSTRALIA = "Australia"
    UNKNOWN = "unknown"


class Role(StrEnum):
    FIGHTER = "fighter"
    POLICE = "police"
    MEDIC = "medic"
    ADMINISTRATIVE = "administrative"
    MEDIA = "media"
    RECRUITER = "recruiter"
    WIFE = "wife"
    OTHER = "other"
    UNKNOWN = "unknown"


class StatusAfter(StrEnum):
    """Status after leaving, as the sources report it at the time."""

    FREE = "free"
    IN_HIDING = "in hiding"
    DETAINED = "detained"
    PROSECUTED = "prosecuted"
    SENTENCED = "sentenced"
    DECEASED = "deceased"
    UNKNOWN = "unknown"


class Voice(StrEnum):
    """First-hand (the speaker's own words) or attributed (a report about them)."""

    FIRST = "first"
    THIRD = "third"


class AnnotationStatus(StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CoderKind(StrEnum):
    PERSON = "person"
    MACHINE = "machine"


# A reviewer's verdict on a disagreement is a person's annotation by coder ``settled:NAME``:
# counts let it overrule every other person's code on that passage, and agreement leaves it
# out (it is a ruling on the coders, not one more coder).
SETTLED_PREFIX = "settled:"


def is_settlement(coder: str) -> bool:
    return coder.startswith(SETTLED_PREFIX)


def _unknown_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in UNKNOWN_WORDS:
        return None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Source(_Model):
    """Where testimony was reported: a page, a broadcast, a document."""

    url: str = Field(min_length=1)
    outlet: str | None = None
    title: str | None = None
    published: PartialDate | None = None

    @property
    def source_id(self) -> str:
        return "S" + hashlib.sha1(self.url.encode("utf-8")).hexdigest()[:12]


class Identity(_Model):
    """A private person's legal identity; lives only in the vault, encrypted at rest."""

    legal_name: str | None = None
    contact: str | None = None

    def is_empty(self) -> bool:
        return not (self.legal_name or self.contact)


class Case(_Model):
    """A person who left; identified by a case id and a public alias, never a legal name."""

    case_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    alias: str = Field(min_length=1)
    gender: Gender = Gender.UNKNOWN
    origin: str | None = None
    region: Region = Region.UNKNOWN
    joined: PartialDate | None = None
    left: PartialDate | None = None
    role: Role = Role.UNKNOWN
    status_after: StatusAfter = StatusAfter.UNKNOWN
    went_public_via: str | None = None
    group: str | None = None

    @field_validator("joined", "left", "origin", "went_public_via", mode="before")
    @classmethod
    def _unknown_is_none(cls, value: Any) -> Any:
        return _unknown_to_none(value)

    @field_validator("gender", "region", "role", "status_after", mode="before")
    @classmethod
    def _empty_is_unknown(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return "unknown"
        return value


def text_hash(text: str) -> str:
    """A stable hash of a passage's text, insensitive to whitespace differences."""
    normal = " ".join(text.split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


class Passage(_Model):
    """One to five sentences of testimony, said by a case or attributed to them."""

    case_id: str
    text: str = Field(min_length=1)
    voice: Voice = Voice.FIRST
    lang: str | None = None
    source_id: str | None = None
    position: int = 0

    @property
    def passage_id(self) -> str:
        return passage_id(self.case_id, self.text)


def passage_id(case_id: str, text: str) -> str:
    """Case id plus a hash of the text: re-importing the same passage finds the same id."""
    return f"{case_id}-{text_hash(text)[:12]}"


Span = Annotated[tuple[int, int], Field(description="[start, end) character offsets")]


class Annotation(_Model):
    """A code on a passage, by a person or a machine, with its evidence and status."""

    passage_id: str
    code: str
    coder: str
    coder_kind: CoderKind = CoderKind.MACHINE
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    evidence: tuple[Span, ...] = ()
    status: AnnotationStatus = AnnotationStatus.SUGGESTED
    run_id: int | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    memo: str | None = None


class Corpus(BaseModel):
    """Cases, their sources, passages and annotations: what analysis and reports work on."""

    model_config = ConfigDict(frozen=True)

    cases: tuple[Case, ...] = ()
    sources: tuple[Source, ...] = ()
    case_sources: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    passages: tuple[Passage, ...] = ()
    annotations: tuple[Annotation, ...] = ()

    def passages_of(self, case_id: str) -> list[Passage]:
        return [p for p in self.passages if p.case_id == case_id]

    @property
    def source_by_id(self) -> dict[str, Source]:
        return {s.source_id: s for s in self.sources}
