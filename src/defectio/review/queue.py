"""What to review next: the suggestions a decision would teach the most, most uncertain first
(probability nearest one half), then by case and passage so a reviewer keeps context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Reviewable(Protocol):
    @property
    def passage_id(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def probability(self) -> float | None: ...


def uncertainty(probability: float | None) -> float:
    """1 at p = 0.5, 0 at p = 0 or 1; a suggestion without a probability counts as certain."""
    if probability is None:
        return 0.0
    return 1.0 - 2.0 * abs(probability - 0.5)


R = TypeVar("R", bound=Reviewable)


def review_order(suggestions: Sequence[R]) -> list[R]:
    return sorted(suggestions, key=lambda s: (-uncertainty(s.probability), s.passage_id, s.code))
