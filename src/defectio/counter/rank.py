"""Rank testimony against a claim: relevance to what it says, the answering code's strength,
credibility and audience match, then maximal marginal relevance so the answers come from
several cases. The stance gate is applied first and cannot be weighed away."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from defectio.counter.audience import Audience
from defectio.counter.index import CounterIndex, Testimony
from defectio.counter.relevance import F32, pairwise, similarities


@dataclass(frozen=True)
class Weights:
    """How the parts of a passage's score add up (they sum to 1), and the diversity rule."""

    relevance: float = 0.40
    code: float = 0.20
    topic: float = 0.10
    credibility: float = 0.12
    audience: float = 0.18
    mmr_lambda: float = 0.7  # 1: score only; 0: diversity only
    min_cases: int = 3  # distinct cases to reach before a case may answer twice


DEFAULT_WEIGHTS = Weights()
AUDIENCE_PARTS = {"lang": 0.5, "region": 0.25, "gender": 0.25}


@dataclass(frozen=True)
class Ranked:
    item: int  # index into CounterIndex.items
    score: float
    code: str  # the answering exit code that weighed most


def eligible(
    index: CounterIndex, answers: Mapping[str, float], include_unrenounced: bool
) -> list[int]:
    """Items that carry an answering code, minus gated cases unless they are asked for."""
    out = []
    for i, item in enumerate(index.items):
        if item.gated_by and not include_unrenounced:
            continue
        if any(item.codes.get(code, 0.0) > 0 for code in answers):
            out.append(i)
    return out


def audience_match(item: Testimony, audience: Audience) -> float:
    """Share of the audience's fields that the passage's speaker matches; language counts
    most, since a message is read before it is believed."""
    parts: list[tuple[float, bool]] = []
    if audience.lang is not None:
        parts.append((AUDIENCE_PARTS["lang"], item.lang == audience.lang))
    if audience.region is not None:
        parts.append((AUDIENCE_PARTS["region"], item.case.region == audience.region))
    if audience.gender is not None:
        parts.append((AUDIENCE_PARTS["gender"], item.case.gender == audience.gender))
    total = sum(w for w, _ in parts)
    return sum(w for w, ok in parts if ok) / total if total else 0.0


def best_code(item: Testimony, answers: Mapping[str, float]) -> tuple[str, float]:
    """The answering code this passage carries most strongly (weight times confidence)."""
    scored = [(answers[c] * item.codes.get(c, 0.0), c) for c in answers]
    strength, code = max(scored)
    return code, strength


def score_items(
    index: CounterIndex,
    rows: Sequence[int],
    query: F32,
    answers: Mapping[str, float],
    topic: Mapping[str, float],
    audience: Audience,
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[F32, list[str]]:
    """Each row's score in [0, 1] and its answering code."""
    if not rows:
        return np.zeros(0, dtype=np.float32), []
    rel = similarities(index.vectors[list(rows)], query)
    scores = np.zeros(len(rows), dtype=np.float32)
    codes = []
    for k, i in enumerate(rows):
        item = index.items[i]
        code, strength = best_code(item, answers)
        on_topic = max(topic.get(c, 0.0) for c in answers if item.codes.get(c, 0.0) > 0)
        scores[k] = (
            weights.relevance * rel[k]
            + weights.code * strength
            + weights.topic * on_topic
            + weights.credibility * item.credibility
            + weights.audience * audience_match(item, audience)
        )
        codes.append(code)
    return scores, codes


def diversify(
    scores: F32, similarity: F32, cases: Sequence[str], n: int, weights: Weights = DEFAULT_WEIGHTS
) -> list[int]:
    """Maximal marginal relevance over positions 0..len(scores)-1. Until ``min_cases``
    distinct cases are in, only new cases may enter; after that no case holds more than
    ceil(n / min_cases) places. The same case counts as fully similar."""
    chosen: list[int] = []
    per_case: dict[str, int] = {}
    cap = max(1, math.ceil(n / max(1, weights.min_cases)))
    remaining = list(range(len(scores)))
    while remaining and len(chosen) < n:
        pool = [k for k in remaining if per_case.get(cases[k], 0) < cap]
        fresh = [k for k in pool if cases[k] not in per_case]
        if len(per_case) < weights.min_cases and fresh:
            pool = fresh
        if not pool:
            break

        def mmr(k: int) -> float:
            penalty = 0.0
            for j in chosen:
                penalty = max(penalty, 1.0 if cases[j] == cases[k] else float(similarity[k, j]))
            return weights.mmr_lambda * float(scores[k]) - (1 - weights.mmr_lambda) * penalty

        best = max(pool, key=lambda k: (mmr(k), float(scores[k]), -k))
        chosen.append(best)
        remaining.remove(best)
        per_case[cases[best]] = per_case.get(cases[best], 0) + 1
    return chosen


def rank(
    index: CounterIndex,
    query: F32,
    answers: Mapping[str, float],
    topic: Mapping[str, float],
    audience: Audience,
    n: int,
    *,
    include_unrenounced: bool = False,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Ranked]:
    """The n answers for a claim, best first."""
    rows = eligible(index, answers, include_unrenounced)
    scores, codes = score_items(index, rows, query, answers, topic, audience, weights)
    # MMR looks at the strongest few dozen only: diversity among weak answers buys nothing.
    order = np.argsort(-scores, kind="stable")[: max(n * 8, 40)]
    top = [rows[k] for k in order]
    sim = pairwise(index.vectors, top) if top else np.zeros((0, 0), dtype=np.float32)
    picked = diversify(scores[order], sim, [index.items[i].case_id for i in top], n, weights)
    return [Ranked(top[k], round(float(scores[order][k]), 4), codes[order[k]]) for k in picked]
