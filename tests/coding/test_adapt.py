"""Learning from review, the pure part: reviewed passages weighted up over the bundled data,
and the review queue's order over whole passages."""

from __future__ import annotations

from pathlib import Path

from defectio.coding.adapt import combine, uncertain_first
from defectio.coding.base import CodeScore, Coding
from defectio.coding.training import Example
from defectio.ingest.importer import import_paths
from defectio.reference import reference_jsonl
from defectio.store.repo import Store
from defectio.workflow import training_examples


def _coding(*ps: float) -> Coding:
    return Coding(tuple(CodeScore(f"c{i}", p, p >= 0.5) for i, p in enumerate(ps)))


def test_reviewed_passages_weigh_more_and_replace_a_bundled_row_with_the_same_text() -> None:
    bundled = [Example("a", ("x",)), Example("b", ())]
    reviewed = [Example("b", ("y",), group="case-1"), Example("c", (), group="case-2")]
    out = combine(bundled, reviewed, 4.0)
    assert [(e.text, e.labels, e.weight, e.real) for e in out] == [
        ("a", ("x",), 1.0, False),
        ("b", ("y",), 4.0, True),
        ("c", (), 4.0, True),
    ]


def test_the_most_uncertain_passage_comes_first_whatever_its_code() -> None:
    ids = ["p1", "p2", "p3"]
    codings = [_coding(0.05, 0.9), _coding(0.02, 0.55), _coding(0.3, 0.01)]
    assert uncertain_first(ids, codings) == ["p2", "p3", "p1"]


def test_training_from_the_store_weighs_its_reviewed_passages(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    try:
        import_paths(store, [reference_jsonl()])
        book = store.codebook()
        plain = training_examples(store, book, "reference")
        mixed = training_examples(store, book, "store", store_weight=3.0)
    finally:
        store.dispose()
    heavy = [e for e in mixed if e.weight == 3.0]
    assert heavy and all(e.origin == "store" and e.real for e in heavy)
    assert {e.weight for e in plain} == {1.0}
    texts = [e.text for e in mixed]
    assert len(texts) == len(set(texts))  # a reviewed text is not counted twice
