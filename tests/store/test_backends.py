"""What SQLite and PostgreSQL do differently, and what the store makes the same on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from defectio.errors import StoreError
from defectio.model import Annotation, AnnotationStatus, Case, CoderKind, Passage
from defectio.store.repo import Store
from defectio.store.schema import AnnotationRow


def _one_passage(store: Store) -> str:
    passage = Passage(case_id="B1", text="They shot the baker in front of his shop.")
    with store.unit_of_work() as uow:
        uow.upsert_case(Case(case_id="B1", alias="b"))
        uow.flush()
        uow.upsert_passage(passage)
    return passage.passage_id


def test_times_come_back_as_aware_utc_on_every_backend(store: Store) -> None:
    pid = _one_passage(store)
    written = datetime(2015, 3, 2, 23, 30, tzinfo=UTC) + timedelta(microseconds=7)
    with store.unit_of_work() as uow:
        uow.add_annotation(
            Annotation(passage_id=pid, code="brutality", coder="a", created_at=written)
        )
        uow.append_event("annotation.added", "passage", pid)
    (annotation,) = store.corpus().annotations
    assert annotation.created_at == written
    assert annotation.created_at.utcoffset() == timedelta(0)
    at = store.events()[-1]["at"]
    assert at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=5)


def test_json_columns_round_trip_unicode_and_nesting(store: Store) -> None:
    pid = _one_passage(store)
    payload = {"note": "عاد إلى بلده — «enfin»", "spans": [[0, 4], [5, 9]], "n": 3, "ok": True}
    with store.unit_of_work() as uow:
        uow.add_annotation(
            Annotation(passage_id=pid, code="brutality", coder="a", evidence=((0, 4), (5, 9)))
        )
        uow.append_event("test", payload=payload)
    assert store.corpus().annotations[0].evidence == ((0, 4), (5, 9))
    assert store.events()[-1]["payload"] == payload


def test_review_status_changes_are_stored_and_logged(store: Store) -> None:
    pid = _one_passage(store)
    with store.unit_of_work() as uow:
        uow.add_annotation(
            Annotation(passage_id=pid, code="brutality", coder="m", coder_kind=CoderKind.MACHINE)
        )
    (annotation,) = store.corpus().annotations
    assert annotation.status == AnnotationStatus.SUGGESTED
    with store.unit_of_work("reviewer") as uow:
        (row_id,) = uow.session.scalars(select(AnnotationRow.annotation_id)).all()
        uow.set_annotation_status(row_id, AnnotationStatus.ACCEPTED)
    assert store.corpus().annotations[0].status == AnnotationStatus.ACCEPTED
    event = store.events()[-1]
    assert (event["action"], event["actor"]) == ("annotation.accepted", "reviewer")
    assert event["payload"]["before"] == "suggested"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("passage", "reason"),
    [
        ({"text": "a NUL \x00 inside"}, "cannot contain NUL"),
        ({"text": "A language tag too long.", "lang": "en-GB-oxendict"}, "value too long"),
    ],
)
def test_a_value_postgresql_refuses_is_one_clear_store_error_and_writes_nothing(
    store: Store, passage: dict[str, str], reason: str
) -> None:
    store.codebook()
    before = store.counts()
    refused = rf"the database refused a value: .*{reason}"
    with pytest.raises(StoreError, match=refused), store.unit_of_work() as uow:
        uow.upsert_case(Case(case_id="B2", alias="b"))
        uow.flush()
        uow.upsert_passage(Passage(case_id="B2", **passage))  # type: ignore[arg-type]
    assert store.counts() == before
