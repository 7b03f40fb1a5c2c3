"""Two processes importing and reviewing the same store at the same time lose nothing, on
SQLite and on PostgreSQL: every import lands, every review is stored and logged once, and the
log of each annotation reads as one consistent history."""

from __future__ import annotations

import json
import multiprocessing as mp
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from defectio.ingest.importer import import_paths
from defectio.model import AnnotationStatus
from defectio.store.repo import Store
from defectio.store.schema import AnnotationRow
from tests.store.databases import BACKENDS, fresh_database

pytestmark = pytest.mark.integration

WORKERS = 2
IMPORTS = 6
STATUSES = (AnnotationStatus.ACCEPTED, AnnotationStatus.REJECTED)


@pytest.fixture(params=BACKENDS)
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


def _import_files(folder: Path, worker: int) -> list[Path]:
    """Small files of new cases, each case with its own source and a person's code."""
    paths = []
    for k in range(IMPORTS):
        rows = [
            {
                "case_id": f"W{worker}-{k}-{j}",
                "alias": f"worker {worker} file {k} case {j}",
                "gender": "m",
                "region": "Western Europe",
                "source_urls": [f"https://example.org/w{worker}/{k}/{j}"],
                "passages": [
                    {"text": f"Case {worker}.{k}.{j} saw them shoot prisoners.", "lang": "en"},
                    {
                        "text": f"Case {worker}.{k}.{j} found no Islamic State, only corruption.",
                        "lang": "en",
                        "labels": ["corruption"],
                    },
                ],
            }
            for j in range(2)
        ]
        path = folder / f"w{worker}-{k}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        paths.append(path)
    return paths


def _statuses(store: Store) -> dict[int, str]:
    with store.unit_of_work() as uow:
        rows = uow.session.execute(select(AnnotationRow.annotation_id, AnnotationRow.status))
        return {annotation_id: status for annotation_id, status in rows}


def _work(url: str, worker: int, paths: list[str], ids: list[int], start: Any) -> None:
    """One process: an import, then a round of reviews, in turn, each its own transaction.
    Both workers review the same annotations in the same order, so they often reach one at
    the same moment: each must log the status it really found."""
    store = Store(url)
    try:
        start.wait(timeout=60)
        rounds = [ids[i::IMPORTS] for i in range(IMPORTS)]
        for path, batch in zip(paths, rounds, strict=True):
            import_paths(store, [Path(path)], actor=f"worker{worker}")
            for n, annotation_id in enumerate(batch):
                with store.unit_of_work(f"worker{worker}") as uow:
                    uow.set_annotation_status(annotation_id, STATUSES[(n + worker) % 2])
    finally:
        store.dispose()


@pytest.fixture
def seeded(any_db_url: str, reference_path: Path) -> Iterator[Store]:
    """A store holding the reference corpus, whose people's codes the workers review."""
    store = Store(any_db_url)
    import_paths(store, [reference_path])
    yield store
    store.dispose()


def _run_workers(url: str, tmp_path: Path, ids: list[int]) -> list[int | None]:
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(WORKERS)
    procs = [
        ctx.Process(
            target=_work, args=(url, w, [str(p) for p in _import_files(tmp_path, w)], ids, start)
        )
        for w in range(WORKERS)
    ]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=300)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
    return [p.exitcode for p in procs]


def test_two_processes_importing_and_reviewing_at_once_lose_nothing(
    seeded: Store, tmp_path: Path
) -> None:
    initial = _statuses(seeded)
    ids = sorted(initial)
    cases_before = seeded.counts()["cases"]
    assert len(ids) >= 100  # the people's codes in the reference corpus

    assert _run_workers(seeded.url, tmp_path, ids) == [0] * WORKERS

    # every import landed, each logged once
    assert seeded.counts()["cases"] == cases_before + WORKERS * IMPORTS * 2
    events = seeded.events()
    imports = [e["actor"] for e in events if e["action"] == "import"]
    assert sorted(a for a in imports if a.startswith("worker")) == sorted(
        f"worker{w}" for w in range(WORKERS) for _ in range(IMPORTS)
    )

    # every review was stored and logged once; each annotation's log is one unbroken history
    reviews = [e for e in events if e["action"].startswith("annotation.")]
    assert len(reviews) == WORKERS * len(ids)
    final = _statuses(seeded)
    for annotation_id in ids:
        history = [e for e in reviews if e["target_id"] == str(annotation_id)]
        assert sorted(e["actor"] for e in history) == [f"worker{w}" for w in range(WORKERS)]
        status = initial[annotation_id]
        for event in history:
            assert event["payload"]["before"] == status, [
                (e["event_id"], e["actor"], e["action"], e["payload"]["before"]) for e in history
            ]
            status = event["action"].removeprefix("annotation.")
        assert final[annotation_id] == status
