"""The message pack: the documented JSON shape, and explanations taken from the codebook."""

from __future__ import annotations

from defectio.codebook import Codebook
from defectio.counter import CounterIndex, answer
from defectio.counter.pack import UNRENOUNCED, first_sentence, themes_for, why_line

ANSWER_KEYS = {"passage_id", "case_id", "alias", "text", "codes", "why", "source_url", "score"}


def test_the_json_has_exactly_the_documented_shape(reference: CounterIndex) -> None:
    pack = answer(reference, "Come to the caliphate: hijra is a duty on every Muslim.")
    data = pack.as_json()
    assert set(data) == {"claim", "join", "fallback", "answers", "themes"}
    assert data["claim"] == pack.claim and data["fallback"] is False
    assert data["join"] and all(set(j) == {"code", "p"} for j in data["join"])
    assert data["answers"] and all(set(a) == ANSWER_KEYS for a in data["answers"])
    for a in data["answers"]:
        assert isinstance(a["codes"], list) and a["codes"]
        assert isinstance(a["score"], float) and a["source_url"].startswith("http")
    assert all(set(t) == {"code", "label", "theme"} for t in data["themes"])


def test_why_and_themes_are_built_from_the_codebook(codebook: Codebook) -> None:
    why = why_line(codebook, "infighting", "defend_sunnis")
    assert codebook.by_id["defend_sunnis"].label.lower() in why
    assert first_sentence(codebook.by_id["infighting"].definition)[:40] in why
    flagged = why_line(codebook, "infighting", "defend_sunnis", ("retains_extremism",))
    assert flagged.startswith(UNRENOUNCED)
    themes = themes_for(codebook, ["brutality", "religious_duty"])  # a join code has no place
    assert [(t.code, t.theme) for t in themes] == [("brutality", codebook.by_id["brutality"].theme)]


def test_each_answer_carries_an_exit_code_the_counter_map_gives(
    reference: CounterIndex, codebook: Codebook
) -> None:
    pack = answer(reference, "Assad's barrel bombs kill Sunni children; come and defend them.")
    assert [j.code for j in pack.join] == ["defend_sunnis"]
    mapped = set(codebook.answers_for("defend_sunnis"))
    for a in pack.answers:
        assert set(a.codes) & mapped
        assert a.codes[0] in mapped  # answering codes come first
    assert [t.code for t in pack.themes] == [c for c in codebook.code_ids if c in mapped]


def test_first_sentence_stops_at_the_first_full_stop_and_is_bounded() -> None:
    assert first_sentence("One thing. Another.") == "One thing"
    assert len(first_sentence("word " * 100, limit=50)) == 50
