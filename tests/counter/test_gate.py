"""The stance gate: testimony from a case that still backs the cause never answers a claim
unless it is asked for, and then it is flagged. No weight, audience or n gets round it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectio.cli import app
from defectio.codebook import load_codebook, parse_codebook, read_codebook_text
from defectio.counter import CounterIndex, Weights, answer, build_index, counter
from defectio.counter.gate import gate_codes
from defectio.counter.pack import UNRENOUNCED
from defectio.store.repo import Store
from tests.counter._testimony import GATED, HOUSE_PROMISE

runner = CliRunner()

# Cases of the reference corpus coded retains_extremism by people (see PROVENANCE.md).
REFERENCE_GATED = {"D015", "D023", "D033", "D035"}

CLAIMS = [
    "Hijra to the caliphate is a duty on every Muslim; come and live under sharia.",
    "Assad slaughters Sunni children; only the mujahideen of the State defend them.",
    "Here you will get a salary, a house, a car and a wife.",
    "In the caliphate all nationalities are equal, there is no racism.",
    "The caliphate needs you: cut off the hands of thieves and kill the unbelievers.",
]


def test_the_bundled_codebook_marks_retains_extremism_as_the_gate() -> None:
    assert gate_codes(load_codebook()) == (("retains_extremism",), None)


def test_a_codebook_without_a_gate_code_says_no_case_is_held_back() -> None:
    codes, notice = gate_codes(load_codebook("exit_farright"))
    assert codes == ()
    assert notice is not None and "no case is held back" in notice


def test_an_older_copy_of_a_bundled_codebook_inherits_its_gate() -> None:
    text, _ = read_codebook_text("icsr2015")
    old = parse_codebook(text.replace("    counter_gate: true", "    counter_gate: false"))
    codes, notice = gate_codes(old)
    assert codes == ("retains_extremism",)
    assert notice is not None and "bundled" in notice


def test_the_reference_index_holds_back_every_case_people_coded_as_unrenounced(
    reference: CounterIndex,
) -> None:
    held = {item.case_id for item in reference.items if item.gated_by}
    assert held >= REFERENCE_GATED


@pytest.mark.parametrize("claim", CLAIMS)
def test_no_answer_comes_from_a_gated_case_even_with_every_passage_asked_for(
    reference: CounterIndex, claim: str
) -> None:
    held = {item.case_id for item in reference.items if item.gated_by}
    pack = answer(reference, claim, n=len(reference.items))
    assert pack.answers, claim
    assert not {a.case_id for a in pack.answers} & held
    assert not any(a.unrenounced or a.why.startswith(UNRENOUNCED) for a in pack.answers)


@pytest.mark.parametrize(
    "weights",
    [
        Weights(relevance=1.0, code=0, topic=0, credibility=0, audience=0),
        Weights(relevance=0, code=0, topic=0, credibility=0, audience=1.0),
        Weights(mmr_lambda=1.0, min_cases=1),
    ],
)
def test_no_weighting_lets_a_gated_case_through(testimony_store: Store, weights: Weights) -> None:
    index = build_index(testimony_store.corpus(), testimony_store.codebook(), _coder())
    # The claim repeats a gated case's passage word for word: the best match of all.
    pack = answer(index, HOUSE_PROMISE, n=20, weights=weights, audience="region=Western Europe")
    assert pack.answers
    assert not {a.case_id for a in pack.answers} & GATED


def test_asking_for_unrenounced_testimony_returns_it_flagged(testimony_store: Store) -> None:
    index = build_index(testimony_store.corpus(), testimony_store.codebook(), _coder())
    pack = answer(index, HOUSE_PROMISE, n=20, include_unrenounced=True)
    flagged = [a for a in pack.answers if a.case_id in GATED]
    assert {a.case_id for a in flagged} == GATED
    for a in flagged:
        assert a.unrenounced == ("retains_extremism",)
        assert a.why.startswith(UNRENOUNCED)
    assert all(not a.unrenounced for a in pack.answers if a.case_id not in GATED)
    assert any("UNRENOUNCED" in n for n in pack.notices)


def test_a_person_rejecting_the_machines_gate_code_lifts_the_gate(testimony_store: Store) -> None:
    index = build_index(testimony_store.corpus(), testimony_store.codebook(), _coder())
    held = {item.case_id for item in index.items if item.gated_by}
    assert held == GATED  # OPEN1's machine suggestion was rejected by a person


def test_the_python_api_keeps_the_gate_on_a_store_corpus(testimony_store: Store) -> None:
    pack = counter(
        HOUSE_PROMISE,
        n=20,
        corpus=testimony_store.corpus(),
        codebook=testimony_store.codebook(),
        coder=_coder(),
    )
    assert pack.answers and not {a.case_id for a in pack.answers} & GATED


def test_the_cli_never_prints_gated_testimony_without_the_flag(db_url: str) -> None:
    from tests.counter._testimony import fill

    fill(Store(db_url))
    args = ["--db", db_url, "counter", HOUSE_PROMISE, "--n", "20", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    cases = {a["case_id"] for a in json.loads(result.stdout)["answers"]}
    assert cases and not cases & GATED
    result = runner.invoke(app, [*args, "--include-unrenounced"])
    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)["answers"]
    flagged = {a["case_id"] for a in answers if a["why"].startswith(UNRENOUNCED)}
    assert flagged == GATED


def test_the_cli_keeps_the_gate_on_the_bundled_corpus() -> None:
    for claim in CLAIMS:
        result = runner.invoke(app, ["counter", claim, "--n", "100", "--json"])
        assert result.exit_code == 0, result.output
        cases = {a["case_id"] for a in json.loads(result.stdout)["answers"]}
        assert not cases & REFERENCE_GATED, claim


def _coder():  # type: ignore[no-untyped-def]
    from defectio.coding.lexicon import LexiconCoder

    return LexiconCoder(load_codebook())
