"""Training on real testimony: real rows are marked and grouped by person, thresholds are tuned
on them (the stance gate's for recall), held-out scores never let a person sit on both sides
of a fold, and sample weights reach the members."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from defectio.codebook import Codebook
from defectio.coding.base import Coder
from defectio.coding.calibrate import best_threshold
from defectio.coding.ensemble import EnsembleCoder, EnsembleConfig
from defectio.coding.heldout import grouped_predictions
from defectio.coding.lexicon import LexiconCoder
from defectio.coding.linear import LinearCoder
from defectio.coding.training import Example, bundled_examples


@pytest.fixture(scope="module")
def examples(codebook: Codebook) -> list[Example]:
    return bundled_examples(codebook)


def test_bundled_real_testimony_is_marked_and_grouped_by_case(examples: list[Example]) -> None:
    real = [e for e in examples if e.real]
    dev = [e for e in real if e.origin.startswith("dev_")]
    assert len(dev) == 181  # the development set: 105 English, 76 in four other languages
    assert {e.lang for e in dev} == {"en", "ar", "fr", "de", "tr"}
    assert sum(e.origin.startswith("train_") for e in real) == 148
    assert all(e.group for e in real)
    # several passages of one person share a group
    assert len({e.group for e in dev}) < len(dev)
    written = [e for e in examples if not e.real]
    assert any(e.origin.startswith("press_") for e in written)


def test_a_stance_gate_threshold_weighs_recall_above_precision() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.25, 0.3, 0.28, 0.27, 0.1, 0.1, 0.1])
    f1_cut = best_threshold(y, p)
    f2_cut = best_threshold(y, p, beta=2.0)
    assert f2_cut < f1_cut
    assert (p[y == 1] >= f2_cut).all()  # every positive caught at the F2 cut


def test_thresholds_are_tuned_on_real_rows_english_on_its_own(codebook: Codebook) -> None:
    coder = EnsembleCoder(codebook, EnsembleConfig(use_semantic=False))
    n = 40
    y = np.array([1, 0] * (n // 2))
    # Written rows are easy (probabilities near 0 or 1); real English rows separate only at
    # 0.3, real rows in the other languages only at 0.6.
    y3 = np.concatenate([y, y, y])
    oof3 = np.concatenate(
        [
            np.where(y == 1, 0.95, 0.05),
            np.where(y == 1, 0.32, 0.28),
            np.where(y == 1, 0.62, 0.58),
        ]
    ).astype(float)
    real = np.zeros(3 * n, dtype=bool)
    real[n:] = True
    primary = np.ones(3 * n)
    primary[2 * n :] = 0
    j = codebook.code_ids.index(next(c.id for c in codebook.codes if not c.counter_gate))
    en, other = coder._tune(y3, oof3, real, primary, j)
    assert 0.28 < en <= 0.32  # English on its own real rows
    assert other < 0.5  # the others on all real rows, not on the easy written ones
    written_only = coder._tune(y3, oof3, np.zeros(3 * n, dtype=bool), primary, j)
    assert list(written_only) == [best_threshold(y3, oof3)] * 2  # no real rows: every row


class _Recording:
    """A trainer that remembers what each coder was trained on."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.seen: list[set[str]] = []

    def __call__(self, rows: Sequence[Example]) -> Coder:
        self.seen.append({e.group for e in rows})
        return LexiconCoder(self.codebook)


def test_held_out_predictions_never_train_on_the_scored_person(
    codebook: Codebook, examples: list[Example]
) -> None:
    scored = [e.origin.startswith("dev_") for e in examples]
    trainer = _Recording(codebook)
    preds = grouped_predictions(trainer, examples, scored, k=5)
    assert set(preds) == {i for i, s in enumerate(scored) if s}
    assert len(trainer.seen) == 5
    dev_groups = {examples[i].group for i in preds}
    held_per_fold = [dev_groups - seen for seen in trainer.seen]
    # each person's passages are held out in exactly one fold, together
    assert sorted(g for fold in held_per_fold for g in fold) == sorted(dev_groups)


def test_sample_weights_pull_the_linear_member_toward_weighted_rows(
    codebook: Codebook, examples: list[Example]
) -> None:
    rows = [e for e in examples if not e.real][:300]
    code = next(c for c in codebook.code_ids if sum(c in e.labels for e in rows) >= 10)
    texts, labels = [e.text for e in rows], [e.labels for e in rows]
    positives = np.array([code in lab for lab in labels])
    plain = LinearCoder(codebook).fit(texts, labels)
    heavy = np.where(positives, 5.0, 1.0)
    weighted = LinearCoder(codebook).fit(texts, labels, weights=heavy)
    j = codebook.code_ids.index(code)
    p_plain = plain.predict_proba(texts)[positives, j].mean()
    p_weighted = weighted.predict_proba(texts)[positives, j].mean()
    assert p_weighted > p_plain
    same = LinearCoder(codebook).fit(texts, labels, weights=np.ones(len(rows)))
    assert np.allclose(same.predict_proba(texts[:20]), plain.predict_proba(texts[:20]))
