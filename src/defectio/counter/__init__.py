"""Counter-messaging: answer a recruiting claim with the testimony that contradicts it.

Pure core: detect the claim's join narratives, choose the exit narratives that answer them
through the codebook's counter map, rank passages (relevance, code strength, credibility,
audience, diversity), hold back cases that still back the cause, and return a message pack.
"""

from __future__ import annotations

from defectio.counter.answer import answer, counter, default_coder, reference_index
from defectio.counter.audience import Audience, parse_audience
from defectio.counter.index import CounterIndex, Testimony, build_index
from defectio.counter.pack import Answer, JoinHit, MessagePack, Theme
from defectio.counter.rank import Weights

__all__ = [
    "Answer",
    "Audience",
    "CounterIndex",
    "JoinHit",
    "MessagePack",
    "Testimony",
    "Theme",
    "Weights",
    "answer",
    "build_index",
    "counter",
    "default_coder",
    "parse_audience",
    "reference_index",
]
