"""Learning from review, simulated: a reviewer works through a labelled file in the review
queue's order (most uncertain first), the coder is retrained on the bundled data plus the
reviewed passages (weighted up) at each step, and macro-F1 is read on the passages not yet
reviewed.

The starting coder is the default trained on the bundled data less every row whose text is in
the gold file (the bundled data includes the development set). ``macro_f1_start`` is the
starting coder on the same not-yet-reviewed passages: the queue takes the hardest passages
first, so the remaining set gets easier on its own, and the gain is the difference.

    python -m bench.adapt --gold ../shared/data/dev/dev_en_2014_2015.jsonl \
        --steps 0,25,50,100 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import MemoEmbedder, table
from defectio.codebook import Codebook, load_codebook
from defectio.coding.adapt import STORE_WEIGHT, combine, uncertain_first
from defectio.coding.base import Coder
from defectio.coding.embedding import Embedder
from defectio.coding.encoders import load_encoder
from defectio.coding.ensemble import EnsembleCoder, EnsembleConfig
from defectio.coding.evaluate import evaluate
from defectio.coding.training import Example, bundled_examples, read_examples


def _trainer(codebook: Codebook) -> Any:
    """Trains the default ensemble; each encoder embeds a text once for the whole run."""
    embedders: dict[str, Embedder | None] = {}
    for key in EnsembleConfig().encoders:
        found = load_encoder(key)
        embedders[key] = MemoEmbedder(found) if found is not None else None

    def train(examples: list[Example]) -> Coder:
        return EnsembleCoder(codebook, embedders=embedders).fit(
            [e.text for e in examples],
            [list(e.labels) for e in examples],
            [e.lang for e in examples],
            real=[e.real for e in examples],
            weights=[e.weight for e in examples],
        )

    return train


def _macro(coder: Coder, rows: Sequence[Example], codes: list[str]) -> float:
    if not rows:
        return 0.0
    codings = coder.predict([e.text for e in rows], [e.lang for e in rows])
    result = evaluate([e.labels for e in rows], [[s.code for s in c.codes] for c in codings], codes)
    return float(result["macro_f1"])


@dataclass(frozen=True)
class Setup:
    """What every weight of one run shares: gold rows, bundled rows less the gold's, the
    trainer (with its embedding memo) and the starting coder."""

    codebook: Codebook
    gold: list[Example]
    base: list[Example]
    train: Any
    start: Coder


def prepare(gold_path: Path) -> Setup:
    codebook = load_codebook()
    gold = list(read_examples(gold_path, codebook, real=True))
    texts = {e.text for e in gold}
    base = [e for e in bundled_examples(codebook) if e.text not in texts]
    train = _trainer(codebook)
    return Setup(codebook, gold, base, train, train(base))


def run(setup: Setup, steps: list[int], weight: float) -> list[dict[str, Any]]:
    codes = setup.codebook.code_ids
    by_id = {e.id: e for e in setup.gold}
    coder, reviewed = setup.start, []
    out = []
    for step in sorted(set(steps)):
        began = time.perf_counter()
        todo = [e for e in setup.gold if e.id not in {r.id for r in reviewed}]
        if step > len(reviewed):
            codings = coder.predict([e.text for e in todo], [e.lang for e in todo])
            order = uncertain_first([e.id for e in todo], codings)
            reviewed += [by_id[pid] for pid in order[: step - len(reviewed)]]
            coder = setup.train(combine(setup.base, reviewed, weight))
        done = {r.id for r in reviewed}
        rest = [e for e in setup.gold if e.id not in done]
        out.append(
            {
                "reviewed": len(reviewed),
                "macro_f1": round(_macro(coder, rest, codes), 4),
                "n_eval": len(rest),
                "macro_f1_start": round(_macro(setup.start, rest, codes), 4),
                "seconds": round(time.perf_counter() - began, 1),
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, required=True, help="labelled JSON lines")
    parser.add_argument("--steps", default="0,25,50,100", help="reviewed counts, comma-separated")
    parser.add_argument(
        "--weight", type=float, default=STORE_WEIGHT, help="weight of a reviewed passage"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    setup = prepare(args.gold)
    result = {
        "gold": str(args.gold),
        "weight": args.weight,
        "base_examples": len(setup.base),
        "steps": run(setup, steps, args.weight),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"gold {result['gold']}, reviewed passages weigh {result['weight']}")
    rows = [
        [
            s["reviewed"],
            s["n_eval"],
            f"{s['macro_f1']:.3f}",
            f"{s['macro_f1_start']:.3f}",
            f"{s['macro_f1'] - s['macro_f1_start']:+.3f}",
        ]
        for s in result["steps"]
    ]
    print(table(["reviewed", "n_eval", "macro_f1", "start coder", "gain"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
