"""Counter-messages are never silent: a claim in which no join narrative is read is answered
with the most relevant testimony across the exit narratives, flagged as a fallback, and the
stance gate holds in the fallback as everywhere."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectio.cli import app
from defectio.codebook import Codebook, Family, parse_codebook, read_codebook_text
from defectio.coding.lexicon import LexiconCoder
from defectio.counter import CounterIndex, answer, build_index
from defectio.counter.pack import UNRENOUNCED
from defectio.reference import load_reference
from defectio.store.repo import Store
from tests.counter._testimony import GATED

runner = CliRunner()
NO_PULL = "The library closes at six on Saturdays."  # no coder reads a pull in it
HIJRA = "Hijra to the caliphate is an obligation on every Muslim; come and live under sharia."
# Claims of belonging, in our own words: the kind in which no join narrative may be read.
BELONGING = [
    "Out here the fighters are one family: nobody cares about the colour of your skin.",
    "Die Brüder im Kalifat halten zusammen wie eine Familie, ganz gleich, welche Hautfarbe du hast.",
    "المقاتلون هنا أسرة واحدة، لا يُسأل أحد عن لونه ولا عن بلده.",
    "Burada savaşçılar tek bir aile gibi yaşar; kimse sana teninin rengini sormaz.",
]
# GATE1's own words, which carry no join narrative: the best match of all is a gated case.
STILL_BELIEVES = "I still believe the caliphate is right and that the fight must go on."


def exit_ids(book: Codebook) -> set[str]:
    return {c.id for c in book.family(Family.EXIT)}


def test_a_claim_with_no_join_narrative_is_answered_across_the_exit_narratives(
    reference: CounterIndex,
) -> None:
    pack = answer(reference, NO_PULL)
    assert pack.join == () and pack.fallback
    assert len(pack.answers) == 5 and len({a.case_id for a in pack.answers}) >= 3
    exits = exit_ids(reference.codebook)
    assert all(set(a.codes) <= exits and a.codes for a in pack.answers)
    assert pack.themes and {t.code for t in pack.themes} <= {
        c for a in pack.answers for c in a.codes
    }
    assert pack.fallback_note.startswith("No join narrative was read")
    data = pack.as_json()
    assert data["fallback"] is True and data["join"] == [] and len(data["answers"]) == 5


def test_a_claim_with_a_join_narrative_is_no_fallback(reference: CounterIndex) -> None:
    pack = answer(reference, HIJRA)
    assert pack.join and not pack.fallback and pack.fallback_note == ""
    assert pack.as_json()["fallback"] is False


@pytest.mark.parametrize("claim", BELONGING)
def test_claims_of_belonging_are_always_answered(reference: CounterIndex, claim: str) -> None:
    pack = answer(reference, claim)
    assert len(pack.answers) == 5 and len({a.case_id for a in pack.answers}) >= 3
    assert pack.fallback == (pack.join == ())


def test_the_fallback_keeps_the_gate_on_the_bundled_corpus(reference: CounterIndex) -> None:
    held = {item.case_id for item in reference.items if item.gated_by}
    pack = answer(reference, NO_PULL, n=len(reference.items))
    assert pack.fallback and pack.answers
    assert not {a.case_id for a in pack.answers} & held
    asked = answer(reference, NO_PULL, n=len(reference.items), include_unrenounced=True)
    flagged = {a.case_id for a in asked.answers if a.unrenounced}
    assert asked.fallback and flagged and flagged <= held
    assert all(a.why.startswith(UNRENOUNCED) for a in asked.answers if a.unrenounced)


def test_the_fallback_keeps_the_gate_on_a_store(testimony_store: Store) -> None:
    book = testimony_store.codebook()
    index = build_index(testimony_store.corpus(), book, LexiconCoder(book))
    pack = answer(index, STILL_BELIEVES, n=20)  # every passage the store holds
    assert pack.fallback and pack.answers
    assert not {a.case_id for a in pack.answers} & GATED
    asked = answer(index, STILL_BELIEVES, n=20, include_unrenounced=True)
    assert {a.case_id for a in asked.answers if a.unrenounced} == GATED


def test_a_counter_map_with_nothing_for_the_join_read_falls_back_and_says_why() -> None:
    text, _ = read_codebook_text("icsr2015")
    book = parse_codebook(text.split("\ncounter_map:")[0] + "\ncounter_map: {}\n")
    index = build_index(load_reference().corpus, book, LexiconCoder(book))
    pack = answer(index, HIJRA)
    assert [j.code for j in pack.join] == ["religious_duty"]
    assert pack.fallback and len(pack.answers) == 5
    assert pack.fallback_note.startswith("The counter map gives no exit narrative")
    assert any("gives no exit narrative for religious_duty" in n for n in pack.notices)


def test_the_cli_flags_the_fallback_in_json_and_in_words(reference: CounterIndex) -> None:
    result = runner.invoke(app, ["counter", NO_PULL, "--json"])
    assert result.exit_code == 0, result.output
    pack = json.loads(result.stdout)
    assert pack["fallback"] is True and pack["join"] == [] and len(pack["answers"]) == 5
    human = runner.invoke(app, ["counter", NO_PULL])
    assert human.exit_code == 0, human.output
    assert "No join narrative was read in the claim" in human.stdout and "\n5. " in human.stdout
    plain = runner.invoke(app, ["counter", HIJRA])
    assert "No join narrative" not in plain.stdout


def test_the_cli_keeps_the_gate_in_the_fallback(db_url: str) -> None:
    from tests.counter._testimony import fill

    fill(Store(db_url))  # n=20 asks for every passage the store holds
    args = ["--db", db_url, "counter", NO_PULL, "--n", "20", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    pack = json.loads(result.stdout)
    cases = {a["case_id"] for a in pack["answers"]}
    assert pack["fallback"] is True and cases and not cases & GATED
