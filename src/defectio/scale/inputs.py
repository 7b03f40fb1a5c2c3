"""Inputs of a batch job cut into partitions, and each partition read into an Arrow-backed frame.

JSONL and CSV files are cut into byte ranges aligned on line ends (a CSV row must then sit on
one line); Parquet files into their row groups. Planning reads only file sizes and Parquet
footers, so the client never touches a row. A row that cannot be coded (no text, text that is
not UTF-8, text over the size limit, a malformed line) comes back with a ``reason`` and goes to
the rejects; the others go on to the coder.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from defectio.errors import InputError
from defectio.scale.fields import Fields
from defectio.text.files import MAX_RECORD_BYTES

Format = Literal["jsonl", "csv", "parquet"]
SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
EXCERPT_CHARS = 200
SKIP_CHUNK = 1 << 20

RAW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("lang", pa.string()),
        ("day", pa.date32()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("position", pa.int64()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("excerpt", pa.string()),
    ]
)
# What a reject's ``reason`` says; ``detail`` says exactly what was wrong.
NO_TEXT, NOT_UTF8, TOO_LARGE, MALFORMED = "no text", "not utf-8", "too large", "malformed"


@dataclass(frozen=True)
class Part:
    """One partition: bytes ``[start, stop)`` of a JSONL or CSV file (rows that *start* in the
    range), or row group ``start`` of a Parquet file; ``key`` names its outputs."""

    path: str
    fmt: Format
    start: int
    stop: int
    first_row: int = 0
    key: str = field(default="", compare=False)


def input_format(path: Path) -> Format:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(SUFFIXES)
        raise InputError(f"batch reads {known}, not '{path.suffix}'", path=str(path))
    return fmt


def plan_parts(paths: list[Path], blocksize: int, job: str) -> list[Part]:
    """Every partition of every input, each with a key that changes whenever the file, the
    range or the job (``job``: coder, fields, limits) changes."""
    parts: list[Part] = []
    for path in paths:
        if not path.is_file():
            raise InputError("no such file", path=str(path))
        fmt = input_format(path)
        stat = path.stat()
        if stat.st_size == 0:
            raise InputError("the file is empty (0 bytes)", path=str(path))
        stamp = [str(path.resolve()), stat.st_size, stat.st_mtime_ns, job]
        for start, stop, first_row in _ranges(path, fmt, stat.st_size, blocksize):
            digest = hashlib.sha256(json.dumps([*stamp, fmt, start, stop]).encode()).hexdigest()
            parts.append(Part(str(path.resolve()), fmt, start, stop, first_row, digest[:20]))
    return parts


def _ranges(path: Path, fmt: Format, size: int, blocksize: int) -> Iterator[tuple[int, int, int]]:
    if fmt == "parquet":
        try:
            meta = pq.ParquetFile(path).metadata
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", path=str(path)) from None
        first = 0
        for group in range(meta.num_row_groups):
            yield group, group + 1, first
            first += meta.row_group(group).num_rows
        return
    for start in range(0, size, blocksize):
        yield start, min(start + blocksize, size), 0


class _Rows:
    """Columns of the frame a partition becomes, filled row by row."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.cols: dict[str, list[Any]] = {name: [] for name in RAW_SCHEMA.names}

    def add(self, position: int, row: dict[str, Any], fields: Fields, excerpt: str) -> None:
        ident = _text_or_none(row.get(fields.id))
        text, problem = _checked_text(row, fields)
        if problem is not None:
            self.reject(position, *problem, excerpt, ident)
            return
        self._append(
            id=ident or self._default_id(position),
            text=text,
            lang=_text_or_none(row.get(fields.lang)),
            day=parse_day(row.get(fields.date)),
            source=_text_or_none(row.get(fields.source)),
            position=position,
            reason=None,
            detail=None,
            excerpt=None,
        )

    def reject(
        self, position: int, reason: str, detail: str, excerpt: str, ident: str | None = None
    ) -> None:
        self._append(
            id=ident or self._default_id(position),
            text=None,
            lang=None,
            day=None,
            source=None,
            position=position,
            reason=reason,
            detail=detail,
            excerpt=excerpt[:EXCERPT_CHARS],
        )

    def _default_id(self, position: int) -> str:
        return f"{Path(self.file).name}@{position}"

    def _append(self, **values: Any) -> None:
        for name, value in values.items():
            self.cols[name].append(value)
        self.cols["file"].append(self.file)

    def frame(self) -> pd.DataFrame:
        table = pa.table(self.cols, schema=RAW_SCHEMA)
        return table.to_pandas(types_mapper=pd.ArrowDtype)


def empty_raw() -> pd.DataFrame:
    return RAW_SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype)


