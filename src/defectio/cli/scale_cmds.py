"""Commands for scale: code millions of posts on a Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from defectio.cli.app import CODER_HELP, console, fail_cleanly, progress_bar
from defectio.errors import InputError
from defectio.scale.fields import DEFAULT_BLOCKSIZE, DEFAULT_MAX_TEXT_BYTES, Fields


@fail_cleanly
def batch(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Posts: .jsonl (an object per line), .csv (a header, a row per line) or "
            ".parquet files.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output folder: posts/ (a row per post: id, lang, day, source, codes, "
            "probabilities), aggregates/ (posts per day x source x code), rejects/, batch.json.",
            show_default=False,
        ),
    ],
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Join a running Dask cluster at this address (tcp://host:8786) instead of "
            "starting local workers. Its workers need defectio installed and must see the "
            "inputs, --out and the model cache at the same paths.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Local worker processes (default: one per core).", show_default=False
        ),
    ] = None,
    text_field: Annotated[str, typer.Option(help="Field holding the post's text.")] = "text",
    id_field: Annotated[
        str, typer.Option(help="Field holding the post's id (default: FILE@OFFSET).")
    ] = "id",
    date_field: Annotated[
        str, typer.Option(help="Field holding the date or time (ISO or Unix seconds).")
    ] = "date",
    source_field: Annotated[
        str, typer.Option(help="Field holding the platform or channel.")
    ] = "source",
    lang_field: Annotated[
        str, typer.Option(help="Field holding a language code; detected when absent.")
    ] = "lang",
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    codebook: Annotated[str, typer.Option(help="Codebook id or YAML path.")] = "icsr2015",
    max_text_bytes: Annotated[
        int, typer.Option(help="Longer texts go to the rejects.")
    ] = DEFAULT_MAX_TEXT_BYTES,
    blocksize_mb: Annotated[
        int, typer.Option(help="Partition size for JSONL and CSV, in MiB.")
    ] = DEFAULT_BLOCKSIZE // 2**20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Code JSONL, CSV or Parquet posts in bulk on Dask with the trained default coder.

    Partitions stream through the workers straight to Parquet; a rerun skips the partitions
    already written. Rows with no text, text that is not UTF-8 or over the size limit go to
    OUT/rejects with the reason, and the job goes on.
    """
    from defectio.scale.batch import preflight, run_batch
    from defectio.scale.cluster import dask_client

    if scheduler and workers:
        raise InputError("give --scheduler (join a cluster) or --workers (start one), not both")
    if blocksize_mb < 1 or max_text_bytes < 1:
        raise InputError("--blocksize-mb and --max-text-bytes must be positive")
    preflight(inputs, out)
    fields = Fields(
        text=text_field,
        id=id_field,
        lang=lang_field,
        date=date_field,
        source=source_field,
        max_text_bytes=max_text_bytes,
    )
    with dask_client(scheduler, workers) as client, progress_bar(0, "coding") as bar:
        task = bar.add_task("partitions", total=None)
        report = run_batch(
            client,
            inputs,
            out,
            coder=coder,
            codebook=codebook,
            fields=fields,
            blocksize=blocksize_mb * 2**20,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print(
            json.dumps(
                {
                    "out": str(report.out),
                    "coder": report.coder,
                    "workers": report.workers,
                    "parts": report.parts,
                    "skipped": report.skipped,
                    "posts": report.posts,
                    "rejects": report.rejects,
                    "total_posts": report.total_posts,
                    "seconds": round(report.seconds, 3),
                    "posts_per_second": round(report.posts_per_second, 1),
                    "reasons": report.reasons,
                }
            )
        )
        return
    console.print(
        f"{report.posts:,} posts coded with {report.coder} on {report.workers} workers in "
        f"{report.seconds:.1f} s: {report.posts_per_second:,.0f} posts/s"
    )
    if report.skipped:
        console.print(f"{report.skipped} of {report.parts} partitions were already coded")
    if report.rejects or report.reasons:
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in report.reasons.items())
        console.print(f"{report.rejects:,} rows rejected ({reasons}): {out / 'rejects'}")
    console.print(
        f"{report.total_posts:,} posts in {out / 'posts'}; counts in {out / 'aggregates'}"
    )
