"""`defectio code-file` streams: its memory must not grow with the input. Codes N short
passages and N/10 in child processes, samples their resident memory, and prints the peaks with
the ratio of the large run to the small one (the baseline, measured in the same run): about
1.0 means constant memory.

    python bench/code_file_memory.py [--n 1000000] [--coder linear]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import table
from bench.throughput import generate


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def run(n: int, coder: str, folder: Path) -> tuple[float, list[float], float]:
    """Seconds, RSS samples (MB) and peak RSS of one code-file run over n passages."""
    src = folder / f"in-{n}.jsonl"
    pool = generate(5000)
    with src.open("w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(json.dumps({"id": i, "text": pool[i % len(pool)][:200]}) + "\n")
    exe = Path(sys.executable).with_name("defectio")
    cmd = [
        str(exe),
        "code-file",
        str(src),
        "--out",
        str(folder / f"out-{n}.jsonl"),
        "--coder",
        coder,
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples = []
    while proc.poll() is None:
        samples.append(rss_mb(proc.pid))
        time.sleep(0.25)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(proc.stderr.read().decode() if proc.stderr else "code-file failed")
    return seconds, samples, max(samples or [0.0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--coder", default="linear")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        results = {}
        for n in (args.n // 10, args.n):
            seconds, samples, peak = run(n, args.coder, folder)
            results[n] = peak
            late = samples[len(samples) // 2 :] or [0.0]
            rows.append(
                [
                    n,
                    seconds,
                    n / seconds,
                    samples[len(samples) // 4] if samples else 0,
                    max(late),
                    peak,
                ]
            )
        print(f"code-file with {args.coder}, pid {os.getpid()}")
        print(
            table(
                [
                    "passages",
                    "seconds",
                    "passages/s",
                    "RSS at 25% MB",
                    "RSS 2nd half MB",
                    "peak MB",
                ],
                rows,
            )
        )
        print(
            f"peak ratio {args.n:,} / {args.n // 10:,} passages: "
            f"{results[args.n] / results[args.n // 10]:.2f} (1.0 = constant memory)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
