"""The sentence encoders a semantic member can use, by short key: ``minilm`` (English,
all-MiniLM-L6-v2) and ``use`` (multilingual, USE v3). Each is optional; a missing one is
reported in one line and its member left out."""

from __future__ import annotations

from collections.abc import Callable

from defectio.coding.embedding import Embedder, embedder_status, load_embedder
from defectio.coding.embedding_use import USE_NAME, load_use, use_status

#: key -> (load it or None, one line on whether it runs and why not)
ENCODERS: dict[str, tuple[Callable[[], Embedder | None], Callable[[], str]]] = {
    "minilm": (load_embedder, embedder_status),
    "use": (load_use, lambda: use_status() or f"multilingual embeddings on: {USE_NAME}"),
}


def load_encoder(key: str) -> Embedder | None:
    if key not in ENCODERS:
        raise ValueError(f"unknown encoder {key!r}; known: {', '.join(ENCODERS)}")
    return ENCODERS[key][0]()


def encoder_status(key: str) -> str:
    """One line: why the encoder is off, or that it is on."""
    return ENCODERS[key][1]()
