"""JSON lines in the reference format: one case per line, with its passages and labels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from defectio.errors import InputError
from defectio.ingest.files import check_file, iter_lines
from defectio.ingest.records import Record, record_from_dict

SUFFIXES = (".jsonl", ".ndjson")


def read(path: Path) -> Iterator[tuple[Record, int]]:
    """Stream records with the number of bytes read so far; blank lines are skipped."""
    check_file(path)
    with path.open("rb") as handle:
        for number, line, offset in iter_lines(handle, path):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"malformed JSON at column {exc.colno}: {exc.msg}", path=str(path), line=number
                ) from None
            yield record_from_dict(data, str(path), number), offset
