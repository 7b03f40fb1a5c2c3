"""Code a JSONL file into another without a store: streamed in batches, constant memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from defectio.coding.base import Coder
from defectio.errors import InputError
from defectio.text.files import iter_json_lines
from defectio.text.lang import detect_languages

BATCH = 512


def _batches(path: Path, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for number, row, _ in iter_json_lines(path):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError(
                "expected an object with a 'text' string", path=str(path), line=number, field="text"
            )
        batch.append((number, row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def code_file(
    coder: Coder,
    source: Path,
    out: IO[str],
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
) -> tuple[int, set[str]]:
    """Write each input line with ``codes: [{code, p, evidence}]`` (and ``lang``) added;
    returns the number of lines and the notices the coder raised."""
    n = 0
    notices: set[str] = set()
    for batch in _batches(source, batch_size):
        rows = [row for _, row in batch]
        langs: list[str | None] = [row.get("lang") for row in rows]
        todo = [i for i, lang in enumerate(langs) if not lang]
        for i, lang in zip(todo, detect_languages([rows[i]["text"] for i in todo]), strict=True):
            langs[i] = lang
        codings = coder.predict([row["text"] for row in rows], langs)
        for row, coding, lang in zip(rows, codings, langs, strict=True):
            notices.update(coding.notices)
            row["lang"] = row.get("lang") or coding.lang or lang
            row["codes"] = coding.as_json()
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += len(rows)
        if progress is not None:
            progress(len(rows))
    return n, notices
