"""The hook that lets ``defectio import`` read a REFI-QDA codebook (.qdc): the file becomes the
store's active codebook, kept in the store as YAML like any other, in the import's transaction."""

from __future__ import annotations

import tempfile
from pathlib import Path

from defectio.codebook import Codebook
from defectio.export.refi import read_qdc
from defectio.store.repo import UnitOfWork

SUFFIXES = (".qdc",)


def is_codebook_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def set_codebook_from_qdc(uow: UnitOfWork, path: Path) -> Codebook:
    """Convert the .qdc to codebook YAML and make it the store's codebook."""
    book, text = read_qdc(path)
    with tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / f"{book.id}.yaml"
        converted.write_text(text, encoding="utf-8")
        stored = uow.set_codebook(converted)
    uow.append_event("codebook.import", "codebook", stored.ref, {"origin": str(path)})
    return stored
