"""HTML pages: the main text extracted by trafilatura, cut into passages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import trafilatura

from defectio.errors import InputError
from defectio.ingest.documents import document_record, read_sidecar
from defectio.ingest.records import Record
from defectio.text.files import check_file, decode_utf8

SUFFIXES = (".html", ".htm")


def read(path: Path) -> Iterator[tuple[Record, int]]:
    size = check_file(path, whole=True)
    html = decode_utf8(path.read_bytes(), path, None)
    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_precision=True
    )
    if not text or not text.strip():
        raise InputError("no main text found in this HTML page", path=str(path))
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta is not None else None
    url = meta.url if meta is not None and meta.url else None
    # trafilatura gives one paragraph per line; blank lines make them passages.
    body = "\n\n".join(line for line in text.splitlines() if line.strip())
    yield document_record(path, body, read_sidecar(path), title=title, url=url), size
