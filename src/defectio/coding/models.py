"""Trained coders on disk: the default coder for a codebook is trained on first use,
deterministically, from the bundled training data, and cached; ``defectio train`` refreshes it.

The cache lives in ``DEFECTIO_CACHE``, else ``$XDG_CACHE_HOME/defectio``, else
``~/.cache/defectio``. A model's folder name carries a hash of everything it was trained on
(codebook, examples, coder config, defectio version, embedding model), so a change retrains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from defectio import __version__
from defectio.codebook import Codebook
from defectio.coding.base import Coder
from defectio.coding.encoders import ENCODERS, encoder_status
from defectio.coding.ensemble import EnsembleCoder
from defectio.coding.linear import LinearCoder
from defectio.coding.semantic import SemanticCoder
from defectio.coding.training import Example, bundled_examples
from defectio.errors import CoderError

log = logging.getLogger(__name__)
CACHE_ENV = "DEFECTIO_CACHE"
MODEL_FORMAT = 4  # bump when features or saved arrays change, so cached models retrain
TRAINED: dict[str, type[LinearCoder] | type[SemanticCoder] | type[EnsembleCoder]] = {
    "linear.v1": LinearCoder,
    "semantic.v1": SemanticCoder,
    "ensemble.v1": EnsembleCoder,
}


def cache_root() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "defectio"


def training_key(name: str, codebook: Codebook, examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    encoders = (
        {key: encoder_status(key) for key in ENCODERS}
        if name in ("semantic.v1", "ensemble.v1")
        else None
    )
    h.update(json.dumps([name, __version__, MODEL_FORMAT, encoders]).encode())
    h.update(codebook.model_dump_json().encode())
    for ex in examples:
        h.update(json.dumps([ex.text, sorted(ex.labels), ex.lang, ex.real, ex.weight]).encode())
    return h.hexdigest()[:16]


def train(name: str, codebook: Codebook, examples: Sequence[Example]) -> Coder:
    cls = TRAINED.get(name)
    if cls is None:
        raise CoderError(f"'{name}' is not a trained coder; trained coders: {', '.join(TRAINED)}")
    texts = [e.text for e in examples]
    labels = [list(e.labels) for e in examples]
    if issubclass(cls, EnsembleCoder):
        return cls(codebook).fit(
            texts,
            labels,
            [e.lang for e in examples],
            real=[e.real for e in examples],
            weights=[e.weight for e in examples],
        )
    if not examples:
        raise CoderError(f"{name} needs training examples; codebook {codebook.ref} has none")
    weights = np.array([e.weight for e in examples], dtype=float)
    return cls(codebook).fit(texts, labels, weights=weights)


def model_dir(name: str, codebook: Codebook, examples: Sequence[Example]) -> Path:
    key = training_key(name, codebook, examples)
    return cache_root() / "models" / f"{name}-{codebook.id}-{key}"


def load_saved(name: str, directory: Path) -> Coder:
    return TRAINED[name].load(directory)


def trained_coder(
    name: str,
    codebook: Codebook,
    examples: Sequence[Example] | None = None,
    *,
    refresh: bool = False,
) -> Coder:
    """The coder trained on these examples (default: the bundled ones), from the cache when it
    is there, else trained now and saved atomically."""
    examples = bundled_examples(codebook) if examples is None else examples
    target = model_dir(name, codebook, examples)
    if target.is_dir() and not refresh:
        try:
            return load_saved(name, target)
        except CoderError as exc:
            log.warning("retraining %s: %s", name, exc)
    log.info("training %s on %d examples for %s", name, len(examples), codebook.ref)
    coder = train(name, codebook, examples)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        coder.save(scratch)
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not target.exists():
            raise
    return coder
