"""Counter-messaging on the bundled corpus: does each claim get testimony that answers it?

Claims: ``bench/data/claims.jsonl``, recruiting claims written for this benchmark (English,
Arabic, French, German, Turkish), each with the join codes it carries (``joins``) and, for
some, the exit code that answers what it specifically says (``topic``).

Measures, per claim, with the default coder and the reference index built once, warm (one
claim per language answered first: the first claim in a language loads its lexicon):
  precision@5   answers carrying an exit code that the counter map gives for the claim's
                gold join codes, over 5 (a missing answer counts as a miss)
  join F1       micro F1 of the join narratives the pack reports against the gold ones
  topic@3       claims with a ``topic`` whose top 3 hold an answer carrying that code
  answered      claims that got any answer (a claim with no join narrative found gets none)
  cases         distinct cases in the top 5 of answered claims (minimum and mean)
  latency       p50 / p95 per claim, milliseconds
  gated         answers from a case the stance gate holds back (must be 0)

The baseline ranks the same eligible passages (same claim reading, same gate) by the
answering code's probability alone, measured in the same run; the ratio is ours / baseline.

    python -m bench.counter            # about a minute when the default coder is cached
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import peak_rss_mb, table
from defectio.counter import CounterIndex, answer, reference_index
from defectio.counter.answer import one_blas_thread, read_claim
from defectio.counter.rank import best_code, eligible

CLAIMS = Path(__file__).parent / "data" / "claims.jsonl"
N = 5


def load_claims(path: Path = CLAIMS) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    for i, row in enumerate(rows, start=1):
        if not row.get("text") or not row.get("joins"):
            raise SystemExit(f"{path}:{i}: each claim needs 'text' and 'joins'")
    return rows


def baseline(index: CounterIndex, claim: str) -> tuple[list[int], list[str]]:
    """Same reading and gate; passages sorted by the answering code's probability only."""
    with one_blas_thread():
        reading = read_claim(index, claim)
    rows = eligible(index, reading.answers, include_unrenounced=False)
    ranked = sorted(rows, key=lambda i: -best_code(index.items[i], reading.answers)[1])
    return ranked[:N], [j.code for j in reading.joins]


def f1(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def summarise(results: list[dict[str, Any]]) -> dict[str, float]:
    ms = np.array([r["ms"] for r in results])
    topical = [r for r in results if r["topic"]]
    answered = [r for r in results if r["cases"]]
    return {
        "answered": float(len(answered)),
        "precision@5": float(np.mean([r["hits"] / N for r in results])),
        "join F1": f1([r["gold"] for r in results], [r["pred"] for r in results]),
        "topic@3": float(np.mean([r["topic_hit"] for r in topical])) if topical else 0.0,
        "min cases": float(min((r["cases"] for r in answered), default=0)),
        "mean cases": float(np.mean([r["cases"] for r in answered])) if answered else 0.0,
        "p50 ms": float(np.percentile(ms, 50)),
        "p95 ms": float(np.percentile(ms, 95)),
        "gated": float(sum(r["gated"] for r in results)),
    }


def measure(index: CounterIndex, claims: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    book = index.codebook
    out: dict[str, list[dict[str, Any]]] = {"counter": [], "baseline": []}
    for row in claims:
        gold = set(row["joins"])
        mapped = {code for j in gold for code in book.answers_for(j)}
        topic = row.get("topic")

        t = time.perf_counter()
        pack = answer(index, row["text"], n=N)
        ms = (time.perf_counter() - t) * 1000
        ids = [a.passage_id for a in pack.answers]
        items = {it.passage_id: it for it in index.items}
        picked = [items[i] for i in ids]
        out["counter"].append(
            _result(row, gold, {j.code for j in pack.join}, mapped, topic, picked, ms)
        )

        t = time.perf_counter()
        rows, joins = baseline(index, row["text"])
        ms = (time.perf_counter() - t) * 1000
        picked = [index.items[i] for i in rows]
        out["baseline"].append(_result(row, gold, set(joins), mapped, topic, picked, ms))
    return out


def _result(
    row: dict[str, Any],
    gold: set[str],
    pred: set[str],
    mapped: set[str],
    topic: str | None,
    picked: list[Any],
    ms: float,
) -> dict[str, Any]:
    def carries(item: Any, codes: set[str]) -> bool:
        return any(item.codes.get(c, 0.0) > 0 for c in codes)

    return {
        "id": row.get("id", ""),
        "lang": row.get("lang", "?"),
        "gold": gold,
        "pred": pred,
        "hits": sum(carries(it, mapped) for it in picked),
        "topic": topic,
        "topic_hit": bool(topic) and any(carries(it, {topic}) for it in picked[:3]),
        "cases": len({it.case_id for it in picked}),
        "gated": sum(bool(it.gated_by) for it in picked),
        "ms": ms,
    }


def main() -> int:
    claims = load_claims()
    t = time.perf_counter()
    index = reference_index()
    build_s = time.perf_counter() - t
    for lang in sorted({c.get("lang") for c in claims}, key=str):  # warm: one claim a language
        answer(index, next(c["text"] for c in claims if c.get("lang") == lang))
    results = measure(index, claims)
    ours, base = summarise(results["counter"]), summarise(results["baseline"])
    print(
        f"counter on {len(claims)} claims, {len(index.items)} passages "
        f"({index.relevance.name}); index built in {build_s:.1f} s"
    )
    keys = list(ours)
    rows = []
    for key in keys:
        ratio = ours[key] / base[key] if base[key] else float("nan")
        rows.append([key, ours[key], base[key], ratio])
    print(table(["metric", "counter", "baseline", "ratio"], rows))
    langs = sorted({r["lang"] for r in results["counter"]})
    per_lang = []
    for lang in langs:
        mine = [r for r in results["counter"] if r["lang"] == lang]
        s = summarise(mine)
        per_lang.append(
            [lang, len(mine), s["precision@5"], s["join F1"], s["min cases"], s["p95 ms"]]
        )
    print()
    print(table(["lang", "claims", "precision@5", "join F1", "min cases", "p95 ms"], per_lang))
    misses = [r for r in results["counter"] if r["hits"] < N or r["pred"] != r["gold"]]
    if misses:
        print("\nclaims below 5/5 or with a join mismatch:")
        for r in misses:
            gold, got = sorted(r["gold"]), sorted(r["pred"])
            print(f"  {r['id']}: hits {r['hits']}/5, gold {gold}, got {got}")
    targets = ours["precision@5"] >= 0.9 and ours["min cases"] >= 3 and ours["p95 ms"] < 200
    print(
        f"\ntargets (precision@5 >= 0.9, >= 3 cases in every answered top 5, p95 < 200 ms): "
        f"{'met' if targets else 'NOT met'}; gated answers: {int(ours['gated'])}; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    return 0 if ours["gated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
