"""Cut a passage into runs of text, each with the codes whose evidence spans cover it, so a
page can mark evidence per code without building HTML by hand."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    text: str
    codes: tuple[str, ...]


def evidence_runs(text: str, spans: Iterable[tuple[str, int, int]]) -> list[Run]:
    """``spans`` are (code, start, end) character offsets; out-of-range parts are clipped."""
    clipped = [
        (code, max(0, start), min(len(text), end))
        for code, start, end in spans
        if min(len(text), end) > max(0, start)
    ]
    cuts = sorted({0, len(text)} | {s for _, s, _ in clipped} | {e for _, _, e in clipped})
    runs: list[Run] = []
    for start, end in itertools.pairwise(cuts):
        codes = tuple(sorted({c for c, s, e in clipped if s <= start and end <= e}))
        if runs and runs[-1].codes == codes:
            runs[-1] = Run(runs[-1].text + text[start:end], codes)
        else:
            runs.append(Run(text[start:end], codes))
    return runs or [Run(text, ())]


def colour_classes(code_ids: Sequence[str], n_colours: int = 8) -> dict[str, str]:
    """A stable CSS class per code (``hl0``..``hl7``), in codebook order."""
    return {code: f"hl{i % n_colours}" for i, code in enumerate(code_ids)}
