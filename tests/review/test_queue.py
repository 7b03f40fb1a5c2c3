from __future__ import annotations

from dataclasses import dataclass

from defectio.review.queue import review_order, uncertainty


@dataclass(frozen=True)
class S:
    passage_id: str
    code: str
    probability: float | None


def test_uncertainty_is_highest_at_one_half() -> None:
    assert uncertainty(0.5) == 1.0
    assert uncertainty(1.0) == 0.0 and uncertainty(0.0) == 0.0
    assert uncertainty(0.6) > uncertainty(0.9)
    assert uncertainty(None) == 0.0


def test_the_most_uncertain_suggestion_comes_first_then_by_passage() -> None:
    items = [S("p2", "a", 0.95), S("p1", "b", 0.52), S("p3", "a", 0.7), S("p0", "c", 0.48)]
    assert [(s.passage_id, s.code) for s in review_order(items)] == [
        ("p0", "c"),
        ("p1", "b"),
        ("p3", "a"),
        ("p2", "a"),
    ]
