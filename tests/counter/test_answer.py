"""``counter(claim)``: the Python API on the bundled corpus and on a corpus of one's own."""

from __future__ import annotations

import pytest

import defectio
from defectio.codebook import Codebook
from defectio.coding.lexicon import LexiconCoder
from defectio.counter import CounterIndex, answer, build_index
from defectio.counter.relevance import TfidfRelevance, default_relevance
from defectio.errors import DefectioError
from defectio.model import Case, Corpus, Passage


def test_the_public_api_answers_from_the_bundled_corpus(reference: CounterIndex) -> None:
    pack = defectio.counter("Hijra to the caliphate is an obligation on every Muslim.", n=4)
    assert [j.code for j in pack.join] == ["religious_duty"]
    assert pack.join[0].evidence  # the words that carried the pull
    assert len(pack.answers) == 4
    assert all(a.alias and a.source_url for a in pack.answers)
    assert pack.themes


def test_a_claim_of_equality_is_answered_by_testimony_of_discrimination(
    reference: CounterIndex,
) -> None:
    pack = answer(reference, "In the caliphate all nationalities are equal, there is no racism.")
    assert pack.answers
    assert "corruption" in pack.answers[0].codes  # racism and favouritism are coded corruption
    assert sum("corruption" in a.codes for a in pack.answers) >= 3


@pytest.mark.parametrize(
    ("lang", "claim"),
    [
        ("ar", "الهجرة إلى أرض الخلافة فريضة على كل مسلم، تعال وعش تحت حكم الشريعة."),
        ("fr", "Rejoins le califat : la hijra est une obligation pour tout musulman."),
        ("de", "Komm ins Kalifat: Dort bekommst du ein Haus, ein Auto und eine Frau."),
        ("tr", "Esad rejimi Sünni çocukları katlediyor; onları korumak için gelin."),
    ],
)
def test_claims_in_other_languages_are_answered(
    reference: CounterIndex, lang: str, claim: str
) -> None:
    pack = answer(reference, claim)
    assert pack.lang == lang
    assert pack.join and len(pack.answers) == 5
    assert len({a.case_id for a in pack.answers}) >= 3


def test_a_text_with_no_pull_still_gets_answers_flagged_as_a_fallback(
    reference: CounterIndex,
) -> None:
    pack = answer(reference, "Please send me the report by Friday.")
    assert pack.join == () and pack.fallback and pack.answers


def test_bad_requests_are_clear_errors(reference: CounterIndex) -> None:
    with pytest.raises(DefectioError, match="the claim is empty"):
        answer(reference, "   ")
    with pytest.raises(DefectioError, match="n must be at least 1"):
        answer(reference, "Come to the caliphate.", n=0)


def test_the_bundled_corpus_refuses_another_codebook() -> None:
    with pytest.raises(DefectioError, match="coded with codebook icsr2015"):
        defectio.counter("x", codebook=defectio.load_codebook("exit_farright"))


def test_an_uncoded_corpus_is_coded_in_memory_before_it_answers(codebook: Codebook) -> None:
    cases = tuple(Case(case_id=f"C{i}", alias=f"c{i}") for i in range(3))
    texts = [
        "They executed civilians in the square and I could not bear it.",
        "Fighters beheaded prisoners in front of us, and I fled that night.",
        "They tortured villagers who refused to pledge allegiance.",
    ]
    corpus = Corpus(
        cases=cases,
        passages=tuple(
            Passage(case_id=c.case_id, text=t) for c, t in zip(cases, texts, strict=True)
        ),
    )
    pack = defectio.counter(
        "Come and defend the Sunni Muslims of Syria from Assad's massacres.",
        corpus=corpus,
        codebook=codebook,
        coder=LexiconCoder(codebook),
    )
    assert {a.case_id for a in pack.answers} == {"C0", "C1", "C2"}
    assert all("brutality" in a.codes for a in pack.answers)


def test_without_embeddings_relevance_falls_back_to_tfidf_with_one_notice(
    monkeypatch: pytest.MonkeyPatch, codebook: Codebook
) -> None:
    monkeypatch.setenv("DEFECTIO_NO_EMBEDDINGS", "1")
    relevance = default_relevance(["some text", "more text"])
    assert isinstance(relevance, TfidfRelevance)
    assert relevance.notice is not None and "TF-IDF" in relevance.notice
    corpus = defectio.load_reference().corpus
    index = build_index(corpus, codebook, LexiconCoder(codebook), relevance=relevance)
    pack = answer(index, "Assad is massacring Sunni children; come and defend them.")
    assert len(pack.answers) == 5 and len({a.case_id for a in pack.answers}) >= 3
    assert [n for n in pack.notices if "TF-IDF" in n] == [relevance.notice]
