"""Coder quality on real testimony: the development set (``dev_*.jsonl``: real reports, English
and four other languages), scored from folds grouped by case that the coder did not train on,
since the shipped coders train on it. Headline: macro-F1 for English and for the other
languages together, per language and per code, and the recall of the codebook's stance-gate
code at the coder's threshold (a missed one lets unrenounced testimony into counter-messages).

Baselines measured in the same run: the lexicon coder (ratio column), and the default coder
trained without any real testimony (what it was before). Cross-validation on the text we wrote
for training is printed last, labelled: it overstates real-text quality.

    python -m bench.quality                   # about 10-20 minutes on 2 cores
    python -m bench.quality --coders ensemble.v1 --no-training-cv --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench._common import table
from defectio.codebook import Codebook, load_codebook
from defectio.coding.base import Coder, Coding
from defectio.coding.evaluate import evaluate
from defectio.coding.heldout import grouped_predictions
from defectio.coding.lexicon import LexiconCoder
from defectio.coding.models import train
from defectio.coding.training import Example, bundled_examples

DEV_PREFIX = "dev_"


def is_dev(e: Example) -> bool:
    return e.real and e.origin.startswith(DEV_PREFIX)


def trainer(name: str, book: Codebook) -> Any:
    def fit(examples: Sequence[Example]) -> Coder:
        return train(name, book, examples)

    return fit


def score(
    book: Codebook, rows: Sequence[Example], codings: Sequence[Coding], coder: str
) -> dict[str, Any]:
    """English and the other languages apart, per language, per code."""
    out: dict[str, Any] = {"coder": coder}
    for part, keep in (("en", lambda e: e.lang == "en"), ("other", lambda e: e.lang != "en")):
        idx = [i for i, e in enumerate(rows) if keep(e)]
        out[part] = evaluate(
            [rows[i].labels for i in idx],
            [[s.code for s in codings[i].codes] for i in idx],
            book.code_ids,
            langs=[rows[i].lang for i in idx],
            coder=coder,
        )
    gate = [c.id for c in book.codes if c.counter_gate]
    both = evaluate(
        [e.labels for e in rows], [[s.code for s in c.codes] for c in codings], book.code_ids
    )
    out["gate_recall"] = {g: both["per_code"][g]["recall"] for g in gate}
    out["all"] = both
    return out


def run_coder(name: str, book: Codebook, examples: list[Example]) -> dict[str, Any]:
    dev = [i for i, e in enumerate(examples) if is_dev(e)]
    start = time.perf_counter()
    if name == "lexicon.v1":
        coder = LexiconCoder(book)
        rows = [examples[i] for i in dev]
        codings = coder.predict([e.text for e in rows], [e.lang for e in rows])
    else:
        preds = grouped_predictions(trainer(name, book), examples, [is_dev(e) for e in examples])
        rows, codings = [examples[i] for i in dev], [preds[i] for i in dev]
    result = score(book, rows, codings, name)
    result["seconds"] = time.perf_counter() - start
    return result


def run_without_real(book: Codebook, examples: list[Example], name: str) -> dict[str, Any]:
    """The coder trained on written text and the reference passages only, scored on dev."""
    start = time.perf_counter()
    coder = train(name, book, [e for e in examples if not e.real or e.origin == "reference"])
    rows = [e for e in examples if is_dev(e)]
    codings = coder.predict([e.text for e in rows], [e.lang for e in rows])
    result = score(book, rows, codings, f"{name} (no real training text)")
    result["seconds"] = time.perf_counter() - start
    return result


def training_cv(book: Codebook, examples: list[Example], name: str) -> float:
    """5-fold CV over the text written for training only (the figure that overstates)."""
    written = [e for e in examples if not e.real]
    for i, e in enumerate(written):  # ungrouped: each written passage is its own group
        written[i] = replace(e, group=f"w{i}")
    preds = grouped_predictions(trainer(name, book), written, [True] * len(written))
    rows = list(range(len(written)))
    r = evaluate(
        [written[i].labels for i in rows],
        [[s.code for s in preds[i].codes] for i in rows],
        book.code_ids,
    )
    return float(r["macro_f1"])


def print_report(book: Codebook, results: list[dict[str, Any]], train_cv: float | None) -> None:
    base = results[0]
    print("development set (real testimony), folds grouped by case that the coder did not train on")
    rows = []
    for r in results:
        langs = {**r["en"]["per_lang"], **r["other"]["per_lang"]}
        rows.append(
            [
                r["coder"],
                r["en"]["macro_f1"],
                r["other"]["macro_f1"],
                r["en"]["macro_f1"] / max(base["en"]["macro_f1"], 1e-9),
                *[langs.get(x, {}).get("macro_f1", 0.0) for x in ("ar", "de", "fr", "tr")],
                min(r["en"]["per_code"][c]["f1"] for c in book.code_ids),
                *r["gate_recall"].values(),
                r["seconds"],
            ]
        )
    gate = list(base["gate_recall"])
    print(
        table(
            ["coder", "en F1", "other F1", "en ratio", "ar", "de", "fr", "tr", "min code en"]
            + [f"{g} recall" for g in gate]
            + ["seconds"],
            rows,
        )
    )
    n_en, n_other = results[-1]["en"]["n"], results[-1]["other"]["n"]
    print(f"(n: en {n_en}, other {n_other}; ratio: English macro-F1 over {base['coder']})")
    for part in ("en", "other"):
        print(f"\nper code, {part} (F1)")
        print(
            table(
                ["coder", *book.code_ids],
                [
                    [r["coder"], *[r[part]["per_code"][c]["f1"] for c in book.code_ids]]
                    for r in results
                ],
            )
        )
    if train_cv is not None:
        print(
            f"\nfor comparison only: 5-fold CV on the text we wrote for training: macro-F1 "
            f"{train_cv:.3f} (overstates real-text quality)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coders", default="lexicon.v1,linear.v1,ensemble.v1")
    parser.add_argument("--no-training-cv", action="store_true")
    parser.add_argument("--no-baseline", action="store_true", help="skip the no-real-text run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    book = load_codebook()
    examples = bundled_examples(book)
    coders = [c.strip() for c in args.coders.split(",") if c.strip()]
    results = [run_coder(name, book, examples) for name in coders]
    default = coders[-1]
    if not args.no_baseline and default != "lexicon.v1":
        results.insert(
            1 if coders[0] == "lexicon.v1" else 0, run_without_real(book, examples, default)
        )
    train_cv = None if args.no_training_cv else training_cv(book, examples, default)
    if args.json:
        print(json.dumps({"results": results, "training_cv_macro_f1": train_cv}))
    else:
        print(
            f"{len(examples)} training rows ({sum(e.real for e in examples)} real), "
            f"{sum(is_dev(e) for e in examples)} in the development set, codebook {book.ref}\n"
        )
        print_report(book, results, train_cv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
