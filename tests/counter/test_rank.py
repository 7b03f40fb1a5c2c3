"""Ranking testimony: diversity over cases, audience match, the claim's language first."""

from __future__ import annotations

import numpy as np

from defectio.counter import CounterIndex, answer, build_index
from defectio.counter.audience import Audience
from defectio.counter.index import credibility, detail_score
from defectio.counter.rank import Weights, audience_match, diversify
from defectio.model import Gender, Region, Voice
from defectio.store.repo import Store
from tests.counter._testimony import FRENCH_CLAIM


def test_mmr_reaches_three_cases_before_any_case_answers_twice() -> None:
    scores = np.array([0.9, 0.89, 0.88, 0.5, 0.4, 0.3], dtype=np.float32)
    cases = ["A", "A", "A", "B", "C", "D"]
    sim = np.eye(6, dtype=np.float32)
    picked = diversify(scores, sim, cases, 5)
    assert len({cases[k] for k in picked[:3]}) == 3
    assert [cases[k] for k in picked].count("A") <= 2


def test_mmr_prefers_a_different_story_to_a_near_duplicate() -> None:
    scores = np.array([0.9, 0.85, 0.8], dtype=np.float32)
    sim = np.array([[1, 0.99, 0.1], [0.99, 1, 0.1], [0.1, 0.1, 1]], dtype=np.float32)
    picked = diversify(scores, sim, ["A", "B", "C"], 2, Weights(min_cases=1))
    assert picked == [0, 2]


def test_one_case_never_holds_more_than_its_share_even_when_it_is_all_there_is() -> None:
    scores = np.array([0.9, 0.8, 0.7], dtype=np.float32)
    picked = diversify(scores, np.eye(3, dtype=np.float32), ["A", "A", "A"], 5)
    assert picked == [0, 1]  # ceil(5 / 3) = 2 places at most


def test_audience_match_weighs_language_most(reference: CounterIndex) -> None:
    item = next(i for i in reference.items if i.case.gender == Gender.FEMALE)
    assert audience_match(item, Audience()) == 0.0
    assert audience_match(item, Audience(lang="en", gender=Gender.FEMALE)) == 1.0
    lang_only = audience_match(item, Audience(lang="en", gender=Gender.MALE))
    gender_only = audience_match(item, Audience(lang="fr", gender=Gender.FEMALE))
    assert lang_only > gender_only > 0


def test_first_hand_concrete_reviewed_testimony_is_more_credible() -> None:
    concrete = "In March 2015 the emir in Raqqa took 300 dollars from each of us."
    vague = "things were bad there"
    assert detail_score(concrete) > detail_score(vague)
    assert credibility(Voice.FIRST, 1.0, 0.5) > credibility(Voice.THIRD, 1.0, 0.5)
    assert credibility(Voice.FIRST, 1.0, 0.5) > credibility(Voice.FIRST, 0.0, 0.5)


def test_answers_come_from_at_least_three_cases(reference: CounterIndex) -> None:
    for claim in (
        "Hijra to the caliphate is an obligation on every Muslim.",
        "Assad's bombs kill Sunni children; the State alone defends them.",
        "You will get a salary, a house and a wife.",
    ):
        pack = answer(reference, claim)
        assert len(pack.answers) == 5
        assert len({a.case_id for a in pack.answers}) >= 3, claim


def test_a_french_claim_is_answered_in_french_first(testimony_store: Store) -> None:
    from defectio.counter import default_coder

    book = testimony_store.codebook()
    index = build_index(testimony_store.corpus(), book, default_coder(book))
    pack = answer(index, FRENCH_CLAIM, n=5)
    assert pack.lang == "fr"
    assert [a.lang for a in pack.answers[:3]] == ["fr", "fr", "fr"]
    assert {a.lang for a in pack.answers[3:]} == {"en"}


def test_an_audience_region_brings_its_speakers_forward(testimony_store: Store) -> None:
    from defectio.counter import default_coder

    book = testimony_store.codebook()
    index = build_index(testimony_store.corpus(), book, default_coder(book))
    claim = "You will get a house, a car, a salary and a wife."
    pack = answer(index, claim, n=3, audience="region=Middle East & North Africa,lang=en")
    region_of = {item.passage_id: item.case.region for item in index.items}
    assert [region_of[a.passage_id] for a in pack.answers[:2]] == [Region.MENA, Region.MENA]
