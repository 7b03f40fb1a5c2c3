"""Codebooks as CSV, the way Taguette imports and exports them: a ``tag`` column with the code's
name and a ``description`` column. defectio adds ``family`` and ``id`` columns, which Taguette
ignores and ``defectio import`` reads back. A CSV whose header has one of ``tag``, ``name`` or
``path`` and no ``case_id`` or ``text`` column is a codebook, not testimony."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from defectio.codebook import Codebook, Family
from defectio.errors import CodebookError
from defectio.interchange.draft import Draft, DraftCode

COLUMNS = ("tag", "description", "family", "id")
NAME_COLUMNS = ("tag", "name", "path")
_SNIFF_BYTES = 64 * 1024


def codebook_csv(book: Codebook) -> str:
    """The codebook as CSV text: a row per code, in the codebook's order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for code in book.codes:
        writer.writerow([code.label, code.definition, code.family.value, code.id])
    return buffer.getvalue()


def write_codebook_csv(book: Codebook, out: Path) -> Path:
    out.write_text(codebook_csv(book), encoding="utf-8", newline="")
    return out


def _header(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text)), [])
    return [cell.strip().lower() for cell in first]


def is_codebook_csv(path: Path) -> bool:
    """Whether a .csv file has a codebook's header rather than testimony's."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    try:
        text = head.decode("utf-8-sig").splitlines()[0] if head else ""
    except (UnicodeDecodeError, IndexError):
        return False
    header = _header(text)
    return any(c in header for c in NAME_COLUMNS) and not {"case_id", "text"} & set(header)


def read_codebook_csv(path: Path) -> Draft:
    """A codebook CSV (Taguette's or ours) as a draft codebook."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    names = [c for c in NAME_COLUMNS if c in header]
    if len(names) != 1:
        raise CodebookError(
            f"{path}: line 1: a codebook CSV has one name column (tag, name or path); "
            f"found {', '.join(names) or 'none'}"
        )
    col: dict[str, int] = {
        c: header.index(c) for c in ("description", "family", "id") if c in header
    }
    name_col = header.index(names[0])
    draft = Draft(origin=path.name)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(column: str, row: list[str] = row) -> str:
            at = col.get(column, len(row))
            return row[at].strip() if at < len(row) else ""

        name = row[name_col].strip() if name_col < len(row) else ""
        if not name:
            raise CodebookError(f"{path}: line {line}: {names[0]}: the code has no name")
        family_text = cell("family").lower()
        try:
            family = Family(family_text) if family_text else None
        except ValueError:
            known = ", ".join(f.value for f in Family)
            raise CodebookError(
                f"{path}: line {line}: family: '{family_text}' is not a family; families are "
                f"{known}"
            ) from None
        draft.codes.append(
            DraftCode(
                name=name,
                definition=cell("description") or None,
                code_id=cell("id") or None,
                family=family,
            )
        )
    return draft
