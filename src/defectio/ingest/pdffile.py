"""PDF documents: text extracted by pypdf, page by page, cut into passages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from defectio.errors import InputError
from defectio.ingest.documents import document_record, read_sidecar
from defectio.ingest.records import Record
from defectio.text.files import check_file

SUFFIXES = (".pdf",)


def read(path: Path) -> Iterator[tuple[Record, int]]:
    size = check_file(path, binary_ok=True, whole=True)
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(f"not a readable PDF: {exc}", path=str(path)) from None
    # A line break inside a paragraph is layout, not meaning; blank lines separate paragraphs.
    text = "\n\n".join(pages)
    yield document_record(path, text, read_sidecar(path), title=title), size
