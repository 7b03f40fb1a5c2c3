"""The ONNX Runtime engine for the MiniLM embedder: the same weights written into an ONNX graph
with the ``onnx`` helper API (no torch), optionally int8-quantised, cached on disk under a hash
of the weights. Chosen with ``DEFECTIO_EMBEDDINGS_ENGINE=onnx`` or ``onnx-int8``; needs the
``onnx`` extra."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from defectio.coding.embedding import (
    _ONNX_GRAPH_VERSION,
    F32,
    I64,
    MODEL_NAME,
    MS,
    BertConfig,
    _check_pooling,
    _encode_sorted,
    _layers,
    _load_tokenizer,
    _load_weights,
    _max_tokens,
    _scatter,
    model_dir,
)


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/defectio`` or ``~/.cache/defectio``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "defectio"


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    w = _load_weights(path)
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
        out = node("MatMul", [inter, const(f"{p}_wout", ly.w_out)], f"{p}_out")
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


def _quantize_int8(src: Path, dst: Path) -> None:
    """Per-channel int8 dynamic quantisation of the MatMul/Attention weights."""
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
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
        if shield is not None:
            root.removeHandler(shield)


def onnx_model_path(
    path: Path | None = None, *, quantize: bool = False, cache: Path | None = None
) -> Path:
    """Build (once) and return the cached ONNX file for the packaged weights.

    Files live in ``cache`` (default :func:`cache_dir`), named after a hash of the weights
    file and the graph version, so a new model or a new graph never reuses a stale file.
    """
    path = model_dir() if path is None else path
    key = _file_sha256(path / "model.safetensors")[:16]
    folder = cache_dir() if cache is None else cache
    base = folder / f"minilm-l6-v2-{key}-g{_ONNX_GRAPH_VERSION}"
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
        _quantize_int8(fp32, int8)
    return int8


class MiniLMOnnx:
    """all-MiniLM-L6-v2 on ONNX Runtime (graph built from the packaged weights, no torch)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        quantize: bool = False,
        threads: int | None = None,
        cache: Path | None = None,
    ) -> None:
        import onnxruntime as ort

        path = model_dir() if path is None else path
        _check_pooling(path)
        self.path = path
        self.config = BertConfig.from_dir(path)
        # int8 vectors differ (cosine ~0.99 to fp32): a distinct name keeps a coder trained on
        # one kind of vector from being run on the other.
        self.name = f"{MODEL_NAME}-int8" if quantize else MODEL_NAME
        self.dim = self.config.hidden
        self.quantized = quantize
        self.engine = "onnx-int8" if quantize else "onnx"
        self.max_tokens = _max_tokens(path, self.config)
        self._tok = _load_tokenizer(path, self.max_tokens)
        self.onnx_path = onnx_model_path(path, quantize=quantize, cache=cache)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads is not None:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.onnx_path), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def __repr__(self) -> str:
        return f"MiniLMOnnx(name={self.name!r}, dim={self.dim}, quantized={self.quantized})"

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> F32:
        batches = _encode_sorted(self._tok, texts, batch_size)
        results = (self._forward(ids, mask) for _, ids, mask in batches)
        return _scatter(batches, results, len(texts), self.dim)

    def _forward(self, input_ids: I64, mask: I64) -> F32:
        (out,) = self._session.run(
            ["sentence_embedding"], {"input_ids": input_ids, "attention_mask": mask}
        )
        return np.asarray(out, dtype=np.float32)
