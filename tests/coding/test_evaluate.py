"""The evaluation arithmetic, checked against scikit-learn on a small hand-made case."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

from defectio.coding.evaluate import evaluate

CODES = ["a", "b", "c", "d"]
GOLD = [["a"], ["a", "b"], [], ["c"], ["a", "c"], ["b"], [], ["a"]]
PRED = [["a"], ["b"], ["a"], ["c"], ["a"], ["b", "c"], [], []]
LANGS = ["en", "en", "fr", "fr", "en", "ar", "ar", "en"]


def _binary(rows: list[list[str]], code: str) -> list[int]:
    return [int(code in r) for r in rows]


def test_per_code_scores_match_scikit_learn() -> None:
    result = evaluate(GOLD, PRED, CODES)
    for code in ["a", "b", "c"]:
        g, p = _binary(GOLD, code), _binary(PRED, code)
        m = result["per_code"][code]
        assert m["precision"] == pytest.approx(precision_score(g, p, zero_division=0))
        assert m["recall"] == pytest.approx(recall_score(g, p, zero_division=0))
        assert m["f1"] == pytest.approx(f1_score(g, p, zero_division=0))
        assert m["kappa"] == pytest.approx(cohen_kappa_score(g, p))
        assert m["support"] == sum(g)


def test_micro_and_macro_f1_match_scikit_learn_over_the_codes_in_the_gold() -> None:
    result = evaluate(GOLD, PRED, CODES)
    y_true = [[int(c in r) for c in CODES] for r in GOLD]
    y_pred = [[int(c in r) for c in CODES] for r in PRED]
    present = [0, 1, 2]  # "d" never occurs in the gold and is not scored
    assert result["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro", labels=present, zero_division=0)
    )
    assert result["micro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="micro"))
    assert result["n"] == len(GOLD)


def test_per_language_figures_use_only_that_languages_passages() -> None:
    result = evaluate(GOLD, PRED, CODES, langs=LANGS, coder="x")
    assert result["coder"] == "x"
    assert {k: v["n"] for k, v in result["per_lang"].items()} == {"ar": 2, "en": 4, "fr": 2}
    fr = evaluate(GOLD[2:4], PRED[2:4], CODES)
    assert result["per_lang"]["fr"]["macro_f1"] == pytest.approx(fr["macro_f1"])


def test_the_json_shape_is_exactly_the_documented_one() -> None:
    result = evaluate(GOLD, PRED, CODES, langs=LANGS, coder="ensemble.v1")
    assert set(result) == {"coder", "n", "macro_f1", "micro_f1", "per_code", "per_lang"}
    assert set(result["per_code"]["a"]) == {"precision", "recall", "f1", "kappa", "support"}
    assert set(result["per_lang"]["en"]) == {"n", "macro_f1"}
