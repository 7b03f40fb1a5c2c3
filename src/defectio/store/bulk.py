"""Batched writes for imports: many rows per statement inside the caller's unit of work.

Each function looks up which of its rows exist (one ``IN`` query), inserts the new ones with
one executemany and updates the changed ones, through SQLAlchemy Core, so no ORM object is
kept per row and an import's memory does not grow with its size. A row given twice in one
batch is written once; the second time counts as unchanged, as a second upsert would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import insert, select, update

from defectio.model import Annotation, Case, Passage, Source
from defectio.store.repo import Change, UnitOfWork, case_fields_hash
from defectio.store.schema import (
    AnnotationRow,
    CaseRow,
    CaseSourceRow,
    PassageRow,
    SourceRow,
    utcnow,
)

CHUNK = 500  # rows per lookup: keeps an IN list well inside every backend's parameter limit
T = TypeVar("T")


def _chunked(
    write: Callable[[UnitOfWork, Sequence[T]], list[Change]],
) -> Callable[[UnitOfWork, Sequence[T]], list[Change]]:
    """Run ``write`` on slices of at most ``CHUNK`` rows, one after the other."""

    @wraps(write)
    def run(uow: UnitOfWork, rows: Sequence[T]) -> list[Change]:
        out: list[Change] = []
        for start in range(0, len(rows), CHUNK):
            out += write(uow, rows[start : start + CHUNK])
        return out

    return run


@_chunked
def upsert_cases(uow: UnitOfWork, cases: Sequence[Case]) -> list[Change]:
    """Add new cases, update those whose fields changed (``updated_at`` moves)."""
    ids = list({c.case_id for c in cases})
    rows = uow.session.execute(
        select(CaseRow.case_id, CaseRow.fields_hash).where(CaseRow.case_id.in_(ids))
    )
    known = {r.case_id: r.fields_hash for r in rows}
    now = utcnow()
    new: list[dict[str, Any]] = []
    out: list[Change] = []
    for case in cases:
        digest = case_fields_hash(case)
        before = known.get(case.case_id)
        if before == digest:
            out.append("unchanged")
            continue
        data = case.model_dump(mode="json")
        known[case.case_id] = digest
        if before is None:
            new.append({**data, "fields_hash": digest, "created_at": now, "updated_at": now})
            out.append("added")
        else:
            uow.session.execute(
                update(CaseRow)
                .where(CaseRow.case_id == case.case_id)
                .values(**data, fields_hash=digest, updated_at=now)
            )
            out.append("updated")
    if new:
        uow.session.execute(insert(CaseRow), new)
    return out


@_chunked
def upsert_sources(uow: UnitOfWork, sources: Sequence[Source]) -> list[Change]:
    """Add new sources; a known one takes the outlet, title and date it lacked or that changed."""
    ids = list({s.source_id for s in sources})
    rows = uow.session.execute(
        select(SourceRow.source_id, SourceRow.outlet, SourceRow.title, SourceRow.published).where(
            SourceRow.source_id.in_(ids)
        )
    )
    known: dict[str, tuple[str | None, str | None, str | None]] = {
        r.source_id: (r.outlet, r.title, r.published) for r in rows
    }
    new: list[dict[str, Any]] = []
    out: list[Change] = []
    for source in sources:
        published = str(source.published) if source.published else None
        before = known.get(source.source_id)
        if before is None:
            row = (source.outlet, source.title, published)
            new.append(
                {
                    "source_id": source.source_id,
                    "url": source.url,
                    "outlet": row[0],
                    "title": row[1],
                    "published": row[2],
                }
            )
            known[source.source_id] = row
            out.append("added")
            continue
        after = (source.outlet or before[0], source.title or before[1], published or before[2])
        if after == before:
            out.append("unchanged")
            continue
        uow.session.execute(
            update(SourceRow)
            .where(SourceRow.source_id == source.source_id)
            .values(outlet=after[0], title=after[1], published=after[2])
        )
        known[source.source_id] = after
        out.append("updated")
    if new:
        uow.session.execute(insert(SourceRow), new)
    return out


def link_sources(uow: UnitOfWork, links: Sequence[tuple[str, str, int]]) -> None:
    """``(case_id, source_id, position)`` links; one that exists keeps its position."""
    for start in range(0, len(links), CHUNK):
        _link_sources(uow, links[start : start + CHUNK])


def _link_sources(uow: UnitOfWork, links: Sequence[tuple[str, str, int]]) -> None:
    # By case id alone: an index lookup on every backend, where a row-value IN may not be.
    cases = list({c for c, _, _ in links})
    rows = uow.session.execute(
        select(CaseSourceRow.case_id, CaseSourceRow.source_id).where(
            CaseSourceRow.case_id.in_(cases)
        )
    )
    known = {(r.case_id, r.source_id) for r in rows}
    new = []
    for case_id, source_id, position in links:
        if (case_id, source_id) not in known:
            known.add((case_id, source_id))
            new.append({"case_id": case_id, "source_id": source_id, "position": position})
    if new:
        uow.session.execute(insert(CaseSourceRow), new)


@_chunked
def upsert_passages(uow: UnitOfWork, passages: Sequence[Passage]) -> list[Change]:
    """Add new passages; a known one takes a new voice, and the language and source it lacked."""
    ids = list({p.passage_id for p in passages})
    rows = uow.session.execute(
        select(
            PassageRow.passage_id, PassageRow.voice, PassageRow.lang, PassageRow.source_id
        ).where(PassageRow.passage_id.in_(ids))
    )
    known: dict[str, tuple[str, str | None, str | None]] = {
        r.passage_id: (r.voice, r.lang, r.source_id) for r in rows
    }
    now = utcnow()
    new: list[dict[str, Any]] = []
    out: list[Change] = []
    for passage in passages:
        pid = passage.passage_id
        before = known.get(pid)
        if before is None:
            known[pid] = (passage.voice.value, passage.lang, passage.source_id)
            new.append(
                {
                    "passage_id": pid,
                    "case_id": passage.case_id,
                    "source_id": passage.source_id,
                    "position": passage.position,
                    "text": passage.text,
                    "text_hash": pid.rsplit("-", 1)[-1],
                    "lang": passage.lang,
                    "voice": passage.voice.value,
                    "created_at": now,
                }
            )
            out.append("added")
            continue
        after = (passage.voice.value, passage.lang or before[1], passage.source_id or before[2])
        if after == before:
            out.append("unchanged")
            continue
        uow.session.execute(
            update(PassageRow)
            .where(PassageRow.passage_id == pid)
            .values(voice=after[0], lang=after[1], source_id=after[2])
        )
        known[pid] = after
        out.append("updated")
    if new:
        uow.session.execute(insert(PassageRow), new)
    return out


@_chunked
def add_person_codes(uow: UnitOfWork, codes: Sequence[Annotation]) -> list[Change]:
    """People's codes outside any run (imported labels): a code the same person already gave
    on the passage keeps its row and takes the new status."""
    keys = {(a.passage_id, a.code, a.coder) for a in codes}
    rows = uow.session.execute(
        select(
            AnnotationRow.annotation_id,
            AnnotationRow.passage_id,
            AnnotationRow.code,
            AnnotationRow.coder,
            AnnotationRow.status,
        ).where(
            AnnotationRow.passage_id.in_(list({k[0] for k in keys})),
            AnnotationRow.run_id.is_(None),
        )
    )
    known: dict[tuple[str, str, str], tuple[int | None, str]] = {
        (r.passage_id, r.code, r.coder): (r.annotation_id, r.status)
        for r in rows
        if (r.passage_id, r.code, r.coder) in keys
    }
    new: list[dict[str, Any]] = []
    out: list[Change] = []
    for ann in codes:
        if ann.run_id is not None:
            raise ValueError("add_person_codes takes codes outside any run")
        key = (ann.passage_id, ann.code, ann.coder)
        before = known.get(key)
        if before is not None and before[1] == ann.status.value:
            out.append("unchanged")
            continue
        if before is not None and before[0] is not None:
            uow.session.execute(
                update(AnnotationRow)
                .where(AnnotationRow.annotation_id == before[0])
                .values(status=ann.status.value)
            )
            known[key] = (before[0], ann.status.value)
            out.append("updated")
            continue
        if before is not None:  # given twice in this batch: the later status stands
            for row in new:
                if (row["passage_id"], row["code"], row["coder"]) == key:
                    row["status"] = ann.status.value
            known[key] = (None, ann.status.value)
            out.append("updated")
            continue
        known[key] = (None, ann.status.value)
        new.append(
            {
                "passage_id": ann.passage_id,
                "code": ann.code,
                "coder": ann.coder,
                "coder_kind": ann.coder_kind.value,
                "run_id": None,
                "probability": ann.probability,
                "evidence": [list(span) for span in ann.evidence],
                "status": ann.status.value,
                "created_at": ann.created_at,
                "memo": ann.memo,
            }
        )
        out.append("added")
    if new:
        uow.session.execute(insert(AnnotationRow), new)
    uow.touched.update(
        a.passage_id for a, change in zip(codes, out, strict=True) if change != "unchanged"
    )
    return out