def read_part(part: Part, fields: Fields) -> pd.DataFrame:
    """The rows of one partition, rejects included (with their reason), as Arrow columns."""
    rows = _Rows(part.path)
    if part.fmt == "parquet":
        _read_parquet(part, fields, rows)
    else:
        with open(part.path, "rb") as handle:
            header = _csv_header(handle) if part.fmt == "csv" else None
            for position, raw in _lines(handle, part.start, part.stop):
                _parse_line(position, raw, header, fields, rows)
    return rows.frame()


def _lines(handle: BinaryIO, start: int, stop: int) -> Iterator[tuple[int, bytes | None]]:
    """(offset, line) for each line that starts in ``[start, stop)``; None for a line longer
    than the record limit, which is skipped without holding it."""
    if start > 0:
        handle.seek(start - 1)
        if handle.read(1) != b"\n":
            _skip_line(handle)
    else:
        handle.seek(0)
    while True:
        offset = handle.tell()
        if offset >= stop:
            return
        raw = handle.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            _skip_line(handle)
            yield offset, None
            continue
        yield offset, raw


def _skip_line(handle: BinaryIO) -> None:
    while True:
        chunk = handle.readline(SKIP_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def _csv_header(handle: BinaryIO) -> list[str]:
    handle.seek(0)
    first = handle.readline(MAX_RECORD_BYTES + 1).removeprefix(b"\xef\xbb\xbf")
    try:
        return next(csv.reader([first.decode("utf-8")]))
    except (UnicodeDecodeError, StopIteration):
        raise InputError("the CSV header is missing or not UTF-8", path=handle.name) from None


def _parse_line(
    position: int, raw: bytes | None, header: list[str] | None, fields: Fields, rows: _Rows
) -> None:
    if raw is None:
        limit = MAX_RECORD_BYTES // 2**20
        rows.reject(position, TOO_LARGE, f"the line is longer than {limit} MiB", "")
        return
    if position == 0:
        if header is not None:
            return  # the CSV header
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        return
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        detail = f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8"
        excerpt = raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
        rows.reject(position, NOT_UTF8, detail, excerpt)
        return
    excerpt = line.rstrip("\r\n")
    if header is None:
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.reject(position, MALFORMED, f"malformed JSON: {exc.msg}", excerpt)
            return
        if not isinstance(row, dict):
            rows.reject(position, MALFORMED, "not a JSON object", excerpt)
            return
    else:
        try:
            values = next(csv.reader([line], strict=True), [])
        except csv.Error:
            detail = (
                "a quoted field runs past the end of the line (batch reads CSV one row per line)"
            )
            rows.reject(position, MALFORMED, detail, excerpt)
            return
        if len(values) != len(header):
            n = len(values)
            detail = (
                f"the row has {n} field{'' if n == 1 else 's'}, the header {len(header)} "
                "(batch reads CSV one row per line)"
            )
            rows.reject(position, MALFORMED, detail, excerpt)
            return
        row = {k: v for k, v in zip(header, values, strict=True) if v != ""}
    rows.add(position, row, fields, excerpt)


def _read_parquet(part: Part, fields: Fields, rows: _Rows) -> None:
    source = pq.ParquetFile(part.path)
    wanted = {fields.text, fields.id, fields.lang, fields.date, fields.source}
    columns = [name for name in source.schema_arrow.names if name in wanted]
    table = source.read_row_group(part.start, columns=columns)
    for i, row in enumerate(table.to_pylist()):
        text = row.get(fields.text)
        if isinstance(text, bytes):
            try:
                row[fields.text] = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                detail = f"byte 0x{text[exc.start]:02x} at column {exc.start + 1} is not UTF-8"
                excerpt = text.decode("utf-8", "backslashreplace")
                rows.reject(part.first_row + i, NOT_UTF8, detail, excerpt)
                continue
        rows.add(part.first_row + i, row, fields, str(row.get(fields.text) or ""))


def _checked_text(row: dict[str, Any], fields: Fields) -> tuple[str | None, tuple[str, str] | None]:
    """(text, None), or (None, (reason, detail)) when the row cannot be coded."""
    text = row.get(fields.text)
    if text is None or (isinstance(text, str) and not text.strip()):
        return None, (NO_TEXT, f"field '{fields.text}' is missing or empty")
    if not isinstance(text, str):
        return None, (NO_TEXT, f"field '{fields.text}' is not a string")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None, (NOT_UTF8, "the text holds an unpaired surrogate escape")
    if size > fields.max_text_bytes:
        return None, (TOO_LARGE, f"the text is {size} bytes; the limit is {fields.max_text_bytes}")
    return text, None


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text or None


def parse_day(value: Any) -> date | None:
    """The calendar day (UTC) of an ISO date or time, or of Unix seconds or milliseconds."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
