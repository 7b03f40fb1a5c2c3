"""Registered, versioned coder names (``lexicon.v1``) and how to build or load each one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from defectio.codebook import Codebook
from defectio.coding.base import Coder
from defectio.coding.lexicon import LexiconCoder
from defectio.errors import CoderError

DEFAULT_CODER = "lexicon.v1"


@dataclass(frozen=True)
class CoderSpec:
    name: str
    summary: str
    build: Callable[[Codebook], Coder]
    load: Callable[[Path], Coder]


REGISTRY: dict[str, CoderSpec] = {
    "lexicon.v1": CoderSpec(
        "lexicon.v1",
        "indicator phrases from the codebook, per language, with negation and hedges",
        LexiconCoder,
        LexiconCoder.load,
    ),
}


def resolve_name(name: str | None) -> str:
    """``lexicon`` and ``lexicon.v1`` both name ``lexicon.v1``; None is the default coder."""
    if name is None:
        return DEFAULT_CODER
    if name in REGISTRY:
        return name
    latest = sorted(k for k in REGISTRY if k.split(".")[0] == name)
    if latest:
        return latest[-1]
    raise CoderError(f"no coder named '{name}'; known coders: {', '.join(sorted(REGISTRY))}")


def build_coder(name: str | None, codebook: Codebook) -> Coder:
    return REGISTRY[resolve_name(name)].build(codebook)


def load_coder(directory: Path) -> Coder:
    """Load a saved coder of any registered kind from its directory."""
    try:
        meta = json.loads((directory / "coder.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CoderError(f"{directory}: not a saved coder ({exc})") from None
    spec = REGISTRY.get(str(meta.get("coder")))
    if spec is None:
        raise CoderError(f"{directory}: unknown coder {meta.get('coder')!r}")
    return spec.load(directory)
