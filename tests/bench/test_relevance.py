"""The counter benchmark's hand relevance judgement names only passages of the bundled
reference corpus and judges every benchmark claim; its measures are the textbook ones."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from bench.relevance import RELEVANCE, load_judgement, ndcg_at, precision_at

from defectio.model import Corpus
from defectio.reference import load_reference

CLAIMS = RELEVANCE.parent / "claims.jsonl"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_reference().corpus


def test_the_judgement_names_only_passages_of_the_reference_corpus(corpus: Corpus) -> None:
    raw = yaml.safe_load(RELEVANCE.read_text("utf-8"))["claims"]
    named = {name for grades in raw.values() for name in grades}
    known = {f"{p.case_id}#{p.position}" for p in corpus.passages}
    assert named and named <= known, sorted(named - known)
    judged = load_judgement(corpus)
    ids = {p.passage_id for p in corpus.passages}
    assert all(set(grades) <= ids for grades in judged.values())


def test_every_benchmark_claim_is_judged_and_has_a_passage_that_contradicts_it(
    corpus: Corpus,
) -> None:
    claims = [json.loads(line) for line in CLAIMS.read_text("utf-8").splitlines() if line]
    judged = load_judgement(corpus)
    assert {c["id"] for c in claims} == set(judged)
    assert all(2 in grades.values() for grades in judged.values())


def test_an_unknown_passage_or_grade_is_an_error_naming_it(corpus: Corpus, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('claims:\n  en01:\n    "D999#0": 2\n', "utf-8")
    with pytest.raises(ValueError, match=r"claim en01: no passage D999#0"):
        load_judgement(corpus, bad)
    bad.write_text('claims:\n  en01:\n    "D001#0": 3\n', "utf-8")
    with pytest.raises(ValueError, match=r"D001#0: grade 3 is not 1 or 2"):
        load_judgement(corpus, bad)


def test_ndcg_and_precision_follow_their_definitions() -> None:
    grades = {"a": 2, "b": 1, "c": 1}
    pool = ["a", "b", "c", "d", "e", "f"]
    assert ndcg_at(["a", "b", "c"], grades, pool, 5) == pytest.approx(1.0)
    worst = ndcg_at(["d", "c", "b", "a"], grades, pool, 5)
    ideal = 3 + 1 / math.log2(3) + 1 / math.log2(4)
    got = 1 / math.log2(3) + 1 / math.log2(4) + 3 / math.log2(5)
    assert worst == pytest.approx(got / ideal)
    assert ndcg_at([], grades, pool, 5) == 0.0
    assert ndcg_at(["a"], grades, ["d"], 5) == 0.0  # nothing relevant could be returned
    assert precision_at(["a", "d", "b"], grades, 5, 1) == pytest.approx(2 / 5)
    assert precision_at(["a", "d", "b"], grades, 5, 2) == pytest.approx(1 / 5)
