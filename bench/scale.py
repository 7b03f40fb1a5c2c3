"""Batch coding on Dask against one plain process, on generated posts.

Generates ``--n`` posts (default 1,000,000), each one to four sentences of one language
recombined from the bundled training set (``src/defectio/data/training/icsr2015/*.jsonl``),
with an id, a day, a source and its language, as one JSONL file. Then codes them:

- in one plain process, the baseline: the same partitions read, coded and written one after
  another with the same functions, without Dask;
- with ``defectio batch`` (``run_batch``) on a LocalCluster of 1, then 2, worker processes.

Prints posts per second (coding phase: from the first task to the last partition written; the
job's wall time, with the cluster's start and the aggregate table, beside it), the ratio to the
baseline times the number of workers, the scaling efficiency from 1 to 2 workers
(rate(2) / (2 x rate(1))), and the peak RSS (VmHWM) of every process. Also, for reference, the
coder's ``predict`` alone on 100,000 posts in the baseline process.

The coder is ``--coder``, ``linear.v1`` by default: the default ensemble embeds every post
(about 100-300 posts/s per core), which on 1M posts would take hours. The posts carry their
language, so no path detects it; ``--detect`` leaves it out, and every path then runs language
detection too.

    python -m bench.scale [--n 1000000] [--coder linear.v1] [--workers 1 2] [--detect]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import peak_rss_mb, table

SOURCES = ("twitter", "telegram", "facebook", "forum", "youtube")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
PREDICT_ONLY = 100_000


def generate(path: Path, n: int, *, with_lang: bool, seed: int = 11) -> int:
    """Write ``n`` posts; returns the bytes written."""
    from defectio.codebook import load_codebook
    from defectio.coding.training import read_examples, training_files
    from defectio.text.segment import sentences

    book = load_codebook()
    pools: dict[str, list[str]] = {}
    for file in training_files(book):
        for example in read_examples(file, book):
            pools.setdefault(example.lang or "en", []).extend(sentences(example.text))
    langs = sorted(pools)
    weights = [len(pools[lang]) for lang in langs]
    rng = random.Random(seed)
    first = date(2015, 1, 1)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            lang = rng.choices(langs, weights)[0]
            post: dict[str, Any] = {
                "id": f"p{i:07d}",
                "text": " ".join(rng.choices(pools[lang], k=rng.randint(1, 4))),
                "date": (first + timedelta(days=rng.randrange(365))).isoformat(),
                "source": rng.choice(SOURCES),
            }
            if with_lang:
                post["lang"] = lang
            handle.write(json.dumps(post, ensure_ascii=False) + "\n")
    return path.stat().st_size


def plain(path: Path, out: Path, coder: str, blocksize: int, queue: Any) -> None:
    """The baseline: the batch's own per-partition functions, one partition after another."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from defectio.codebook import load_codebook
    from defectio.scale.coding import code_partition, coder_at, posts_schema, prepare_coder
    from defectio.scale.fields import Fields
    from defectio.scale.inputs import plan_parts, read_part

    book = load_codebook()
    _, directory = prepare_coder(coder, book)
    codes, schema = book.code_ids, posts_schema(book.code_ids)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    posts = 0
    texts: list[str] = []
    langs: list[str | None] = []
    for part in plan_parts([path], blocksize, job="plain"):
        frame = read_part(part, Fields())
        coded = code_partition(frame, str(directory), codes)
        table_ = pa.Table.from_pandas(coded, schema=schema, preserve_index=False)
        pq.write_table(table_, out / f"part-{part.key}.parquet")
        posts += len(coded)
        if len(texts) < PREDICT_ONLY:
            texts += frame["text"].tolist()[: PREDICT_ONLY - len(texts)]
            langs += coded["lang"].tolist()[: PREDICT_ONLY - len(langs)]
    seconds = time.perf_counter() - start
    built = coder_at(str(directory))
    begin = time.perf_counter()
    for i in range(0, len(texts), 1024):
        built.predict(texts[i : i + 1024], langs[i : i + 1024])
    predict_seconds = time.perf_counter() - begin
    queue.put(
        {
            "posts": posts,
            "seconds": seconds,
            "predict_posts": len(texts),
            "predict_seconds": predict_seconds,
            "rss": {"plain process": peak_rss_mb()},
        }
    )


