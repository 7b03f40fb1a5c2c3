"""Counter-messaging on the bundled corpus: does each claim get testimony that answers it?

Claims: ``bench/data/claims.jsonl``, recruiting claims written for this benchmark (English,
Arabic, French, German, Turkish), each with the join codes it carries (``joins``) and, for
some, the exit code that answers what it specifically says (``topic``). Relevance:
``bench/data/counter_relevance.yaml``, which reference passages answer each claim, graded 0-2
by hand (see ``bench/data/README.md``).

Measures, per claim, with the default coder and the reference index built once, warm (one
claim per language answered first: the first claim in a language loads its lexicon):
  nDCG@5        against the hand grades (gain 2^grade - 1); the ideal top 5 is drawn from the
                passages the stance gate lets through
  P@5 rel>=1    top-5 places holding a passage graded 1 or 2 (a missing answer is a miss)
  P@5 rel>=2    top-5 places holding a passage graded 2 (it contradicts the claim)
  code P@5      answers carrying an exit code that the counter map gives for the claim's gold
                join codes (the old measure: the ranking already filters on these codes)
  join F1       micro F1 of the join narratives the pack reports against the gold ones
  topic@3       claims with a ``topic`` whose top 3 hold an answer carrying that code
  answered      claims that got any answer
  fallback      claims answered by the fallback (no join narrative read: every exit code)
  cases         distinct cases in the top 5 of answered claims (minimum and mean)
  latency       p50 / p95 per claim, milliseconds
  gated         answers from a case the stance gate holds back (must be 0)

The baseline ranks the same eligible passages (same claim reading, fallback and gate) by the
machine probability of the answering code alone (the default coder's p for each passage, times
the code's weight; not the 1.0 a person's label carries in the index, which would tie every
labelled passage), measured in the same run; the ratio is ours / baseline. A second table
repeats the relevance measures on the claims answered by fallback.

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
from bench.relevance import load_judgement, ndcg_at, precision_at
from defectio.counter import CounterIndex, answer, reference_index
from defectio.counter.answer import answering_codes, one_blas_thread, read_claim
from defectio.counter.rank import eligible
from defectio.reference import load_reference

CLAIMS = Path(__file__).parent / "data" / "claims.jsonl"
N = 5


def load_claims(path: Path = CLAIMS) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    for i, row in enumerate(rows, start=1):
        if not row.get("text") or not row.get("joins"):
            raise SystemExit(f"{path}:{i}: each claim needs 'text' and 'joins'")
    return rows


MachineP = list[dict[str, float]]


def machine_probabilities(index: CounterIndex) -> MachineP:
    """Each indexed passage's machine probability per code, from the index's own coder."""
    codings = index.coder.predict([it.text for it in index.items], [it.lang for it in index.items])
    return [{s.code: s.p for s in coding.scores} for coding in codings]


def baseline(index: CounterIndex, claim: str, machine_p: MachineP) -> tuple[list[int], list[str]]:
    """Same reading, fallback and gate; passages sorted by the answering code's machine
    probability only."""
    with one_blas_thread():
        reading = read_claim(index, claim)
    answers, _ = answering_codes(index.codebook, reading)
    rows = eligible(index, answers, include_unrenounced=False)

    def strength(i: int) -> float:
        return max(weight * machine_p[i].get(code, 0.0) for code, weight in answers.items())

    ranked = sorted(rows, key=lambda i: -strength(i))
    return ranked[:N], [j.code for j in reading.joins]


def f1(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


RELEVANCE_KEYS = ("nDCG@5", "P@5 rel>=1", "P@5 rel>=2")


def summarise(results: list[dict[str, Any]]) -> dict[str, float]:
    ms = np.array([r["ms"] for r in results])
    topical = [r for r in results if r["topic"]]
    answered = [r for r in results if r["cases"]]
    return {
        "nDCG@5": float(np.mean([r["ndcg"] for r in results])),
        "P@5 rel>=1": float(np.mean([r["p1"] for r in results])),
        "P@5 rel>=2": float(np.mean([r["p2"] for r in results])),
        "answered": float(len(answered)),
        "fallback": float(sum(r["fallback"] for r in results)),
        "code P@5": float(np.mean([r["hits"] / N for r in results])),
        "join F1": f1([r["gold"] for r in results], [r["pred"] for r in results]),
        "topic@3": float(np.mean([r["topic_hit"] for r in topical])) if topical else 0.0,
        "min cases": float(min((r["cases"] for r in answered), default=0)),
        "mean cases": float(np.mean([r["cases"] for r in answered])) if answered else 0.0,
        "p50 ms": float(np.percentile(ms, 50)),
        "p95 ms": float(np.percentile(ms, 95)),
        "gated": float(sum(r["gated"] for r in results)),
    }


def measure(
    index: CounterIndex,
    claims: list[dict[str, Any]],
    judged: dict[str, dict[str, int]],
    machine_p: MachineP,
) -> dict[str, list[dict[str, Any]]]:
    book = index.codebook
    items = {it.passage_id: it for it in index.items}
    pool = [it.passage_id for it in index.items if not it.gated_by]
    out: dict[str, list[dict[str, Any]]] = {"counter": [], "baseline": []}
    for row in claims:
        gold = set(row["joins"])
        mapped = {code for j in gold for code in book.answers_for(j)}
        grades = judged[row["id"]]

        t = time.perf_counter()
        pack = answer(index, row["text"], n=N)
        ms = (time.perf_counter() - t) * 1000
        picked = [items[a.passage_id] for a in pack.answers]
        mine = _result(row, gold, {j.code for j in pack.join}, mapped, picked, ms)
        out["counter"].append(mine | _relevance(picked, grades, pool) | {"fallback": pack.fallback})

        t = time.perf_counter()
        rows, joins = baseline(index, row["text"], machine_p)
        ms = (time.perf_counter() - t) * 1000
        picked = [index.items[i] for i in rows]
        base = _result(row, gold, set(joins), mapped, picked, ms)
        out["baseline"].append(
            base | _relevance(picked, grades, pool) | {"fallback": pack.fallback}
        )
    return out


def _relevance(picked: list[Any], grades: dict[str, int], pool: list[str]) -> dict[str, float]:
    ranked = [it.passage_id for it in picked]
    return {
        "ndcg": ndcg_at(ranked, grades, pool, N),
        "p1": precision_at(ranked, grades, N, 1),
        "p2": precision_at(ranked, grades, N, 2),
    }


def _result(
    row: dict[str, Any],
    gold: set[str],
    pred: set[str],
    mapped: set[str],
    picked: list[Any],
    ms: float,
) -> dict[str, Any]:
    def carries(item: Any, codes: set[str]) -> bool:
        return any(item.codes.get(c, 0.0) > 0 for c in codes)

    topic = row.get("topic")
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


def compare(ours: dict[str, float], base: dict[str, float], keys: Sequence[str]) -> str:
    rows = []
    for key in keys:
        ratio = ours[key] / base[key] if base[key] else float("nan")
        rows.append([key, ours[key], base[key], ratio])
    return table(["metric", "counter", "baseline", "ratio"], rows)


def main() -> int:
    claims = load_claims()
    judged = load_judgement(load_reference().corpus)
    unjudged = [c["id"] for c in claims if c.get("id") not in judged]
    if unjudged:
        raise SystemExit(f"no relevance judgement for claims {', '.join(unjudged)}")
    t = time.perf_counter()
    index = reference_index()
    build_s = time.perf_counter() - t
    for lang in sorted({c.get("lang") for c in claims}, key=str):  # warm: one claim a language
        answer(index, next(c["text"] for c in claims if c.get("lang") == lang))
    results = measure(index, claims, judged, machine_probabilities(index))
    ours, base = summarise(results["counter"]), summarise(results["baseline"])
    print(
        f"counter on {len(claims)} claims, {len(index.items)} passages "
        f"({index.relevance.name}); index built in {build_s:.1f} s"
    )
    print(compare(ours, base, list(ours)))
    fell = [k for k, r in enumerate(results["counter"]) if r["fallback"]]
    if fell:
        ids = ", ".join(results["counter"][k]["id"] for k in fell)
        print(f"\nthe {len(fell)} claims answered by fallback ({ids}):")
        mine = summarise([results["counter"][k] for k in fell])
        theirs = summarise([results["baseline"][k] for k in fell])
        print(compare(mine, theirs, RELEVANCE_KEYS))
    langs = sorted({r["lang"] for r in results["counter"]})
    per_lang = []
    for lang in langs:
        rs = [r for r in results["counter"] if r["lang"] == lang]
        s = summarise(rs)
        per_lang.append(
            [lang, len(rs), s["nDCG@5"], s["P@5 rel>=2"], s["join F1"], s["min cases"], s["p95 ms"]]
        )
    print()
    heads = ["lang", "claims", "nDCG@5", "P@5 rel>=2", "join F1", "min cases", "p95 ms"]
    print(table(heads, per_lang))
    misses = [r for r in results["counter"] if r["hits"] < N or r["pred"] != r["gold"]]
    if misses:
        print("\nclaims below 5/5 on code P@5 or with a join mismatch:")
        for r in misses:
            gold, got = sorted(r["gold"]), sorted(r["pred"])
            print(f"  {r['id']}: hits {r['hits']}/5, gold {gold}, got {got}")
    targets = ours["answered"] == len(claims) and ours["min cases"] >= 3 and ours["p95 ms"] < 200
    print(
        f"\ntargets (every claim answered, >= 3 cases in every top 5, p95 < 200 ms): "
        f"{'met' if targets else 'NOT met'}; gated answers: {int(ours['gated'])}; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    return 0 if ours["gated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
