"""How trained coders live on disk, without pickle: ``coder.json`` (registered name, config,
codes), ``codebook.json`` (the codebook they were trained for) and one ``.npz`` of arrays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from defectio.codebook import Codebook
from defectio.errors import CoderError


@dataclass(frozen=True)
class Saved:
    meta: dict[str, Any]
    codebook: Codebook
    arrays: dict[str, NDArray[Any]]


def write(
    directory: Path,
    coder_id: str,
    config: BaseModel,
    codebook: Codebook,
    arrays: dict[str, NDArray[Any]],
    **extra: Any,
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"coder": coder_id, "config": config.model_dump(), "codes": codebook.code_ids, **extra}
    (directory / "coder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (directory / "codebook.json").write_text(codebook.model_dump_json(), encoding="utf-8")
    np.savez_compressed(directory / "arrays.npz", **arrays)  # type: ignore[arg-type]


def read(directory: Path, coder_id: str) -> Saved:
    """Read a saved coder, refusing another kind's folder or arrays that need pickle."""
    try:
        meta = json.loads((directory / "coder.json").read_text(encoding="utf-8"))
        book = Codebook.model_validate_json((directory / "codebook.json").read_text("utf-8"))
        with np.load(directory / "arrays.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, KeyError) as exc:
        raise CoderError(f"{directory}: not a saved {coder_id} coder ({exc})") from None
    if meta.get("coder") != coder_id:
        raise CoderError(f"{directory}: holds {meta.get('coder')}, not {coder_id}")
    if meta.get("codes") != book.code_ids:
        raise CoderError(f"{directory}: saved for codes {meta.get('codes')}, not {book.code_ids}")
    return Saved(meta, book, arrays)


def sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


def logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-4, 1 - 1e-4)
    out: NDArray[np.float64] = np.log(q / (1 - q))
    return out
