"""Annotations by id, for people reviewing them: the open suggestions, a case's passages with
their codes, and the decisions (accept, reject, add, memo, settle) as one write each.

A decision is kept twice, on purpose: the machine suggestion's status changes (so counts see
it reviewed) and the person's own annotation is added (so agreement sees who said what)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from defectio.errors import InputError, NotFoundError
from defectio.model import SETTLED_PREFIX, Annotation, AnnotationStatus, CoderKind
from defectio.store.reads import latest_run, open_suggestions_query
from defectio.store.repo import Store, UnitOfWork, _utc
from defectio.store.schema import AnnotationRow, PassageRow


@dataclass(frozen=True)
class StoredAnnotation:
    annotation_id: int
    passage_id: str
    code: str
    coder: str
    coder_kind: str
    probability: float | None
    evidence: tuple[tuple[int, int], ...]
    status: str
    run_id: int | None
    memo: str | None
    created_at: datetime


def _stored(r: AnnotationRow) -> StoredAnnotation:
    return StoredAnnotation(
        annotation_id=r.annotation_id,
        passage_id=r.passage_id,
        code=r.code,
        coder=r.coder,
        coder_kind=r.coder_kind,
        probability=r.probability,
        evidence=tuple((int(a), int(b)) for a, b in r.evidence),
        status=r.status,
        run_id=r.run_id,
        memo=r.memo,
        created_at=_utc(r.created_at),
    )


def open_suggestions(store: Store) -> list[StoredAnnotation]:
    """Suggestions of the latest run that no person has decided on yet."""
    with Session(store.engine) as s:
        run = latest_run(s)
        if run is None:
            return []
        return [_stored(r) for r in s.scalars(open_suggestions_query(run))]


def review_queue(store: Store, limit: int) -> tuple[list[StoredAnnotation], int]:
    """The first ``limit`` open suggestions in ``review/queue.py``'s order (most uncertain
    first: 1 - 2|p - 0.5|, then passage, then code), and how many are open in all."""
    with Session(store.engine) as s:
        run = latest_run(s)
        if run is None:
            return [], 0
        total = s.scalar(select(func.count()).select_from(open_suggestions_query(run).subquery()))
        p = AnnotationRow.probability
        uncertainty = func.coalesce(1.0 - 2.0 * func.abs(p - 0.5), 0.0)
        rows = s.scalars(
            open_suggestions_query(run)
            .order_by(uncertainty.desc(), AnnotationRow.passage_id, AnnotationRow.code)
            .limit(limit)
        )
        return [_stored(r) for r in rows], total or 0


def get_annotation(store: Store, annotation_id: int) -> StoredAnnotation | None:
    with Session(store.engine) as s:
        row = s.get(AnnotationRow, annotation_id)
        return _stored(row) if row is not None else None


def list_annotations(
    store: Store,
    *,
    passage_id: str | None = None,
    case_id: str | None = None,
    code: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[StoredAnnotation]:
    with Session(store.engine) as s:
        q = select(AnnotationRow).order_by(AnnotationRow.annotation_id)
        if passage_id is not None:
            q = q.where(AnnotationRow.passage_id == passage_id)
        if case_id is not None:
            q = q.join(PassageRow, PassageRow.passage_id == AnnotationRow.passage_id).where(
                PassageRow.case_id == case_id
            )
        if code is not None:
            q = q.where(AnnotationRow.code == code)
        if status is not None:
            q = q.where(AnnotationRow.status == status)
        return [_stored(r) for r in s.scalars(q.limit(limit).offset(offset))]


# -- decisions -----------------------------------------------------------------------------
def _own(
    uow: UnitOfWork,
    passage_id: str,
    code: str,
    status: AnnotationStatus,
    *,
    evidence: tuple[tuple[int, int], ...] = (),
    memo: str | None = None,
    coder: str | None = None,
) -> int:
    """The acting person's annotation of a code on a passage, added or updated; its id."""
    coder = coder or uow.actor
    uow.add_annotation(
        Annotation(
            passage_id=passage_id,
            code=code,
            coder=coder,
            coder_kind=CoderKind.PERSON,
            probability=None,
            evidence=evidence,
            status=status,
            memo=memo,
        )
    )
    uow.flush()
    row = uow.session.scalars(
        select(AnnotationRow).where(
            AnnotationRow.passage_id == passage_id,
            AnnotationRow.code == code,
            AnnotationRow.coder == coder,
            AnnotationRow.run_id.is_(None),
        )
    ).one()
    if memo is not None:
        row.memo = memo
    return row.annotation_id


