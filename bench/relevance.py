"""The hand relevance judgement of the counter benchmark (``data/counter_relevance.yaml``) and
the ranking measures read against it: nDCG@k and precision@k at a minimum grade."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from defectio.model import Corpus

RELEVANCE = Path(__file__).parent / "data" / "counter_relevance.yaml"
GRADES = (1, 2)  # 0 is every passage a claim does not list


def passage_names(corpus: Corpus) -> dict[str, str]:
    """``CASE#POSITION`` -> the passage id the store uses."""
    return {f"{p.case_id}#{p.position}": p.passage_id for p in corpus.passages}


def load_judgement(corpus: Corpus, path: Path = RELEVANCE) -> dict[str, dict[str, int]]:
    """Claim id -> {passage id: grade}, checked against the corpus: an unknown passage or a
    grade outside 1-2 is an error naming the claim and the passage."""
    data = yaml.safe_load(path.read_text("utf-8"))
    names = passage_names(corpus)
    out: dict[str, dict[str, int]] = {}
    for claim, grades in (data.get("claims") or {}).items():
        mine = out.setdefault(str(claim), {})
        for name, grade in (grades or {}).items():
            if name not in names:
                raise ValueError(f"{path}: claim {claim}: no passage {name} in the corpus")
            if grade not in GRADES:
                raise ValueError(f"{path}: claim {claim}: {name}: grade {grade!r} is not 1 or 2")
            mine[names[name]] = int(grade)
    return out


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain with the exponential gain 2^grade - 1."""
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], pool: Iterable[str], k: int) -> float:
    """nDCG@k of ``ranked`` passage ids; the ideal ranking is drawn from ``pool``, the
    passages the ranker was allowed to return."""
    ideal = sorted((grades.get(p, 0) for p in pool), reverse=True)[:k]
    best = dcg(ideal)
    return dcg([grades.get(p, 0) for p in ranked[:k]]) / best if best else 0.0


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int, least: int) -> float:
    """Share of the k places held by a passage graded ``least`` or more (an empty place
    counts as a miss)."""
    return sum(grades.get(p, 0) >= least for p in ranked[:k]) / k