def pid_and_peak() -> tuple[int, float]:
    return os.getpid(), peak_rss_mb()


def batch(path: Path, out: Path, coder: str, blocksize: int, workers: int, queue: Any) -> None:
    """``defectio batch`` on a fresh LocalCluster of ``workers`` processes."""
    from defectio.scale.batch import run_batch
    from defectio.scale.cluster import dask_client

    start = time.perf_counter()
    with dask_client(workers=workers) as client:
        report = run_batch(client, [path], out, coder=coder, blocksize=blocksize)
        seen = client.run(pid_and_peak).values()
        nannies = client.run(pid_and_peak, nanny=True).values()
    wall = time.perf_counter() - start
    # A LocalCluster's scheduler and nannies live in the client's process: count it once.
    me = os.getpid()
    rss = {"client + scheduler + nannies": peak_rss_mb()}
    rss.update({f"worker {i}": mb for i, (_, mb) in enumerate(seen)})
    rss.update({f"nanny {i}": mb for i, (pid, mb) in enumerate(nannies) if pid != me})
    queue.put(
        {
            "posts": report.posts,
            "seconds": report.seconds,
            "wall": wall,
            "parts": report.parts,
            "rejects": report.rejects,
            "rss": rss,
        }
    )


def _child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed (exit {proc.exitcode})")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="posts to generate")
    parser.add_argument("--coder", default="linear.v1")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--blocksize-mb", type=int, default=8)
    parser.add_argument("--detect", action="store_true", help="posts without a language")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    os.environ.update(ONE_THREAD)  # as Dask's nannies set for their workers
    os.environ.setdefault("RAYON_NUM_THREADS", "1")  # language detection: one thread too

    from defectio.codebook import load_codebook
    from defectio.scale.coding import prepare_coder

    name, _ = prepare_coder(args.coder, load_codebook())  # trained once, before any timing
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="defectio-bench-scale-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, name, scratch)
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace, name: str, scratch: Path) -> int:
    blocksize = args.blocksize_mb * 2**20
    path = scratch / "posts.jsonl"
    began = time.perf_counter()
    size = generate(path, args.n, with_lang=not args.detect)
    print(
        f"{args.n:,} posts, {size / 2**20:,.0f} MiB of JSONL, generated in "
        f"{time.perf_counter() - began:.0f} s; coder {name}; "
        f"languages {'detected' if args.detect else 'given'}; {os.cpu_count()} cores"
    )

    base = _child(plain, path, scratch / "plain", name, blocksize)
    base_rate = base["posts"] / base["seconds"]
    rows: list[list[object]] = [
        ["plain process (baseline)", "-", base["posts"], base["seconds"], "-", base_rate, "-", 1.0],
    ]
    rss_rows = [["plain process (baseline)", k, v] for k, v in base["rss"].items()]
    rates: dict[int, float] = {}
    for workers in args.workers:
        got = _child(batch, path, scratch / f"batch-{workers}", name, blocksize, workers)
        rate = got["posts"] / got["seconds"]
        rates[workers] = rate
        rows.append(
            [
                f"batch, {workers} worker{'s' if workers > 1 else ''}",
                got["parts"],
                got["posts"],
                got["seconds"],
                got["wall"],
                rate,
                got["posts"] / got["wall"],
                rate / (base_rate * workers),
            ]
        )
        label = f"batch, {workers} worker{'s' if workers > 1 else ''}"
        rss_rows += [[label, k, v] for k, v in got["rss"].items()]
        rss_rows.append([label, "all processes", sum(got["rss"].values())])
    headers = [
        "run",
        "partitions",
        "posts",
        "coding s",
        "wall s",
        "posts/s",
        "posts/s (wall)",
        "ratio to baseline x workers",
    ]
    print(table(headers, rows))
    print()
    print(table(["run", "process", "peak RSS MB"], rss_rows))
    predict_rate = base["predict_posts"] / base["predict_seconds"]
    print(f"\n{name} predict() alone, in the baseline process: {predict_rate:,.0f} posts/s")
    if 1 in rates and 2 in rates:
        print(f"scaling efficiency 1 -> 2 workers: {rates[2] / (2 * rates[1]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
