"""A reference forward pass of all-MiniLM-L6-v2 in plain numpy, float64: the test oracle for
the ONNX graph that :mod:`defectio.coding.embedding_onnx` writes.

Independent of the package's engine code on purpose: it reads the checkpoint tensors itself
(torch Linear layout, ``x @ W.T``), runs each attention head separately, and uses ``math.erf``
for GELU. Only the model's files and the tokenizer's padded batches are shared. It is slow;
it only has to be right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from defectio.coding.minilm import (
    BertConfig,
    encode_sorted,
    load_tokenizer,
    max_tokens,
    model_dir,
    scatter,
)

F64 = npt.NDArray[np.float64]

_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x: F64) -> F64:
    """Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2)))."""
    out: F64 = x * 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
    return out


def layer_norm(x: F64, gamma: F64, beta: F64, eps: float) -> F64:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: F64 = (x - mean) / np.sqrt(var + eps) * gamma + beta
    return out


class MiniLMOracle:
    """Sentence embeddings as sentence-transformers computes them, one text at a time."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file

        path = model_dir() if path is None else path
        self.config = BertConfig.from_dir(path)
        self.dim = self.config.hidden
        self.max_tokens = max_tokens(path, self.config)
        self._tok = load_tokenizer(path, self.max_tokens)
        raw = load_file(str(path / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float64) for k, v in raw.items()}

    def _linear(self, x: F64, name: str) -> F64:
        out: F64 = x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]
        return out

    def _encode_one(self, ids: Sequence[int]) -> F64:
        cfg, w = self.config, self.w
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][list(ids)]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], cfg.eps)
        hd = cfg.hidden // cfg.heads
        for i in range(cfg.layers):
            p = f"encoder.layer.{i}"
            q = self._linear(x, f"{p}.attention.self.query")
            k = self._linear(x, f"{p}.attention.self.key")
            v = self._linear(x, f"{p}.attention.self.value")
            heads = []
            for h in range(cfg.heads):
                cols = slice(h * hd, (h + 1) * hd)
                scores = q[:, cols] @ k[:, cols].T / math.sqrt(hd)
                scores = np.exp(scores - scores.max(axis=1, keepdims=True))
                scores /= scores.sum(axis=1, keepdims=True)
                heads.append(scores @ v[:, cols])
            att = self._linear(np.concatenate(heads, axis=1), f"{p}.attention.output.dense")
            x = layer_norm(
                att + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
                cfg.eps,
            )
            inter = gelu(self._linear(x, f"{p}.intermediate.dense"))
            out = self._linear(inter, f"{p}.output.dense")
            x = layer_norm(
                out + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
                cfg.eps,
            )
        pooled = x.mean(axis=0)
        unit: F64 = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return unit

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> npt.NDArray[np.float32]:
        """Same contract as the package's engines (float32 unit rows, in input order)."""
        batches = encode_sorted(self._tok, texts, batch_size)
        results = [
            np.stack(
                [self._encode_one(row[m.astype(bool)]) for row, m in zip(ids, mask, strict=True)]
            ).astype(np.float32)
            for _, ids, mask in batches
        ]
        return scatter(batches, results, len(texts), self.dim)
