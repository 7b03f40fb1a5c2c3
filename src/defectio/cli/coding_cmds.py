"""Commands for coding: code a store or a file, train a coder, evaluate one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from defectio.cli.app import (
    CODER_HELP,
    console,
    err_console,
    fail_cleanly,
    notify,
    open_store,
    progress_bar,
)
from defectio.codebook import load_codebook
from defectio.coding.adapt import STORE_WEIGHT
from defectio.coding.evaluate import evaluate
from defectio.coding.files import code_file as code_jsonl
from defectio.coding.registry import REGISTRY, build_coder, resolve_name
from defectio.coding.training import bundled_examples, read_examples
from defectio.errors import DefectioError
from defectio.workflow import code_store, coder_for_store, train_for_store


@fail_cleanly
def code(
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    only_uncoded: Annotated[
        bool, typer.Option("--only-uncoded", help="Skip passages this coder has already coded.")
    ] = False,
) -> None:
    """Code the store's passages; suggestions are stored with the run's id, for people to review."""
    with open_store(create=False) as store:
        built = coder_for_store(store, coder)
        total = len(store.passages(only_uncoded_by=built.name if only_uncoded else None))
        with progress_bar(total, "coding") as progress:
            task = progress.add_task(f"coding with {built.name}.{built.version}", total=total)
            report = code_store(
                store,
                built,
                only_uncoded=only_uncoded,
                progress=lambda n: progress.advance(task, n),
            )
    notify(report.notices)
    console.print(
        f"run {report.run_id}: {report.coder} coded {report.passages} passages, "
        f"{report.suggestions} suggestions"
    )


@fail_cleanly
def code_file(
    source: Annotated[Path, typer.Argument(help="JSONL input; each line needs 'text'.")],
    out: Annotated[Path, typer.Option("--out", help="JSONL output; '-' for stdout.")],
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    codebook: Annotated[str, typer.Option(help="Codebook id or YAML path.")] = "icsr2015",
) -> None:
    """Code a JSONL file without a store, streaming: each output line adds
    `codes: [{code, p, evidence: [[start, end], ...]}]` and `lang`."""
    built = build_coder(coder, load_codebook(codebook))
    size = source.stat().st_size if source.is_file() else 0
    with progress_bar(size, "coding") as progress:
        task = progress.add_task("coding", total=None)
        if str(out) == "-":
            n, notices = code_jsonl(
                built, source, sys.stdout, progress=lambda k: progress.advance(task, k)
            )
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as handle:
                n, notices = code_jsonl(
                    built, source, handle, progress=lambda k: progress.advance(task, k)
                )
    notify(notices)
    if str(out) != "-":
        err_console.print(f"coded {n} lines with {built.name}.{built.version} -> {out}")


@fail_cleanly
def train(
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    from_: Annotated[
        str,
        typer.Option(
            "--from",
            help="reference: the bundled reference and training passages; store: those plus the "
            "codes people accepted in the store (the trained coder then codes that store).",
        ),
    ] = "reference",
    store_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="With --from store: how much one reviewed passage of the store weighs against "
            f"one bundled training passage (default {STORE_WEIGHT:g}, chosen with bench/adapt.py).",
        ),
    ] = STORE_WEIGHT,
) -> None:
    """Train a coder (deterministic; seconds) and cache it for the commands that use it."""
    if from_ not in ("reference", "store"):
        raise DefectioError(f"--from must be 'reference' or 'store', not '{from_}'")
    if from_ == "store":
        with open_store(create=False) as store:
            built, n = train_for_store(store, coder, from_, store_weight)
    else:
        built, n = train_for_store(None, coder, from_)
    notify(getattr(built, "notices", ()))
    console.print(f"trained {built.name}.{built.version} on {n} examples ({from_})")


@fail_cleanly
def eval_(
    gold: Annotated[
        Path,
        typer.Option(help="JSONL with 'text' and 'labels' (codes); 'lang' and 'id' optional."),
    ],
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    codebook: Annotated[str, typer.Option(help="Codebook id or YAML path.")] = "icsr2015",
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
) -> None:
    """Score a coder against gold codes: per code support, precision, recall, F1 and Cohen's
    kappa; micro and macro F1; macro F1 per language."""
    book = load_codebook(codebook)
    examples = list(read_examples(gold, book))
    if not examples:
        raise DefectioError(f"{gold}: no examples to evaluate")
    built = build_coder(coder, book)
    codings = built.predict([e.text for e in examples], [e.lang for e in examples])
    langs = [e.lang or c.lang for e, c in zip(examples, codings, strict=True)]
    result = evaluate(
        [e.labels for e in examples],
        [[s.code for s in c.codes] for c in codings],
        book.code_ids,
        langs=langs,
        coder=f"{built.name}.{built.version}",
    )
    seen = (
        {e.text for e in bundled_examples(book)} if REGISTRY[resolve_name(coder)].trained else set()
    )
    in_sample = sum(e.text in seen for e in examples)
    result["in_training_data"] = in_sample
    if as_json:
        print(json.dumps(result))
        return
    notify(n for c in codings for n in c.notices)
    if in_sample:
        notify(
            [
                f"{in_sample} of {len(examples)} gold passages are in the coder's training data: "
                "these figures are in-sample; `python -m bench.quality` scores held-out folds"
            ]
        )
    table = Table(title=f"{result['coder']} on {gold.name} (n={result['n']})", show_edge=False)
    for col in ("code", "support", "precision", "recall", "F1", "kappa"):
        table.add_column(col, justify="left" if col == "code" else "right")
    for code_id, m in result["per_code"].items():
        table.add_row(
            code_id,
            str(m["support"]),
            f"{m['precision']:.2f}",
            f"{m['recall']:.2f}",
            f"{m['f1']:.2f}",
            f"{m['kappa']:.2f}",
        )
    console.print(table)
    console.print(f"macro F1 {result['macro_f1']:.3f} · micro F1 {result['micro_f1']:.3f}")
    for lang, m in result["per_lang"].items():
        console.print(f"  {lang}: n={m['n']} macro F1 {m['macro_f1']:.3f}")
