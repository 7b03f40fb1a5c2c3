"""The MiniLM embedder on ONNX Runtime: the packaged weights written into an ONNX graph with the
``onnx`` helper API (no torch), int8-quantised by default, built once and cached on disk under a
hash of the weights, run by ONNX Runtime on a few threads of its own.

The int8 graph quantises every weight matrix (per channel) except each layer's feed-forward
output projection, whose inputs (GELU outputs) lose the most to int8: kept in float32 it holds
the cosine to the float32 graph at 0.992 or more on real English passages (0.987 with it
quantised), at about a sixth less speed (``bench/embedding.py``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from defectio.coding.minilm import (
    F32,
    I64,
    MODEL_NAME,
    BertConfig,
    check_pooling,
    cpu_count,
    encode_sorted,
    load_tokenizer,
    load_weights,
    max_tokens,
    model_dir,
    scatter,
)

#: Bumped whenever the graph or the quantisation recipe below changes, so stale cached files
#: are never reused.
ONNX_GRAPH_VERSION = "4"
#: ONNX Runtime's contrib-op domain (fused Attention, SkipLayerNormalization, BiasGelu).
MS = "com.microsoft"
CACHE_ENV = "DEFECTIO_CACHE"


def cache_dir() -> Path:
    """Where built graphs are kept: ``onnx/`` in ``$DEFECTIO_CACHE``, else in
    ``$XDG_CACHE_HOME/defectio``, else in ``~/.cache/defectio`` (beside the trained coders)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env) / "onnx"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "defectio" / "onnx"


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class _Layer:
    """One encoder layer's weights laid out for ``x @ W`` (torch stores Linear as (out, in))."""

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


