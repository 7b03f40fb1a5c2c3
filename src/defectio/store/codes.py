"""Which codes a passage and a case carry, in SQL, and the ``case_codes`` table that keeps
the answer per case for the combined basis.

The rule is the one ``analysis/counts.py`` states in Python over a whole corpus: a reviewer's
latest ruling on a disagreement first, then people's decisions (any acceptance beats a
rejection), then the latest machine run's open suggestions. Here it is one ``GROUP BY`` over
the annotations, restricted to what a read asks for. The write path (``repo.py``) keeps
``case_codes`` with it in the same transaction as every change.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from defectio.model import SETTLED_PREFIX
from defectio.store.schema import AnnotationRow, CaseCodeRow, PassageRow

CHUNK = 500
Basis = Literal["combined", "people", "machine"]
PERSON, MACHINE = "person", "machine"
SUGGESTED, ACCEPTED, REJECTED = "suggested", "accepted", "rejected"


def latest_machine_run(s: Session | Connection) -> int | None:
    """The largest run id among machine annotations: the run whose suggestions count."""
    return s.scalar(
        select(func.max(AnnotationRow.run_id)).where(AnnotationRow.coder_kind == MACHINE)
    )


def settlement() -> ColumnElement[bool]:
    return and_(
        AnnotationRow.coder_kind == PERSON,
        func.substr(AnnotationRow.coder, 1, len(SETTLED_PREFIX)) == SETTLED_PREFIX,
    )


def carried_units(
    run: int | None,
    basis: Basis = "combined",
    *,
    code: str | None = None,
    case_ids: Collection[str] | None = None,
) -> Select[Any]:
    """``(passage_id, case_id, code, reviewed)`` for every code a passage carries on a basis;
    ``reviewed`` is 1 when a person's decision (or a ruling) carries it, 0 for a suggestion."""
    a = AnnotationRow
    person = a.coder_kind == PERSON
    is_ruling = settlement()
    ruling = and_(is_ruling, a.status != SUGGESTED)
    decision = or_(and_(person, not_(is_ruling)), and_(not_(person), a.status != SUGGESTED))
    accepted = case((a.status == ACCEPTED, 1), else_=0)
    # The latest ruling's verdict: the largest (id * 2 + accepted) among rulings, mod 2.
    ruling_key = func.max(case((ruling, cast(a.annotation_id, BigInteger) * 2 + accepted)))
    decided = func.max(
        case(
            (and_(decision, a.status == ACCEPTED), 1),
            (and_(decision, a.status == REJECTED), 0),
        )
    )
    suggested = and_(not_(person), a.status == SUGGESTED, a.run_id == run)
    machine = func.max(case((suggested, 1), else_=0))
    units = select(
        a.passage_id.label("passage_id"),
        a.code.label("code"),
        func.coalesce(ruling_key % 2, decided).label("final"),
        machine.label("machine"),
    ).group_by(a.passage_id, a.code)
    if code is not None:
        units = units.where(a.code == code)
    if case_ids is not None:
        units = units.where(
            a.passage_id.in_(
                select(PassageRow.passage_id).where(PassageRow.case_id.in_(list(case_ids)))
            )
        )
    u = units.subquery()
    if basis == "machine":
        carries: ColumnElement[bool] = u.c.machine == 1
        reviewed: ColumnElement[Any] = literal(0)
    elif basis == "people":
        carries, reviewed = u.c.final == 1, literal(1)
    else:
        carries = or_(u.c.final == 1, and_(u.c.final.is_(None), u.c.machine == 1))
        reviewed = case((u.c.final == 1, 1), else_=0)
    return (
        select(u.c.passage_id, PassageRow.case_id, u.c.code, reviewed.label("reviewed"))
        .join(PassageRow, PassageRow.passage_id == u.c.passage_id)
        .where(carries)
    )


def case_units(
    run: int | None,
    basis: Basis = "combined",
    *,
    code: str | None = None,
    case_ids: Collection[str] | None = None,
) -> Select[Any]:
    """``(case_id, code, reviewed)``: a case carries a code if any passage does; reviewed
    when a person's decision carries it on at least one passage."""
    units = carried_units(run, basis, code=code, case_ids=case_ids).subquery()
    return select(
        units.c.case_id, units.c.code, func.max(units.c.reviewed).label("reviewed")
    ).group_by(units.c.case_id, units.c.code)


#: Key of the PostgreSQL advisory lock that serialises ``case_codes`` refills.
REFILL_LOCK = 0x0DEFEC7C0DE5


def refill_case_codes(db: Session | Connection, case_ids: Collection[str] | None) -> None:
    """Recompute ``case_codes`` for these cases (``None``: every case).

    On PostgreSQL two transactions refilling the same case would both delete its rows and
    then both insert them; a transaction-scoped advisory lock makes the second wait for the
    first to commit, and its statements then read what the first wrote. (SQLite holds one
    writer at a time already.)"""
    dialect = db.get_bind().dialect if isinstance(db, Session) else db.dialect
    if dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(REFILL_LOCK)))
    run = latest_machine_run(db)
    if case_ids is None:
        db.execute(delete(CaseCodeRow))
        db.execute(_fill(run, None))
        return
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        db.execute(delete(CaseCodeRow).where(CaseCodeRow.case_id.in_(chunk)))
        db.execute(_fill(run, chunk))


def _fill(run: int | None, case_ids: Collection[str] | None) -> Any:
    units = carried_units(run, "combined", case_ids=case_ids).subquery()
    rows = select(
        units.c.case_id,
        units.c.code,
        func.count().label("passages"),
        func.sum(1 - units.c.reviewed).label("unreviewed_passages"),
    ).group_by(units.c.case_id, units.c.code)
    columns = ["case_id", "code", "passages", "unreviewed_passages"]
    return insert(CaseCodeRow).from_select(columns, rows)


def cases_of_passages(db: Session | Connection, passage_ids: Collection[str]) -> set[str]:
    ids = sorted(set(passage_ids))
    out: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        out.update(db.scalars(select(PassageRow.case_id).where(PassageRow.passage_id.in_(chunk))))
    return out
