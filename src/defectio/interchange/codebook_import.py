"""The hook that lets ``defectio import`` read a codebook file (REFI-QDA .qdc, or a codebook
CSV such as Taguette's): the file is merged with the store's codebook (see ``merge``) and the
result becomes the store's active codebook, kept as YAML, in the import's transaction."""

from __future__ import annotations

import tempfile
from pathlib import Path

from defectio.codebook import Codebook
from defectio.interchange.codebook_csv import is_codebook_csv, read_codebook_csv
from defectio.interchange.draft import Draft, FamilyChoice
from defectio.interchange.merge import MergeSummary, merge_codebook
from defectio.interchange.refi_codebook import read_qdc
from defectio.store.repo import UnitOfWork

SUFFIXES = (".qdc",)


def is_codebook_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES or is_codebook_csv(path)


def read_codebook_file(path: Path) -> Draft:
    return read_qdc(path) if path.suffix.lower() in SUFFIXES else read_codebook_csv(path)


def import_codebook(
    uow: UnitOfWork, path: Path, active: Codebook, choice: FamilyChoice
) -> tuple[Codebook, MergeSummary]:
    """Merge the file into ``active`` and make the result the store's codebook."""
    book, text, summary = merge_codebook(active, read_codebook_file(path), choice)
    with tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / f"{book.id}.yaml"
        converted.write_text(text, encoding="utf-8")
        stored = uow.set_codebook(converted)
    uow.append_event("codebook.import", "codebook", stored.ref, summary.as_dict())
    return stored, summary
