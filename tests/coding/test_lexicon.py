from __future__ import annotations

from pathlib import Path

import pytest

from defectio.codebook import Codebook, Family, parse_codebook
from defectio.coding.lexicon import LexiconCoder, normalise

MINI = """
id: mini
name: Mini
version: "1"
languages: [en, de, tr, ar]
codes:
  - id: harm
    family: exit
    label: Harm
    definition: Abuse of civilians.
    indicators:
      en: ["tortur*", "executed civilians", "behead*"]
      de: ["folter*", "hingericht*"]
      tr: ["işkence*", "öldür*"]
      ar: ["*عذب*", "اعدام"]
    exclusions:
      en: ["deserved it"]
  - id: money
    family: exit
    label: Money
    definition: Unfair pay.
    indicators:
      en: ["never paid", "stole our salar*"]
"""


@pytest.fixture(scope="module")
def mini() -> LexiconCoder:
    return LexiconCoder(parse_codebook(MINI, "mini"))


def _codes(coder: LexiconCoder, text: str, lang: str | None = "en") -> dict[str, float]:
    return {s.code: s.p for s in coder.code_one(text, lang).codes}


def test_a_clean_match_gives_the_code_with_its_evidence_span(mini: LexiconCoder) -> None:
    text = "In the prison they Tortured a boy from our street."
    coding = mini.code_one(text, "en")
    (score,) = coding.codes
    assert score.code == "harm" and score.p == pytest.approx(0.7)
    ((a, b),) = score.evidence
    assert text[a:b] == "Tortured"


@pytest.mark.parametrize(
    "text",
    [
        "I never saw them torture anyone.",
        "They did not behead anybody while I was there.",
        "I didn't see anyone tortured.",
    ],
)
def test_negated_indicators_do_not_count(mini: LexiconCoder, text: str) -> None:
    assert _codes(mini, text) == {}


def test_negation_only_reaches_into_its_own_sentence(mini: LexiconCoder) -> None:
    assert "harm" in _codes(mini, "No, I am not lying. They tortured him.")


def test_a_hedged_match_counts_for_less_than_the_threshold(mini: LexiconCoder) -> None:
    assert _codes(mini, "Maybe they tortured someone, I heard rumours.") == {}
    assert "harm" in _codes(mini, "They tortured him. Later they beheaded a shepherd.")


def test_an_exclusion_in_the_sentence_suppresses_the_code(mini: LexiconCoder) -> None:
    assert _codes(mini, "They beheaded the spy and he deserved it.") == {}


def test_german_arabic_and_turkish_indicators_match_inflected_forms(mini: LexiconCoder) -> None:
    assert "harm" in _codes(
        mini, "Sie haben Gefangene gefoltert und hingerichtet.", "de"
    ) or "harm" in _codes(mini, "Die Folter im Gefängnis war täglich.", "de")
    assert "harm" in _codes(mini, "Köylüleri öldürdüler.", "tr")
    assert "harm" in _codes(mini, "رأيتهم يعذبون الأسرى.", "ar")
    assert "harm" in _codes(mini, "رَأَيْتُ إِعْدَامَ رَجُلٍ.", "ar")  # with diacritics


def test_turkish_negative_verb_suffix_negates(mini: LexiconCoder) -> None:
    assert _codes(mini, "Kimseyi öldürmedim.", "tr") == {}
    assert "harm" in _codes(mini, "Onu öldürmek istediler.", "tr")


def test_an_unsupported_language_gets_a_notice_not_silence(mini: LexiconCoder) -> None:
    coding = mini.code_one("Они пытали людей.", "ru")
    assert coding.notices and "'ru'" in coding.notices[0]


def test_evidence_offsets_survive_normalisation() -> None:
    text = "İşte  orada İŞKENCE gördüm."
    norm, index = normalise(text)
    assert len(index) == len(norm)
    coder = LexiconCoder(parse_codebook(MINI, "mini"))
    (score,) = coder.code_one(text, "tr").codes
    ((a, b),) = score.evidence
    assert text[a:b] == "İŞKENCE"


def test_save_and_load_round_trip_predicts_the_same(tmp_path: Path, codebook: Codebook) -> None:
    coder = LexiconCoder(codebook)
    texts = [
        "They executed civilians in the square and I wanted to leave.",
        "We were never paid and the emirs kept the money for themselves.",
        "Ich bereue alles und warne jeden davor, sich ihnen anzuschließen.",
    ]
    coder.save(tmp_path / "lex")
    again = LexiconCoder.load(tmp_path / "lex")
    assert [c.scores for c in coder.predict(texts)] == [c.scores for c in again.predict(texts)]
    assert again.config == coder.config


def test_the_default_codebook_drives_every_family(codebook: Codebook) -> None:
    coder = LexiconCoder(codebook)
    fams = {Family.EXIT: False, Family.JOIN: False, Family.STANCE: False}
    texts = [
        "They beheaded people in the square and made the children watch.",
        "I went to Syria to defend the Syrian people from Assad's barrel bombs.",
        "I regret everything and I warn young people never to join them.",
    ]
    for coding in coder.predict(texts, ["en"] * 3):
        for s in coding.codes:
            fams[codebook.by_id[s.code].family] = True
    assert all(fams.values()), fams