def decide(
    uow: UnitOfWork, annotation_id: int, status: AnnotationStatus, memo: str | None = None
) -> int:
    """Accept or reject a suggestion (or another person's code): its status changes and the
    reviewer's own decision is recorded. Returns the reviewer's annotation id."""
    if status == AnnotationStatus.SUGGESTED:
        raise InputError("a decision is accepted or rejected")
    row = uow.session.get(AnnotationRow, annotation_id)
    if row is None:
        raise NotFoundError(f"no annotation {annotation_id}")
    if row.coder_kind == CoderKind.MACHINE.value:
        uow.set_annotation_status(annotation_id, status)
    else:
        # Another person's code keeps its status (it is their judgement, and agreement
        # compares it with this one); the decision is the reviewer's own annotation.
        uow.append_event(
            f"annotation.{status.value}",
            "annotation",
            str(annotation_id),
            {"code": row.code, "passage_id": row.passage_id, "of": row.coder},
        )
    evidence = tuple((int(a), int(b)) for a, b in row.evidence)
    return _own(uow, row.passage_id, row.code, status, evidence=evidence, memo=memo)


def add_code(
    uow: UnitOfWork,
    passage_id: str,
    code: str,
    known_codes: set[str],
    memo: str | None = None,
    evidence: tuple[tuple[int, int], ...] = (),
) -> int:
    """A person adds a code to a passage."""
    passage = uow.session.get(PassageRow, passage_id)
    if passage is None:
        raise NotFoundError(f"no passage {passage_id}")
    if code not in known_codes:
        raise InputError(f"code {code!r} is not in the codebook")
    for start, end in evidence:
        if not 0 <= start < end <= len(passage.text):
            raise InputError(f"evidence span [{start}, {end}] is outside the passage")
    new_id = _own(uow, passage_id, code, AnnotationStatus.ACCEPTED, evidence=evidence, memo=memo)
    uow.append_event("annotation.added", "annotation", str(new_id), {"code": code})
    return new_id


def set_memo(uow: UnitOfWork, annotation_id: int, memo: str) -> None:
    row = uow.session.get(AnnotationRow, annotation_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no annotation {annotation_id}")
    row.memo = memo or None
    # The memo's words stay out of the log: they may be sensitive.
    uow.append_event("annotation.memo", "annotation", str(annotation_id), {"chars": len(memo)})


def settle(
    uow: UnitOfWork, passage_id: str, code: str, present: bool, known_codes: set[str]
) -> int:
    """A reviewer settles a disagreement: the verdict is recorded as an annotation by
    ``settled:REVIEWER`` (which the counts put above every person's code on the passage), the
    latest run's suggestion (if any) follows it, and the event marks the unit settled."""
    if uow.session.get(PassageRow, passage_id) is None:
        raise NotFoundError(f"no passage {passage_id}")
    if code not in known_codes:
        raise InputError(f"code {code!r} is not in the codebook")
    status = AnnotationStatus.ACCEPTED if present else AnnotationStatus.REJECTED
    run = latest_run(uow.session)
    suggestion = uow.session.scalars(
        select(AnnotationRow).where(
            AnnotationRow.passage_id == passage_id,
            AnnotationRow.code == code,
            AnnotationRow.run_id == run,
        )
    ).first()
    if suggestion is not None and run is not None and suggestion.status != status.value:
        uow.set_annotation_status(suggestion.annotation_id, status)
    own = _own(uow, passage_id, code, status, coder=SETTLED_PREFIX + uow.actor)
    uow.append_event(
        "disagreement.settled",
        "passage",
        passage_id,
        {"passage_id": passage_id, "code": code, "present": present},
    )
    return own


def settled_units(events: list[dict[str, object]]) -> set[tuple[str, str]]:
    """The (passage, code) units a reviewer has settled, from the event log."""
    out: set[tuple[str, str]] = set()
    for e in events:
        payload = e.get("payload")
        if e.get("action") == "disagreement.settled" and isinstance(payload, dict):
            out.add((str(payload.get("passage_id")), str(payload.get("code"))))
    return out
