"""JSON lines in the reference format: one case per line, with its passages and labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from defectio.ingest.records import Record, record_from_dict
from defectio.text.files import iter_json_lines

SUFFIXES = (".jsonl", ".ndjson")


def read(path: Path) -> Iterator[tuple[Record, int]]:
    """Stream records with the number of bytes read so far; blank lines are skipped."""
    for number, data, offset in iter_json_lines(path):
        yield record_from_dict(data, str(path), number), offset
