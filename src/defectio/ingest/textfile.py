"""Plain text and Markdown: one case per file, YAML front matter for the case fields,
paragraphs as passages (a paragraph over five sentences is split on sentence boundaries)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from defectio.errors import InputError
from defectio.ingest.documents import document_record, read_sidecar
from defectio.ingest.records import Record
from defectio.text.files import check_file, decode_utf8

SUFFIXES = (".txt", ".md", ".markdown")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise InputError(
            f"the front matter is not valid YAML: {exc}", path=str(path), line=1
        ) from None
    if not isinstance(meta, dict):
        raise InputError(
            "the front matter must be a mapping of case fields", path=str(path), line=1
        )
    return meta, text[match.end() :]


def _strip_markdown(text: str) -> str:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(lines)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_|`)(\S.*?\S|\S)\1", r"\2", text)
    return re.sub(r"^\s*>\s?", "", text, flags=re.M)


def read(path: Path) -> Iterator[tuple[Record, int]]:
    size = check_file(path, whole=True)
    text = decode_utf8(path.read_bytes(), path, None)
    meta, body = split_front_matter(text, path)
    meta = {**read_sidecar(path), **meta}
    if path.suffix.lower() in {".md", ".markdown"}:
        body = _strip_markdown(body)
    yield document_record(path, body, meta, default_voice="first"), size
