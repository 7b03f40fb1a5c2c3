"""Codebooks with Taguette: Taguette's own reader takes our codebook CSV, and ours takes
Taguette's .qdc and CSV exports (fixtures written by Taguette 1.5.2's exporters); every code's
name and description arrive both ways."""

from __future__ import annotations

import json
from pathlib import Path

from defectio.codebook import Codebook, Family, load_codebook
from defectio.interchange.codebook_csv import is_codebook_csv, read_codebook_csv
from defectio.interchange.draft import FamilyChoice
from defectio.interchange.merge import merge_codebook
from defectio.interchange.refi_codebook import read_qdc
from defectio.store.repo import Store
from tests.conftest import FIXTURES, require
from tests.interchange._cli import run_cli

TAGUETTE = FIXTURES / "taguette"


def test_taguettes_own_reader_takes_our_codebook_csv(tmp_path: Path, codebook: Codebook) -> None:
    require("taguette")
    from taguette.import_codebook import list_tags_csv

    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "init")
    out = tmp_path / "codebook.csv"
    run_cli("--db", db, "export", "--format", "codebook-csv", "--out", str(out))
    with out.open("rb") as handle:
        tags = list_tags_csv(handle)
    assert tags == [{"path": c.label, "description": c.definition} for c in codebook.codes]


def test_our_codebook_csv_reads_back_as_the_same_codebook(tmp_path: Path) -> None:
    book = load_codebook("exit_farright")
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "init", "--codebook", "exit_farright")
    out = tmp_path / "codebook.csv"
    run_cli("--db", db, "export", "--format", "codebook-csv", "--out", str(out))
    assert is_codebook_csv(out)
    report = json.loads(run_cli("--db", db, "import", str(out), "--json"))
    assert report["codebooks"][0]["ref"] == book.ref
    assert report["codebooks"][0]["kept"] == book.code_ids


def test_our_reader_takes_taguettes_qdc_export_with_a_family(codebook: Codebook) -> None:
    draft = read_qdc(TAGUETTE / "taguette_codebook.qdc")
    names = ["Brutality", "Boredom", "Family pressure", "interesting"]
    assert [c.name for c in draft.codes] == names
    assert all(c.family is None and c.definition is None for c in draft.codes)
    book, _, summary = merge_codebook(codebook, draft, FamilyChoice(default=Family.EXIT))
    # "Brutality" matches the store's code by id: it keeps its definition and indicators.
    assert summary.kept == ["brutality"] and book.by_id["brutality"].indicators
    assert [c.label for c in book.codes] == names
    new = [c for c in book.codes if c.id != "brutality"]
    assert [c.definition for c in new] == names[1:]  # Taguette's .qdc has no descriptions
    assert summary.named_definitions == [c.id for c in new]


def test_our_reader_takes_taguettes_csv_export_with_names_and_descriptions() -> None:
    path = TAGUETTE / "taguette_codebook.csv"
    assert is_codebook_csv(path)
    draft = read_codebook_csv(path)
    assert [(c.name, c.definition) for c in draft.codes] == [
        ("Brutality", "Violence against civilians or fellow Muslims seen or done by the group."),
        ("Boredom", "Nothing to do; days of waiting and guard duty."),
        ("Family pressure", "Relatives urged the person to come home."),
        ("interesting", None),
    ]


def test_import_reads_taguettes_codebook_and_testimony_csv_is_not_mistaken_for_one(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "init")
    testimony = tmp_path / "t.csv"
    testimony.write_text("case_id,alias,text,labels\nX1,A. B.,We left.,\n", encoding="utf-8")
    assert not is_codebook_csv(testimony)
    out = run_cli(
        "--db",
        db,
        "import",
        str(TAGUETTE / "taguette_codebook.csv"),
        str(testimony),
        "--family",
        "exit",
        "--json",
    )
    report = json.loads(out)
    assert report["cases"]["added"] == 1
    assert report["codebooks"][0]["added"] == ["boredom", "family_pressure", "interesting"]
    store = Store(db)
    try:
        book = store.codebook()
    finally:
        store.dispose()
    assert book.by_id["boredom"].definition == "Nothing to do; days of waiting and guard duty."
    assert book.by_id["interesting"].definition == "interesting"
