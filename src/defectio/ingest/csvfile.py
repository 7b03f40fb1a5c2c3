"""CSV with one passage per row and the case columns repeated on each row.

Columns: the case fields (``case_id`` required, ``alias`` ...), ``text``, and optionally
``voice``, ``labels`` (code ids separated by ``;``), ``lang``, ``source_url`` / ``source_urls``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from defectio.errors import InputError
from defectio.ingest.records import (
    Record,
    build_case,
    build_identity,
    build_passage,
    build_sources,
)
from defectio.text.files import MAX_RECORD_BYTES, check_file, iter_lines

SUFFIXES = (".csv", ".tsv")


def read(path: Path) -> Iterator[tuple[Record, int]]:
    check_file(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    csv.field_size_limit(MAX_RECORD_BYTES)
    with path.open("rb") as handle:
        lines = iter_lines(handle, path)
        first = next(lines, None)
        if first is None:
            raise InputError("the file has no header row", path=str(path))
        header = next(csv.reader([first[1]], delimiter=delimiter))
        header = [h.strip() for h in header]
        for required in ("case_id", "text"):
            if required not in header:
                raise InputError(
                    f"the header has no '{required}' column (found: {', '.join(header)})",
                    path=str(path),
                    line=1,
                    field=required,
                )
        buffer = ""
        start_line = 0
        for number, line, offset in lines:
            if not buffer:
                start_line = number
            buffer += line
            rows = list(csv.reader(io.StringIO(buffer), delimiter=delimiter))
            if buffer.count('"') % 2:  # a quoted field runs on to the next line
                continue
            buffer = ""
            for values in rows:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    raise InputError(
                        f"expected {len(header)} columns, found {len(values)}",
                        path=str(path),
                        line=start_line,
                    )
                yield _record(dict(zip(header, values, strict=True)), path, start_line), offset
        if buffer:
            raise InputError("a quoted field is never closed", path=str(path), line=start_line)


def _record(row: dict[str, str], path: Path, line: int) -> Record:
    data = {k: (v.strip() or None) for k, v in row.items()}
    case = build_case(data, str(path), line)
    urls = data.get("source_urls") or data.get("source_url")
    sources = build_sources(urls, case.went_public_via, str(path), line)
    passage_raw = {
        "text": row.get("text") or "",
        "voice": data.get("voice"),
        "labels": data.get("labels") or "",
        "lang": data.get("lang"),
        "source_url": sources[0].url if sources else None,
    }
    passage = build_passage(passage_raw, "text", str(path), line)
    return Record(
        case=case,
        path=str(path),
        line=line,
        sources=sources,
        passages=[passage],
        identity=build_identity(data, str(path), line),
    )
