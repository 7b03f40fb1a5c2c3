"""Coder quality on the bundled data: 5-fold cross-validation per code for every coder, a
cross-author check (train on the written training set, test on the reference passages), a
learning curve and calibration (ECE) for the default coder.

The lexicon coder is the baseline; the ratio column is macro-F1 over the baseline's, measured
in the same run. Caveat printed with the table: the codebook's indicator phrases were written
while reading the reference and part of the training passages, so figures that involve the
lexicon are optimistic; the team's held-out set from later years is the real test.

    python bench/quality.py            # about 2-4 minutes on 2 cores
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from bench._common import MemoEmbedder, memo_embedder, table
from defectio.codebook import Codebook, load_codebook
from defectio.coding.base import Coder
from defectio.coding.calibrate import folds
from defectio.coding.ensemble import EnsembleCoder
from defectio.coding.evaluate import evaluate
from defectio.coding.lexicon import LexiconCoder
from defectio.coding.linear import LinearCoder
from defectio.coding.semantic import SemanticCoder
from defectio.coding.training import Example, bundled_examples

Factory = Callable[[], Coder]


def factories(book: Codebook, embedder: MemoEmbedder | None) -> dict[str, Factory]:
    out: dict[str, Factory] = {
        "lexicon.v1": lambda: LexiconCoder(book),
        "linear.v1": lambda: LinearCoder(book),
    }
    if embedder is not None:
        out["semantic.v1"] = lambda: SemanticCoder(book, embedder=embedder)
    out["ensemble.v1"] = lambda: EnsembleCoder(book, embedder=embedder)
    return out


def fit(coder: Coder, examples: Sequence[Example]) -> Coder:
    texts, labels = [e.text for e in examples], [list(e.labels) for e in examples]
    if isinstance(coder, EnsembleCoder):
        return coder.fit(texts, labels, [e.lang for e in examples])
    return coder.fit(texts, labels)


def cross_validate(
    make: Factory, examples: list[Example], book: Codebook, fraction: float = 1.0
) -> tuple[dict[str, object], np.ndarray]:
    preds: list[list[str]] = [[] for _ in examples]
    probs = np.zeros((len(examples), len(book.code_ids)))
    rng = np.random.default_rng(0)
    for train, test in folds(len(examples)):
        if fraction < 1.0:
            train = rng.choice(train, size=max(30, int(len(train) * fraction)), replace=False)
        coder = fit(make(), [examples[i] for i in train])
        codings = coder.predict([examples[i].text for i in test], [examples[i].lang for i in test])
        for i, coding in zip(test, codings, strict=True):
            preds[i] = [s.code for s in coding.codes]
            probs[i] = [s.p for s in coding.scores]
    result = evaluate(
        [e.labels for e in examples], preds, book.code_ids, langs=[e.lang for e in examples]
    )
    return result, probs


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over all code decisions, equal-width bins."""
    y, p = y.ravel(), p.ravel()
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if mask.any():
            total += mask.mean() * abs(p[mask].mean() - y[mask].mean())
    return float(total)


def main() -> int:
    book = load_codebook()
    examples = bundled_examples(book)
    embedder = memo_embedder()
    if embedder is None:
        print("note: no embedding package; semantic.v1 is skipped and ensemble.v1 runs without it")
    makers = factories(book, embedder)
    print(
        f"{len(examples)} examples ({sum(e.origin == 'reference' for e in examples)} reference), "
        f"{len(book.code_ids)} codes, codebook {book.ref}\n"
    )

    results: dict[str, dict[str, object]] = {}
    oof_probs: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for name, make in makers.items():
        start = time.perf_counter()
        results[name], oof_probs[name] = cross_validate(make, examples, book)
        seconds[name] = time.perf_counter() - start

    base = float(results["lexicon.v1"]["macro_f1"])  # type: ignore[arg-type]
    print("5-fold cross-validation on reference + training (per-code F1)")
    headers = ["coder", "macro F1", "micro F1", "ratio", "min code", *book.code_ids, "seconds"]
    rows = []
    for name, r in results.items():
        per = r["per_code"]  # type: ignore[index]
        f1s = [per[c]["f1"] for c in book.code_ids]  # type: ignore[index]
        rows.append(
            [
                name,
                r["macro_f1"],
                r["micro_f1"],
                float(r["macro_f1"]) / base,  # type: ignore[arg-type]
                min(f1s),
                *f1s,
                seconds[name],
            ]
        )
    print(table(headers, rows))

    print("\nper language (macro F1, 5-fold)")
    langs = sorted(results["ensemble.v1"]["per_lang"])  # type: ignore[arg-type]
    print(
        table(
            [
                "coder",
                *[f"{lang} (n={results['ensemble.v1']['per_lang'][lang]['n']})" for lang in langs],
            ],  # type: ignore[index]
            [[n, *[r["per_lang"][lang]["macro_f1"] for lang in langs]] for n, r in results.items()],
        )
    )  # type: ignore[index]

    print("\ncross-author: train on the written training set, test on the 103 reference passages")
    train = [e for e in examples if e.origin != "reference"]
    test = [e for e in examples if e.origin == "reference"]
    rows = []
    for name, make in makers.items():
        coder = fit(make(), train)
        codings = coder.predict([e.text for e in test], [e.lang for e in test])
        r = evaluate(
            [e.labels for e in test], [[s.code for s in c.codes] for c in codings], book.code_ids
        )
        rows.append([name, r["macro_f1"], r["micro_f1"]])
    print(table(["coder", "macro F1", "micro F1"], rows))

    y = np.array([[int(c in e.labels) for c in book.code_ids] for e in examples])
    print("\ncalibration of out-of-fold probabilities (ECE, 10 bins; lower is better)")
    print(table(["coder", "ECE"], [[n, ece(y, p)] for n, p in oof_probs.items()]))

    print("\nlearning curve, ensemble.v1 (5-fold, share of each training fold used)")
    rows = []
    for fraction in (0.25, 0.5, 0.75, 1.0):
        r = (
            results["ensemble.v1"]
            if fraction == 1.0
            else cross_validate(makers["ensemble.v1"], examples, book, fraction)[0]
        )
        rows.append([f"{fraction:.0%}", r["macro_f1"]])
    print(table(["training share", "macro F1"], rows))
    print(
        "\ncaveat: the codebook's indicator phrases were written while reading the reference and "
        "part of the training passages; lexicon-based figures are optimistic."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
