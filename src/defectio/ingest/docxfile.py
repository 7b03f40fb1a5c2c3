"""Word documents (DOCX): paragraphs read by python-docx, cut into passages."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx

from defectio.errors import InputError
from defectio.ingest.documents import document_record, read_sidecar
from defectio.ingest.records import Record
from defectio.text.files import check_file

SUFFIXES = (".docx",)


def read(path: Path) -> Iterator[tuple[Record, int]]:
    size = check_file(path, binary_ok=True, whole=True)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"not a readable DOCX file: {exc}", path=str(path)) from None
    text = "\n\n".join(p.text for p in document.paragraphs if p.text.strip())
    title = document.core_properties.title or None
    yield document_record(path, text, read_sidecar(path), title=title), size
