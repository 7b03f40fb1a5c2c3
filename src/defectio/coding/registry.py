"""Registered, versioned coder names (``lexicon.v1``, ``ensemble.v1``) and how to get each one
ready to code: the lexicon is built from the codebook, the others are trained (and cached)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from defectio.codebook import Codebook
from defectio.coding.base import Coder
from defectio.coding.lexicon import LexiconCoder
from defectio.errors import CoderError

DEFAULT_CODER = "ensemble.v1"


@dataclass(frozen=True)
class CoderSpec:
    name: str
    summary: str
    trained: bool


REGISTRY: dict[str, CoderSpec] = {
    spec.name: spec
    for spec in (
        CoderSpec(
            "lexicon.v1", "codebook indicator phrases per language, negation and hedges", False
        ),
        CoderSpec("linear.v1", "TF-IDF word and character n-grams, logistic regression", True),
        CoderSpec("semantic.v1", "MiniLM sentence embeddings and codebook similarity", True),
        CoderSpec(
            "ensemble.v1",
            "lexicon, linear and multilingual sentence embeddings stacked (default)",
            True,
        ),
    )
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
    """A coder ready to predict: trained ones come from the cache or are trained now."""
    resolved = resolve_name(name)
    if not REGISTRY[resolved].trained:
        return LexiconCoder(codebook)
    from defectio.coding.models import trained_coder

    return trained_coder(resolved, codebook)


def load_coder(directory: Path) -> Coder:
    """Load a saved coder of any registered kind from its directory."""
    try:
        meta = json.loads((directory / "coder.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CoderError(f"{directory}: not a saved coder ({exc})") from None
    name = str(meta.get("coder"))
    if name == "lexicon.v1":
        return LexiconCoder.load(directory)
    if name not in REGISTRY:
        raise CoderError(f"{directory}: unknown coder {name!r}")
    from defectio.coding.models import load_saved

    return load_saved(name, directory)
