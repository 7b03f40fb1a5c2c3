"""Reads in SQL that touch only what they return: a page of cases with their codes, a case's
sources and passages, a page of passages, the review queue, the codes per case and per code,
and the passages that more than one coder judged.

Which codes a case carries (``codes.py``) is read from ``case_codes`` on the combined basis,
which the write path keeps; the people and machine bases are aggregated from the annotations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from defectio.model import Case, PartialDate, Passage, Source
from defectio.store.codes import (
    PERSON,
    SUGGESTED,
    Basis,
    carried_units,
    case_units,
    latest_machine_run,
    settlement,
)
from defectio.store.repo import Store, _case_from_row, _passage_from_row
from defectio.store.schema import (
    AnnotationRow,
    CaseCodeRow,
    CaseRow,
    CaseSourceRow,
    CodingRunRow,
    EventRow,
    PassageRow,
    RunPassageRow,
    SourceRow,
)

UNKNOWN_YEAR = "unknown"


def latest_run(s: Session) -> int | None:
    """The latest coding run, whether or not it suggested anything: the review queue's."""
    return s.scalar(select(func.max(CodingRunRow.run_id)))


@dataclass(frozen=True)
class CodeTally:
    """One code's counts on a basis: cases and passages carrying it, and how many of each rest
    only on unreviewed machine suggestions."""

    cases: int
    unreviewed_cases: int
    passages: int
    unreviewed_passages: int


def code_tallies(store: Store, basis: Basis = "combined") -> dict[str, CodeTally]:
    """Every code any passage carries, with its counts (aggregates, no rows returned)."""
    if basis == "combined":
        return _kept_tallies(store)
    with Session(store.engine) as s:
        run = latest_machine_run(s)
        by_case = case_units(run, basis).subquery()
        cases = {
            r.code: (int(r.n), int(r.n - r.reviewed))
            for r in s.execute(
                select(
                    by_case.c.code,
                    func.count().label("n"),
                    func.sum(by_case.c.reviewed).label("reviewed"),
                ).group_by(by_case.c.code)
            )
        }
        units = carried_units(run, basis).subquery()
        passages = {
            r.code: (int(r.n), int(r.n - r.reviewed))
            for r in s.execute(
                select(
                    units.c.code,
                    func.count().label("n"),
                    func.sum(units.c.reviewed).label("reviewed"),
                ).group_by(units.c.code)
            )
        }
    return {
        code: CodeTally(n, unreviewed, *passages.get(code, (0, 0)))
        for code, (n, unreviewed) in cases.items()
    }


def _kept_tallies(store: Store) -> dict[str, CodeTally]:
    c = CaseCodeRow
    only_unreviewed = case((c.passages == c.unreviewed_passages, 1), else_=0)
    with Session(store.engine) as s:
        rows = s.execute(
            select(
                c.code,
                func.count(),
                func.sum(only_unreviewed),
                func.sum(c.passages),
                func.sum(c.unreviewed_passages),
            ).group_by(c.code)
        )
        return {code: CodeTally(int(n), int(u), int(p), int(up)) for code, n, u, p, up in rows}


@dataclass(frozen=True)
class CaseTallies:
    cases: int
    passages: int
    by_gender: dict[str, int]
    by_region: dict[str, int]
    by_year_left: dict[str, int]


def case_tallies(store: Store) -> CaseTallies:
    """Cases by gender, region and year of leaving, and the number of passages."""
    with Session(store.engine) as s:

        def tally(column: Any) -> dict[str, int]:
            rows = s.execute(select(column, func.count()).group_by(column))
            return {str(value): int(n) for value, n in rows}

        years: dict[str, int] = {}
        # Literal bounds: PostgreSQL matches a GROUP BY expression to the select list only
        # when both are the same text, and bound parameters would differ.
        year = func.substr(CaseRow.left, literal_column("1"), literal_column("4"))
        for value, n in s.execute(select(year, func.count()).group_by(year)):
            key = str(int(value)) if value is not None else UNKNOWN_YEAR
            years[key] = years.get(key, 0) + int(n)
        return CaseTallies(
            cases=s.scalar(select(func.count()).select_from(CaseRow)) or 0,
            passages=s.scalar(select(func.count()).select_from(PassageRow)) or 0,
            by_gender=tally(CaseRow.gender),
            by_region=tally(CaseRow.region),
            by_year_left=years,
        )


