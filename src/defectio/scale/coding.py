"""The coder on Dask workers: trained once in the client and saved in the model cache; each
worker process loads it from that directory on its first partition and keeps it, so an
ensemble with its embedding model is loaded once per process, not once per partition.

A partition is coded in batches and comes back as one row per post: id, language, day,
source, the codes decided (most probable first) and every code's probability.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from defectio.codebook import Codebook
from defectio.coding.base import Coder
from defectio.coding.lexicon import LexiconCoder
from defectio.coding.models import cache_root, model_dir, trained_coder
from defectio.coding.registry import REGISTRY, load_coder, resolve_name
from defectio.coding.training import bundled_examples
from defectio.text.lang import detect_languages

PREDICT_BATCH = 1024
REJECTS_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("position", pa.int64()),
        ("id", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("excerpt", pa.string()),
    ]
)

_loaded: dict[str, Coder] = {}
_lock = threading.Lock()


def prepare_coder(name: str | None, codebook: Codebook) -> tuple[str, Path]:
    """In the client: the coder's registered name and the directory the workers load it from
    (they get the path, never the object). A trained coder missing from the model cache is
    trained here, once, before any task starts."""
    resolved = resolve_name(name)
    if REGISTRY[resolved].trained:
        directory = model_dir(resolved, codebook, bundled_examples(codebook))
        if not (directory / "coder.json").is_file():
            trained_coder(resolved, codebook)
        return resolved, directory
    digest = hashlib.sha256(codebook.model_dump_json().encode()).hexdigest()[:16]
    directory = cache_root() / "models" / f"{resolved}-{codebook.id}-{digest}"
    if not (directory / "coder.json").is_file():
        LexiconCoder(codebook).save(directory)
    return resolved, directory


def coder_at(directory: str) -> Coder:
    """The coder saved in ``directory``, loaded once per process."""
    with _lock:
        coder = _loaded.get(directory)
        if coder is None:
            coder = load_coder(Path(directory))
            _loaded[directory] = coder
        return coder


def posts_schema(codes: list[str]) -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.string()),
            ("lang", pa.string()),
            ("day", pa.date32()),
            ("source", pa.string()),
            ("codes", pa.list_(pa.string())),
            ("probabilities", pa.struct([(code, pa.float32()) for code in codes])),
        ]
    )


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Flat columns stay Arrow-backed; nested ones become Python objects, because pandas
    cannot read its own Parquet metadata back for Arrow-backed lists and structs."""
    return table.to_pandas(
        types_mapper=lambda t: None if pa.types.is_nested(t) else pd.ArrowDtype(t)
    )


def empty_posts(codes: list[str]) -> pd.DataFrame:
    return to_pandas(posts_schema(codes).empty_table())


def empty_rejects() -> pd.DataFrame:
    return to_pandas(REJECTS_SCHEMA.empty_table())


def rejects_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a read partition that cannot be coded, with their reason."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    rejected = table.filter(pc.is_valid(table["reason"])).select(REJECTS_SCHEMA.names)
    return to_pandas(rejected.cast(REJECTS_SCHEMA))


def code_partition(frame: pd.DataFrame, coder_dir: str, codes: list[str]) -> pd.DataFrame:
    """Code the rows of a read partition that have no reject reason."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    good = table.filter(pc.is_null(table["reason"]))
    texts: list[str] = good["text"].to_pylist()
    langs: list[str | None] = good["lang"].to_pylist()
    unknown = [i for i, lang in enumerate(langs) if lang is None]
    if unknown:
        for i, lang in zip(unknown, detect_languages([texts[i] for i in unknown]), strict=True):
            langs[i] = lang
    probabilities = np.zeros((len(texts), len(codes)), dtype=np.float32)
    decided: list[list[str]] = []
    column = {code: j for j, code in enumerate(codes)}
    for start in range(0, len(texts), PREDICT_BATCH):
        coder = coder_at(coder_dir)
        stop = start + PREDICT_BATCH
        for i, coding in enumerate(coder.predict(texts[start:stop], langs[start:stop]), start):
            for score in coding.scores:
                probabilities[i, column[score.code]] = score.p
            decided.append([score.code for score in coding.codes])
            langs[i] = langs[i] or coding.lang
    schema = posts_schema(codes)
    struct = pa.StructArray.from_arrays(
        [pa.array(probabilities[:, j]) for j in range(len(codes))],
        fields=list(schema.field("probabilities").type),
    )
    out = pa.table(
        [
            good["id"],
            pa.array(langs, pa.string()),
            good["day"],
            good["source"],
            pa.array(decided, pa.list_(pa.string())),
            struct,
        ],
        schema=schema,
    )
    return to_pandas(out)