def _layers(weights: dict[str, F32], n_layers: int) -> list[_Layer]:
    def lin(name: str) -> F32:
        return np.ascontiguousarray(weights[f"{name}.weight"].T)

    out: list[_Layer] = []
    for i in range(n_layers):
        p = f"encoder.layer.{i}"
        att = f"{p}.attention"
        qkv = ("query", "key", "value")
        out.append(
            _Layer(
                w_qkv=np.ascontiguousarray(
                    np.concatenate([lin(f"{att}.self.{n}") for n in qkv], axis=1)
                ),
                b_qkv=np.concatenate([weights[f"{att}.self.{n}.bias"] for n in qkv]),
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
    return out


def _ffn_out(layer: int) -> str:
    """The node name of a layer's feed-forward output projection (kept in float32 by int8)."""
    return f"l{layer}_out"


def _build_onnx_model(path: Path) -> Any:
    """Write the BERT encoder + mean pooling + L2 normalisation as an ONNX graph.

    The encoder uses ONNX Runtime's fused CPU kernels (``com.microsoft`` Attention,
    SkipLayerNormalization and exact-erf BiasGelu), so the file is for ONNX Runtime only.

    Inputs ``input_ids`` and ``attention_mask`` (int64, [batch, seq]); output
    ``sentence_embedding`` (float32, [batch, hidden]).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    cfg = BertConfig.from_dir(path)
    w = load_weights(path)
    layers = _layers(w, cfg.layers)
    heads, d = cfg.heads, cfg.hidden

    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: npt.NDArray[Any]) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def skip_layer_norm(x: str, skip: str, bias: F32, g: F32, b: F32, prefix: str) -> str:
        """LayerNorm(x + skip + bias), fused (com.microsoft.SkipLayerNormalization)."""
        return node(
            "SkipLayerNormalization",
            [
                x,
                skip,
                const(f"{prefix}_g", g),
                const(f"{prefix}_b", b),
                const(f"{prefix}_bias", bias),
            ],
            prefix,
            domain=MS,
            epsilon=cfg.eps,
        )

    def layer_norm(x: str, g: F32, b: F32, prefix: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{prefix}_g", g), const(f"{prefix}_b", b)],
            prefix,
            axis=-1,
            epsilon=cfg.eps,
        )

    # Embeddings
    word = node(
        "Gather", [const("word_emb", w["embeddings.word_embeddings.weight"]), "input_ids"], "word"
    )
    # Positions 0..seq-1 as a Slice of the table (a Gather of a Range trips an ORT rewrite).
    seq_len = node("Shape", ["input_ids"], "seq_len", start=1, end=2)  # 1-D [seq]
    pos = node(
        "Slice",
        [
            const("pos_emb", w["embeddings.position_embeddings.weight"]),
            const("zero_1d", np.array([0], dtype=np.int64)),
            seq_len,
            const("axis0", np.array([0], dtype=np.int64)),
        ],
        "pos",
    )
    emb = node("Add", [word, pos], "emb_wp")
    emb = node(
        "Add", [emb, const("type0_emb", w["embeddings.token_type_embeddings.weight"][0])], "emb"
    )
    x = layer_norm(emb, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], "emb_ln")

    maskf = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask_i32 = node("Cast", ["attention_mask"], "mask_i32", to=TensorProto.INT32)

    for i, ly in enumerate(layers):
        p = f"l{i}"
        att = node(
            "Attention",
            [x, const(f"{p}_wqkv", ly.w_qkv), const(f"{p}_bqkv", ly.b_qkv), mask_i32],
            f"{p}_att",
            domain=MS,
            num_heads=heads,
        )
        att = node("MatMul", [att, const(f"{p}_wo", ly.w_o)], f"{p}_att_out")
        x = skip_layer_norm(att, x, ly.b_o, ly.ln1_g, ly.ln1_b, f"{p}_ln1")
        inter = node("MatMul", [x, const(f"{p}_wi", ly.w_i)], f"{p}_inter")
        inter = node("BiasGelu", [inter, const(f"{p}_bi", ly.b_i)], f"{p}_gelu", domain=MS)
        out = node("MatMul", [inter, const(f"{p}_wout", ly.w_out)], _ffn_out(i))
        x = skip_layer_norm(out, x, ly.b_out, ly.ln2_g, ly.ln2_b, f"{p}_ln2")

    # Mean pooling over the mask, then L2 normalisation.
    m3 = node("Unsqueeze", [maskf, const("axis2", np.array([2], dtype=np.int64))], "mask_3d")
    masked = node("Mul", [x, m3], "masked")
    axis1 = const("axis1", np.array([1], dtype=np.int64))
    summed = node("ReduceSum", [masked, axis1], "summed", keepdims=0)
    counts = node("ReduceSum", [maskf, axis1], "counts", keepdims=1)
    counts = node(
        "Max", [counts, const("tiny_count", np.array(1e-9, dtype=np.float32))], "counts_c"
    )
    pooled = node("Div", [summed, counts], "pooled")
    norm = node("ReduceL2", [pooled], "norm", axes=[1], keepdims=1)  # opset 17: attribute
    norm = node("Max", [norm, const("tiny_norm", np.array(1e-12, dtype=np.float32))], "norm_c")
    node("Div", [pooled, norm], "sentence_embedding")

    graph = helper.make_graph(
        nodes,
        "all_minilm_l6_v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", d])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
        producer_name="defectio",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _atomic_target(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _quantize_int8(src: Path, dst: Path, layers: int) -> None:
    """Per-channel int8 dynamic quantisation of the weights, but for the feed-forward output
    projections (see the module docstring)."""
    import logging

    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser logs through the root logger; with no handler there, logging.warning()
    # would call basicConfig() and change the host application's logging. Shield it.
    root = logging.getLogger()
    shield = logging.NullHandler() if not root.handlers else None
    if shield is not None:
        root.addHandler(shield)
    tmp = _atomic_target(dst)
    try:
        quantize_dynamic(
            str(src),
            str(tmp),
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=[_ffn_out(i) for i in range(layers)],
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
        if shield is not None:
            root.removeHandler(shield)


def onnx_model_path(
    path: Path | None = None, *, quantize: bool = True, cache: Path | None = None
) -> Path:
    """Build (once) and return the cached ONNX file for the packaged weights.

    Files live in ``cache`` (default :func:`cache_dir`), named after a hash of the weights
    file and the graph version, so a new model or a new graph never reuses a stale file.
    """
    path = model_dir() if path is None else path
    key = _file_sha256(path / "model.safetensors")[:16]
    folder = cache_dir() if cache is None else cache
    base = folder / f"minilm-l6-v2-{key}-g{ONNX_GRAPH_VERSION}"
    fp32 = base.with_suffix(".fp32.onnx")
    if not fp32.is_file():
        import onnx

        tmp = _atomic_target(fp32)
        try:
            onnx.save_model(_build_onnx_model(path), str(tmp))
            os.replace(tmp, fp32)
        finally:
            tmp.unlink(missing_ok=True)
    if not quantize:
        return fp32
    int8 = base.with_suffix(".int8.onnx")
    if not int8.is_file():
        _quantize_int8(fp32, int8, BertConfig.from_dir(path).layers)
    return int8


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
                max_workers=min(8, cpu_count()), thread_name_prefix="defectio-embed"
            )
        return _pool


class MiniLMOnnx:
    """all-MiniLM-L6-v2 on ONNX Runtime (graph built from the packaged weights, no torch).

    Length-sorted batches (single texts for int8) run ``workers`` at a time (default: one per
    core, at most 8), each on one ONNX Runtime thread. On two shared cores this ran real
    passages about 40% faster than one batch at a time on ONNX Runtime's own spinning thread
    pool, which collapses when another process holds a core.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        quantize: bool = True,
        workers: int | None = None,
        cache: Path | None = None,
    ) -> None:
        import onnxruntime as ort

        path = model_dir() if path is None else path
        check_pooling(path)
        self.path = path
        self.config = BertConfig.from_dir(path)
        # int8 vectors differ (cosine ~0.99 to fp32): a distinct name keeps a coder trained on
        # one kind of vector from being run on the other.
        self.name = f"{MODEL_NAME}-int8" if quantize else MODEL_NAME
        self.dim = self.config.hidden
        self.quantized = quantize
        self.engine = "onnx-int8" if quantize else "onnx"
        self.workers = max(1, min(8, cpu_count()) if workers is None else workers)
        self.max_tokens = max_tokens(path, self.config)
        self._tok = load_tokenizer(path, self.max_tokens)
        self.onnx_path = onnx_model_path(path, quantize=quantize, cache=cache)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.onnx_path), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def __repr__(self) -> str:
        return f"MiniLMOnnx(name={self.name!r}, dim={self.dim}, quantized={self.quantized})"

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> F32:
        # int8 runs one text per call: dynamic quantisation sets the activations' scale per
        # call, so in a batch a text's vector would depend on its neighbours (up to 0.016 per
        # component). Unpadded, one at a time was also the fastest on real passages.
        rows = 1 if self.quantized else batch_size
        batches = encode_sorted(self._tok, texts, rows, workers=self.workers)
        results: Iterable[F32]
        if self.workers == 1 or len(batches) <= 1:
            results = [self._forward(ids, mask) for _, ids, mask in batches]
        else:  # InferenceSession.run is thread-safe and releases the GIL
            results = list(_threads().map(lambda b: self._forward(b[1], b[2]), batches))
        return scatter(batches, results, len(texts), self.dim)

    def _forward(self, input_ids: I64, mask: I64) -> F32:
        (out,) = self._session.run(
            ["sentence_embedding"], {"input_ids": input_ids, "attention_mask": mask}
        )
        return np.asarray(out, dtype=np.float32)
