"""The API's batcher codes waiting requests together and gives each its own coding."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from defectio.codebook import Codebook
from defectio.coding.registry import build_coder
from defectio.web.batching import CodingBatcher

TEXTS = [
    "They executed civilians in the square.",
    "The emirs kept the best houses for themselves.",
    "We fought other rebel groups more than the regime.",
    "There was no electricity and food was scarce.",
] * 8


def test_concurrent_requests_get_the_same_codings_as_one_by_one(codebook: Codebook) -> None:
    coder = build_coder("lexicon.v1", codebook)
    alone = [coder.predict([t], ["en"])[0] for t in TEXTS]
    batcher = CodingBatcher(coder, max_batch=8)
    with ThreadPoolExecutor(16) as pool:
        futures = list(pool.map(lambda t: batcher.submit(t, "en"), TEXTS))
    assert [f.result(timeout=30) for f in futures] == alone


class Broken:
    name, version, config = "broken", "v0", {}

    def predict(self, texts: object, langs: object = None) -> list[object]:
        raise RuntimeError("model file is damaged")


def test_an_error_reaches_every_waiting_caller_and_the_batcher_keeps_serving() -> None:
    batcher = CodingBatcher(Broken())  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(RuntimeError, match="model file is damaged"):
            batcher.submit("text", None).result(timeout=10)