# -- cases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseQuery:
    """The case list's filters; ``None`` (or empty) leaves a field unfiltered."""

    gender: str | None = None
    region: str | None = None
    year: str | None = None
    code: str | None = None
    basis: Basis = "combined"


def _year_clause(year: str) -> ColumnElement[bool]:
    if year == UNKNOWN_YEAR:
        return CaseRow.left.is_(None)
    if not year.isdigit() or str(int(year)) != year:
        return literal(False)
    # PartialDate writes the year with four digits, then "-MM" and "-DD" when known.
    padded = f"{int(year):04d}"
    return or_(CaseRow.left == padded, CaseRow.left.like(padded + "-%"))


def _case_where(s: Session, q: CaseQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.gender:
        where.append(CaseRow.gender == q.gender)
    if q.region:
        where.append(CaseRow.region == q.region)
    if q.year:
        where.append(_year_clause(q.year))
    if q.code and q.basis == "combined":
        carrying = select(CaseCodeRow.case_id).where(CaseCodeRow.code == q.code)
        where.append(CaseRow.case_id.in_(carrying))
    elif q.code:
        units = case_units(latest_machine_run(s), q.basis, code=q.code).subquery()
        where.append(CaseRow.case_id.in_(select(units.c.case_id)))
    return where


def case_codes(
    store: Store, case_ids: Collection[str], basis: Basis = "combined"
) -> dict[str, list[str]]:
    """The codes each of these cases carries, sorted."""
    with Session(store.engine) as s:
        return _case_codes(s, case_ids, basis)


def _case_codes(s: Session, case_ids: Collection[str], basis: Basis) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {c: [] for c in case_ids}
    if not case_ids:
        return out
    if basis == "combined":
        kept = select(CaseCodeRow.case_id, CaseCodeRow.code).where(
            CaseCodeRow.case_id.in_(list(case_ids))
        )
        rows = [(r.case_id, r.code) for r in s.execute(kept)]
    else:
        units = case_units(latest_machine_run(s), basis, case_ids=case_ids)
        rows = [(r.case_id, r.code) for r in s.execute(units)]
    for case_id, code in rows:
        out.setdefault(case_id, []).append(code)
    return {c: sorted(codes) for c, codes in out.items()}


def find_cases(
    store: Store, q: CaseQuery, *, limit: int | None = None, offset: int = 0
) -> tuple[list[tuple[Case, list[str]]], int]:
    """A page of the cases that match, in case id order, each with its codes; and how many
    match in all."""
    with Session(store.engine) as s:
        where = _case_where(s, q)
        total = s.scalar(select(func.count()).select_from(CaseRow).where(*where)) or 0
        page = select(CaseRow).where(*where).order_by(CaseRow.case_id).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        cases = [_case_from_row(r) for r in s.scalars(page)]
        codes = _case_codes(s, [c.case_id for c in cases], q.basis)
    return [(c, codes[c.case_id]) for c in cases], total


def departures(store: Store) -> list[tuple[str, str | None]]:
    """Every case's id and date of leaving (as stored: ``YYYY[-MM[-DD]]``), in case order."""
    with Session(store.engine) as s:
        rows = s.execute(select(CaseRow.case_id, CaseRow.left).order_by(CaseRow.case_id))
        return [(r.case_id, r.left) for r in rows]


def count_cases(store: Store) -> int:
    with Session(store.engine) as s:
        return s.scalar(select(func.count()).select_from(CaseRow)) or 0


def case_filter_values(store: Store) -> dict[str, list[str]]:
    """The values the case list can be filtered by: genders, regions and years present."""
    with Session(store.engine) as s:
        genders = sorted(s.scalars(select(CaseRow.gender).distinct()))
        regions = sorted(s.scalars(select(CaseRow.region).distinct()))
        lefts = s.scalars(select(func.substr(CaseRow.left, 1, 4)).distinct())
        years = sorted({str(int(y)) if y is not None else UNKNOWN_YEAR for y in lefts})
    return {"gender": genders, "region": regions, "year": years}


def get_case(store: Store, case_id: str) -> Case | None:
    with Session(store.engine) as s:
        row = s.get(CaseRow, case_id)
        return _case_from_row(row) if row is not None else None


def case_sources(store: Store, case_id: str) -> list[Source]:
    """A case's sources in the order they were linked."""
    with Session(store.engine) as s:
        rows = s.scalars(
            select(SourceRow)
            .join(CaseSourceRow, CaseSourceRow.source_id == SourceRow.source_id)
            .where(CaseSourceRow.case_id == case_id)
            .order_by(CaseSourceRow.position, CaseSourceRow.source_id)
        )
        return [
            Source(
                url=r.url,
                outlet=r.outlet,
                title=r.title,
                published=PartialDate.parse(r.published) if r.published else None,
            )
            for r in rows
        ]


# -- passages ----------------------------------------------------------------------------
def find_passages(
    store: Store, *, case_id: str | None = None, limit: int | None = None, offset: int = 0
) -> list[Passage]:
    """Passages in case then position order; optionally one case's."""
    with Session(store.engine) as s:
        q = select(PassageRow).order_by(
            PassageRow.case_id, PassageRow.position, PassageRow.passage_id
        )
        if case_id is not None:
            q = q.where(PassageRow.case_id == case_id)
        q = q.offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return [_passage_from_row(r) for r in s.scalars(q)]


def passage_texts(store: Store, passage_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    """``passage_id -> (case_id, text)`` for these passages."""
    if not passage_ids:
        return {}
    with Session(store.engine) as s:
        rows = s.execute(
            select(PassageRow.passage_id, PassageRow.case_id, PassageRow.text).where(
                PassageRow.passage_id.in_(list(passage_ids))
            )
        )
        return {r.passage_id: (r.case_id, r.text) for r in rows}


# -- review ------------------------------------------------------------------------------
def person_decided() -> ColumnElement[bool]:
    """A person has a code on the annotation's passage and code."""
    person = aliased(AnnotationRow)
    return exists().where(
        and_(
            person.passage_id == AnnotationRow.passage_id,
            person.code == AnnotationRow.code,
            person.coder_kind == PERSON,
        )
    )


def open_suggestions_query(run: int) -> Select[Any]:
    """Suggestions of a run that no person has decided on yet."""
    return select(AnnotationRow).where(
        AnnotationRow.run_id == run,
        AnnotationRow.status == SUGGESTED,
        ~person_decided(),
    )


# -- agreement ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class JudgedPassage:
    passage_id: str
    case_id: str
    position: int


@dataclass(frozen=True, slots=True)
class JudgedCode:
    passage_id: str
    code: str
    coder: str
    coder_kind: str
    status: str
    run_id: int | None


def jointly_judged(
    store: Store,
) -> tuple[list[JudgedPassage], list[JudgedCode], set[str], int | None]:
    """What agreement between coders can rest on: the passages a person (other than a
    reviewer's ruling) has coded, in case order, with every annotation on them; which of them
    the latest machine run has seen; and that run. A passage no person coded has one coder at
    most, so it adds no pair, no pairable unit and no disagreement."""
    with Session(store.engine) as s:
        run = latest_machine_run(s)
        coded = (
            select(AnnotationRow.passage_id)
            .where(AnnotationRow.coder_kind == PERSON, not_(settlement()))
            .distinct()
        )
        p, a = PassageRow, AnnotationRow
        passages = [
            JudgedPassage(*r)
            for r in s.execute(
                select(p.passage_id, p.case_id, p.position)
                .where(p.passage_id.in_(coded))
                .order_by(p.case_id, p.position)
            )
        ]
        annotations = [
            JudgedCode(*r)
            for r in s.execute(
                select(a.passage_id, a.code, a.coder, a.coder_kind, a.status, a.run_id)
                .where(a.passage_id.in_(coded))
                .order_by(a.annotation_id)
            )
        ]
        seen: set[str] = set()
        if run is not None:
            seen = set(
                s.scalars(
                    select(RunPassageRow.passage_id).where(
                        RunPassageRow.run_id == run, RunPassageRow.passage_id.in_(coded)
                    )
                )
            )
    return passages, annotations, seen, run


def settled_events(store: Store) -> list[dict[str, Any]]:
    """The ``disagreement.settled`` events, oldest first (each names a settled unit)."""
    with Session(store.engine) as s:
        rows = s.execute(
            select(EventRow.action, EventRow.payload)
            .where(EventRow.action == "disagreement.settled")
            .order_by(EventRow.event_id)
        )
        return [{"action": r.action, "payload": r.payload} for r in rows]
