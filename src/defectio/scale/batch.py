# dask and distributed ship no type hints: calls into them are untyped.
# mypy: disable-error-code="no-untyped-call"
"""A batch job: JSONL, CSV or Parquet posts coded on a Dask cluster into Parquet.

    OUT/batch.json                  the job: coder, codebook, code order, fields
    OUT/posts/part-KEY.parquet      one row per post: id, lang, day, source, codes, probabilities
    OUT/rejects/part-KEY.parquet    rows that could not be coded: file, position, reason, detail
    OUT/aggregates/*.parquet        posts per day x source x code, with the day's total

Partitions go from the inputs through ``map_partitions`` to ``to_parquet`` on the workers; the
client plans them from file sizes and Parquet footers and never holds a row. A partition whose
two outputs are complete is skipped when the job runs again; outputs of partitions that are no
longer part of the job (an input changed, another coder) are removed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from defectio import __version__
from defectio.codebook import load_codebook
from defectio.errors import InputError
from defectio.scale.aggregate import (
    AGGREGATE_SCHEMA,
    KEYS,
    empty_counts,
    finish_counts,
    partial_counts,
)
from defectio.scale.coding import (
    REJECTS_SCHEMA,
    code_partition,
    empty_posts,
    empty_rejects,
    posts_schema,
    prepare_coder,
    rejects_of,
)
from defectio.scale.fields import DEFAULT_BLOCKSIZE, Fields
from defectio.scale.inputs import Part, empty_raw, plan_parts, read_part

MANIFEST = "batch.json"
OUTPUTS = ("posts", "rejects")
POLL_SECONDS = 0.5
Progress = Callable[[int, int], None]  # partitions written so far, partitions to write


@dataclass(frozen=True)
class BatchReport:
    """What a run did: partitions coded and skipped, posts and rejects, and how fast."""

    out: Path
    coder: str
    workers: int
    parts: int
    skipped: int
    posts: int  # coded in this run
    rejects: int  # rejected in this run
    total_posts: int  # in OUT, this run and earlier ones
    seconds: float
    reasons: dict[str, int] = field(default_factory=dict)  # every reject in OUT, by reason

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.seconds if self.seconds > 0 else 0.0


class PartNames:
    """File names of the written partitions: each named by its key, so a rerun finds them."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def __call__(self, index: int) -> str:
        return part_file(self.keys[index])


def part_file(key: str) -> str:
    return f"part-{key}.parquet"


def run_batch(
    client: Client,
    inputs: list[Path],
    out: Path,
    *,
    coder: str | None = None,
    codebook: str = "icsr2015",
    fields: Fields | None = None,
    blocksize: int = DEFAULT_BLOCKSIZE,
    progress: Progress | None = None,
) -> BatchReport:
    """Code every input into ``out`` on the cluster ``client`` is connected to."""
    preflight(inputs, out)
    fields = fields or Fields()
    book = load_codebook(codebook)
    coder_ref, directory = prepare_coder(coder, book)
    codes = list(book.code_ids)
    job = {
        "defectio": __version__,
        "coder": coder_ref,
        "coder_dir": str(directory),
        "codebook": book.ref,
        "codes": codes,
        "fields": fields.as_dict(),
    }
    job_key = hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:16]
    _claim(out, job)
    parts = plan_parts(inputs, blocksize, job_key)
    removed = _remove_stale(out, {p.key for p in parts})
    todo = [p for p in parts if not _finished(out, p)]

    if todo:
        _ready(client)
    started = time.perf_counter()
    if todo:
        _code(client, todo, out, fields, str(directory), codes, progress)
    seconds = time.perf_counter() - started
    if todo or removed or not (out / "aggregates").is_dir():
        _aggregate(client, out, codes)
    return BatchReport(
        out=out,
        coder=coder_ref,
        workers=len(client.scheduler_info().get("workers", {})),
        parts=len(parts),
        skipped=len(parts) - len(todo),
        posts=sum(_rows(out / "posts" / part_file(p.key)) for p in todo),
        rejects=sum(_rows(out / "rejects" / part_file(p.key)) for p in todo),
        total_posts=sum(_rows(out / "posts" / part_file(p.key)) for p in parts),
        seconds=seconds,
        reasons=_reasons(client, out),
    )


