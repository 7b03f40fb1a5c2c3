"""Passages per second for each coder in one process, on generated passages, with the lexicon
coder as the baseline ratio measured in the same run; peak memory of each coder's process.

Each coder runs in a fresh child process, so its peak RSS is its own. The fast coders code
``--n`` passages (default 100,000); the ones that embed code ``--n-embed`` (default 5,000),
because at a few hundred passages a second 100,000 would take minutes; the rate is per second
either way.

    python bench/throughput.py [--n 100000] [--n-embed 5000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time

from bench._common import peak_rss_mb, table

# (label, coder, MiniLM engine): semantic.v1 embeds with MiniLM on the default int8 engine; the
# default ensemble embeds with the multilingual USE encoder, which has one engine.
RUNS = [
    ("lexicon.v1", "lexicon.v1", None),
    ("linear.v1", "linear.v1", None),
    ("semantic.v1", "semantic.v1", "onnx-int8"),
    ("ensemble.v1", "ensemble.v1", None),
]


def generate(n: int, seed: int = 7) -> list[str]:
    """Passages of one to four sentences recombined from the bundled training sentences."""
    from defectio.codebook import load_codebook
    from defectio.coding.training import bundled_examples
    from defectio.text.segment import sentences

    pool = [s for e in bundled_examples(load_codebook()) for s in sentences(e.text)]
    rng = random.Random(seed)
    return [" ".join(rng.choices(pool, k=rng.randint(1, 4))) for _ in range(n)]


def run(label: str, name: str, engine: str | None, n: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    import os

    if engine:
        os.environ["DEFECTIO_EMBEDDINGS_ENGINE"] = engine
    from defectio.codebook import load_codebook
    from defectio.coding.registry import build_coder
    from defectio.text.lang import detect_languages

    coder = build_coder(name, load_codebook())
    texts = generate(n)
    langs = detect_languages(texts)  # as `defectio code` does: languages come with the passages
    coder.predict(texts[:64], langs[:64])  # warm up (lazy models, BLAS threads)
    start = time.perf_counter()
    for i in range(0, n, 1024):
        coder.predict(texts[i : i + 1024], langs[i : i + 1024])
    seconds = time.perf_counter() - start
    queue.put((label, n, seconds, peak_rss_mb()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--n-embed", type=int, default=5_000)
    args = parser.parse_args()
    from defectio.coding.embedding import embedder_status, load_embedder

    embedder = load_embedder()
    print(embedder_status())
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    results = {}
    for label, name, engine in RUNS:
        if engine and embedder is None:
            continue
        n = args.n_embed if engine else args.n
        proc = ctx.Process(target=run, args=(label, name, engine, n, queue))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            print(f"{label}: failed (exit {proc.exitcode})")
            continue
        got = queue.get()
        results[got[0]] = got[1:]
    base_n, base_s, _ = results["lexicon.v1"]
    base_rate = base_n / base_s
    rows = [[name, n, n / s, (n / s) / base_rate, mem] for name, (n, s, mem) in results.items()]
    print(table(["coder", "passages", "passages/s", "ratio to lexicon", "peak RSS MB"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
