"""Checks every reader makes before trusting a file: present, not empty, text, UTF-8, not huge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from defectio.errors import InputError

MAX_RECORD_BYTES = 4 * 1024 * 1024  # one JSONL line or CSV row
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # a whole text, HTML, PDF or DOCX file
SNIFF_BYTES = 8192


def check_file(path: Path, *, binary_ok: bool = False, whole: bool = False) -> int:
    """Size of a readable, non-empty file; refuses binaries posing as text and whole-file
    formats too large to hold in memory."""
    if not path.exists():
        raise InputError("no such file", path=str(path))
    if not path.is_file():
        raise InputError("not a regular file", path=str(path))
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty (0 bytes); nothing to import", path=str(path))
    if whole and size > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"the file is {size / 2**20:.0f} MiB; documents over {MAX_DOCUMENT_BYTES // 2**20} MiB "
            "are refused. Split it, or convert it to JSONL, which is streamed",
            path=str(path),
        )
    if not binary_ok:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        if b"\x00" in head:
            raise InputError(
                "this looks like a binary file (it contains NUL bytes), not text", path=str(path)
            )
    return size


def decode_utf8(raw: bytes, path: Path, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "re-save the file as UTF-8",
            path=str(path),
            line=line,
        ) from None


def iter_lines(handle: BinaryIO, path: Path) -> Iterator[tuple[int, str, int]]:
    """Stream (line number, decoded line, bytes read so far); never holds more than one line,
    and refuses a line longer than ``MAX_RECORD_BYTES``."""
    number = 0
    offset = 0
    while True:
        raw = handle.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            return
        number += 1
        offset += len(raw)
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            raise InputError(
                f"the line is longer than {MAX_RECORD_BYTES // 2**20} MiB; one record per line "
                "is expected",
                path=str(path),
                line=number,
            )
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield number, decode_utf8(raw, path, number), offset


def iter_json_lines(path: Path) -> Iterator[tuple[int, Any, int]]:
    """Stream a JSON-lines file: (line number, parsed value, bytes read so far), blank lines
    skipped; a line that is not JSON is an error naming the file and line."""
    check_file(path)
    with path.open("rb") as handle:
        for number, line, offset in iter_lines(handle, path):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"malformed JSON at column {exc.colno}: {exc.msg}", path=str(path), line=number
                ) from None
            yield number, value, offset
