"""Reading a claim: join narratives above threshold, a disputed exit narrative, a weak guess."""

from __future__ import annotations

from defectio.codebook import Codebook
from defectio.coding.base import CodeScore, Coding
from defectio.counter.detect import answer_weights, read_coding


def _coding(book: Codebook, **scores: tuple[float, bool]) -> Coding:
    return Coding(
        tuple(
            CodeScore(c, scores.get(c, (0.0, False))[0], scores.get(c, (0.0, False))[1])
            for c in book.code_ids
        ),
        lang="en",
    )


def test_a_decided_join_narrative_is_answered_through_the_counter_map(codebook: Codebook) -> None:
    claim = "Hijra is an obligation on every Muslim."
    coding = Coding(
        tuple(
            CodeScore(c, 0.9, True, ((0, 5),))
            if c == "religious_duty"
            else CodeScore(c, 0.0, False)
            for c in codebook.code_ids
        ),
        lang="en",
    )
    reading = read_coding(codebook, claim, coding, "en")
    assert [(j.code, j.decided, j.evidence) for j in reading.joins] == [
        ("religious_duty", True, ("Hijra",))
    ]
    assert reading.answers == {c: 0.9 for c in codebook.answers_for("religious_duty")}


def test_a_claim_that_disputes_an_exit_narrative_is_answered_by_it(codebook: Codebook) -> None:
    coding = _coding(codebook, corruption=(0.3, False), defend_sunnis=(0.05, False))
    reading = read_coding(codebook, "There is no racism in the caliphate.", coding, "en")
    assert reading.answers == {"corruption": 0.3}
    joins = {j.code: j for j in reading.joins}
    inferred = {j for j, answers in codebook.counter_map.items() if "corruption" in answers}
    assert set(joins) == inferred
    assert all(not j.decided and j.via == "corruption" for j in joins.values())
    assert any("disputes corruption" in n for n in reading.notices)


def test_the_likeliest_join_is_a_flagged_guess_when_nothing_is_decided(codebook: Codebook) -> None:
    coding = _coding(codebook, belonging_material=(0.15, False), religious_duty=(0.12, False))
    reading = read_coding(codebook, "Sisters, you will be a queen.", coding, "en")
    assert [(j.code, j.decided) for j in reading.joins] == [("belonging_material", False)]
    assert set(reading.answers) == set(codebook.answers_for("belonging_material"))


def test_a_text_with_no_pull_gets_nothing_to_answer(codebook: Codebook) -> None:
    reading = read_coding(codebook, "The weather is fine.", _coding(codebook), "en")
    assert reading.joins == () and reading.answers == {}


def test_an_exit_code_answering_two_joins_takes_the_likelier_weight(codebook: Codebook) -> None:
    reading = read_coding(
        codebook,
        "x",
        _coding(codebook, religious_duty=(0.6, True), belonging_material=(0.9, True)),
        "en",
    )
    shared = set(codebook.answers_for("religious_duty")) & set(
        codebook.answers_for("belonging_material")
    )
    assert shared and all(reading.answers[c] == 0.9 for c in shared)
    assert answer_weights(codebook, reading.joins) == reading.answers
