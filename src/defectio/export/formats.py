"""One entry point for every export format."""

from __future__ import annotations

from pathlib import Path

from defectio.codebook import Codebook
from defectio.errors import InputError
from defectio.export.jsonl import write_jsonl
from defectio.export.tidy import tidy_table, write_csv, write_parquet
from defectio.interchange.codebook_csv import write_codebook_csv
from defectio.interchange.refi_codebook import codebook_to_qdc
from defectio.interchange.refi_project import write_qdpx
from defectio.model import Corpus

FORMATS = ("csv", "parquet", "jsonl", "qdpx", "qdc", "codebook-csv")


def export_corpus(corpus: Corpus, codebook: Codebook, fmt: str, out: Path) -> Path:
    """Write ``corpus`` as ``fmt`` to ``out``: csv or parquet (the tidy passage x code table),
    jsonl (re-importable), qdpx (REFI-QDA project), qdc (the codebook as REFI-QDA) or
    codebook-csv (the codebook as the CSV Taguette imports)."""
    if fmt not in FORMATS:
        raise InputError(
            f"unknown format '{fmt}'; formats are {', '.join(FORMATS)}", field="format"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_csv(tidy_table(corpus, codebook), out)
    if fmt == "parquet":
        return write_parquet(tidy_table(corpus, codebook), out)
    if fmt == "jsonl":
        return write_jsonl(corpus, codebook, out)
    if fmt == "qdpx":
        return write_qdpx(corpus, codebook, out)
    if fmt == "codebook-csv":
        return write_codebook_csv(codebook, out)
    out.write_bytes(codebook_to_qdc(codebook))
    return out