def preflight(inputs: list[Path], out: Path) -> None:
    """Refuse, before any cluster starts, inputs batch cannot read and an ``out`` folder that
    holds something else than a batch job's outputs."""
    if not inputs:
        raise InputError("batch needs at least one input file")
    plan_parts(inputs, blocksize=2**62, job="")  # every file present, non-empty, readable kind
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; --out names a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise InputError(
            f"{out} is not empty and holds no {MANIFEST}, so it is not a batch output folder; "
            "choose another --out"
        )


def _claim(out: Path, job: dict[str, Any]) -> None:
    """Make ``out`` a batch folder, with the job written down."""
    manifest = out / MANIFEST
    for sub in OUTPUTS:
        (out / sub).mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(job, indent=2) + "\n", encoding="utf-8")


def _remove_stale(out: Path, keys: set[str]) -> int:
    removed = 0
    for sub in OUTPUTS:
        for path in (out / sub).glob("part-*.parquet"):
            if path.stem.removeprefix("part-") not in keys:
                path.unlink()
                removed += 1
    return removed


def _finished(out: Path, part: Part) -> bool:
    """Both outputs are there and complete: a Parquet footer is written last, so a file cut
    short by a crash has none and is coded again."""
    return all(_rows(out / sub / part_file(part.key)) >= 0 for sub in OUTPUTS)


def _rows(path: Path) -> int:
    """Rows in a Parquet file by its footer; -1 when it is missing or incomplete."""
    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, pa.ArrowException):
        return -1


def _import_on_worker() -> str:
    import defectio.scale.coding
    import defectio.scale.inputs  # noqa: F401

    return __version__


def _ready(client: Client) -> None:
    """Every worker imports what the tasks need before the clock starts, and a worker without
    defectio is named now rather than in the middle of the job."""
    try:
        client.run(_import_on_worker)
    except ImportError as exc:
        raise InputError(
            f"a Dask worker cannot import defectio ({exc}); install it there"
        ) from None


def _code(
    client: Client,
    todo: list[Part],
    out: Path,
    fields: Fields,
    coder_dir: str,
    codes: list[str],
    progress: Progress | None,
) -> None:
    names = PartNames([p.key for p in todo])
    with dask.config.set({"dataframe.convert-string": False}):
        raw = dd.from_map(read_part, todo, fields=fields, meta=empty_raw(), enforce_metadata=False)
        posts = raw.map_partitions(
            code_partition,
            coder_dir=coder_dir,
            codes=codes,
            meta=empty_posts(codes),
            enforce_metadata=False,
        )
        rejects = raw.map_partitions(rejects_of, meta=empty_rejects(), enforce_metadata=False)
        writes = [
            frame.to_parquet(
                str(out / sub),
                name_function=names,
                schema=schema,
                write_index=False,
                write_metadata_file=False,
                compute=False,
            )
            for frame, sub, schema in (
                (posts, "posts", posts_schema(codes)),
                (rejects, "rejects", REJECTS_SCHEMA),
            )
        ]
        futures = client.compute(writes)
    wanted = {part_file(p.key) for p in todo}
    while not all(f.done() for f in futures):
        if progress is not None:
            written = {p.name for p in (out / "posts").glob("part-*.parquet")}
            progress(len(wanted & written), len(todo))
        time.sleep(POLL_SECONDS)
    client.gather(futures)
    if progress is not None:
        progress(len(todo), len(todo))


def _aggregate(client: Client, out: Path, codes: list[str]) -> None:
    with dask.config.set({"dataframe.convert-string": False}):
        posts = dd.read_parquet(
            str(out / "posts"), columns=["day", "source", "codes"], dtype_backend="pyarrow"
        )
        partials = posts.map_partitions(
            partial_counts, codes=codes, meta=empty_counts(), enforce_metadata=False
        )
        summed = partials.groupby(KEYS, dropna=False).sum(split_out=1).reset_index()
        table = summed.map_partitions(finish_counts, meta=empty_counts())
        write = table.to_parquet(
            str(out / "aggregates"),
            overwrite=True,
            schema=AGGREGATE_SCHEMA,
            write_index=False,
            write_metadata_file=False,
            compute=False,
        )
        client.compute(write).result()


def _reasons(client: Client, out: Path) -> dict[str, int]:
    """Rejects in ``out`` by reason, counted on the workers."""
    if not any((out / "rejects").glob("part-*.parquet")):
        return {}
    with dask.config.set({"dataframe.convert-string": False}):
        reasons = dd.read_parquet(str(out / "rejects"), columns=["reason"])["reason"]
        counts = client.compute(reasons.value_counts(split_out=1)).result()
    return {str(k): int(v) for k, v in sorted(counts.items())}
