"""docs/exports.md lists every column of every export format, as the code writes it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from defectio.codebook import Codebook
from defectio.export.formats import FORMATS, export_corpus
from defectio.export.jsonl import case_records
from defectio.export.tidy import SCHEMA
from defectio.ingest.records import CASE_FIELDS
from defectio.interchange.codebook_csv import COLUMNS as CODEBOOK_COLUMNS
from defectio.interchange.refi_project import VARIABLES
from defectio.reference import load_reference

DOC = Path(__file__).parents[2] / "docs" / "exports.md"


def _sections() -> dict[str, list[list[list[str]]]]:
    """Each ``## `` section's tables, as rows of cells (header and rule rows left out)."""
    sections: dict[str, list[list[list[str]]]] = {}
    tables: list[list[list[str]]] = []
    in_table = False
    for line in DOC.read_text("utf-8").splitlines():
        if line.startswith("## "):
            tables = sections.setdefault(line[3:].split(":")[0].strip(), [])
            in_table = False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table:
            tables.append([])
            in_table = True
            continue  # the header row
        if re.fullmatch(r"-+", cells[0]):
            continue
        tables[-1].append(cells)
    return sections


def test_every_export_format_has_a_section() -> None:
    names = {n for heading in _sections() for n in heading.split(" and ")}
    assert names == set(FORMATS)


def test_the_tidy_table_columns_and_types_are_documented_in_order(
    tmp_path: Path, codebook: Codebook
) -> None:
    (table,) = _sections()["csv and parquet"]
    assert [row[0] for row in table] == SCHEMA.names
    assert [row[1] for row in table] == [str(f.type) for f in SCHEMA]
    csv = export_corpus(load_reference().corpus, codebook, "csv", tmp_path / "t.csv")
    assert list(pd.read_csv(csv, nrows=1).columns) == SCHEMA.names


def test_every_jsonl_key_is_documented(codebook: Codebook) -> None:
    cases, passages = _sections()["jsonl"]
    documented = [row[0] for row in cases]
    assert documented == [*CASE_FIELDS, "source_urls", "passages", "case_labels"]
    passage_keys = {row[0] for row in passages}
    for record in case_records(load_reference().corpus, codebook):
        assert set(record) <= set(documented)
        for item in record["passages"]:
            assert set(item) <= passage_keys


def test_the_codebook_csv_columns_and_qdpx_variables_are_documented() -> None:
    (columns,) = _sections()["codebook-csv"]
    assert tuple(row[0] for row in columns) == CODEBOOK_COLUMNS
    (variables,) = _sections()["qdpx"]
    assert tuple(row[0] for row in variables) == VARIABLES
