"""Helpers shared by the benchmarks (not a test module)."""

from __future__ import annotations

import resource
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from defectio.coding.embedding import Embedder, load_embedder


class MemoEmbedder:
    """Wraps the installed embedder and remembers vectors, so cross-validation embeds each
    passage once instead of once per fold."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.memo: dict[str, NDArray[np.float32]] = {}

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.embed(missing, batch_size), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


def memo_embedder() -> MemoEmbedder | None:
    inner = load_embedder()
    return MemoEmbedder(inner) if inner is not None else None


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM): unlike ru_maxrss it does not carry the
    parent's size over a fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)
