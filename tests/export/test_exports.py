"""Exports: tidy tables, JSONL that round-trips through `defectio import`, REFI-QDA."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from typer.testing import CliRunner

from defectio.analysis.counts import Basis, code_counts, stats_summary
from defectio.cli import app
from defectio.codebook import Codebook
from defectio.export.formats import export_corpus
from defectio.export.tidy import SCHEMA, tidy_table
from defectio.ingest.importer import import_paths
from defectio.interchange.refi_codebook import codebook_to_qdc
from defectio.model import Annotation, Corpus
from defectio.reference import load_reference
from defectio.store.repo import Store

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _with_a_suggestion(tmp_path: Path, reference_path: Path, codebook: Codebook) -> Corpus:
    """The reference corpus, imported into a store, with one machine suggestion on D001's
    unlabelled passage."""
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        import_paths(store, [reference_path])
        pid = store.corpus().passages[1].passage_id
        with store.unit_of_work() as uow:
            run = uow.start_run("m", "v1", {}, codebook)
            uow.add_annotation(
                Annotation(
                    passage_id=pid, code="brutality", coder="m.v1", probability=0.8, run_id=run
                )
            )
        return store.corpus()
    finally:
        store.dispose()


def test_tidy_table_has_a_row_per_passage_and_code_with_case_attributes(
    codebook: Codebook, reference_rows
) -> None:  # type: ignore[no-untyped-def]
    frame = tidy_table(load_reference().corpus, codebook)
    n_labels = sum(len(p["labels"]) for r in reference_rows for p in r["passages"])
    n_bare = sum(not p["labels"] for r in reference_rows for p in r["passages"])
    assert len(frame) == n_labels + n_bare
    assert frame["passage_id"].nunique() == 103
    assert frame["code"].notna().sum() == n_labels
    row = frame[(frame["case_id"] == "D001") & (frame["code"] == "religious_duty")].iloc[0]
    assert (row["gender"], row["region"], row["year_left"]) == (
        "m",
        "Middle East & North Africa",
        2014,
    )
    assert row["family"] == "join" and bool(row["reviewed"]) is True
    assert "legal_name" not in frame.columns


def test_csv_and_parquet_hold_the_same_tidy_table(tmp_path: Path, codebook: Codebook) -> None:
    corpus = load_reference().corpus
    csv = export_corpus(corpus, codebook, "csv", tmp_path / "t.csv")
    parquet = export_corpus(corpus, codebook, "parquet", tmp_path / "t.parquet")
    a, b = pd.read_csv(csv), pd.read_parquet(parquet)
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    assert a["code"].value_counts().to_dict() == b["code"].value_counts().to_dict()


def test_jsonl_round_trips_through_import_into_a_fresh_store_with_the_same_counts(
    tmp_path: Path, reference_path: Path
) -> None:
    first = f"sqlite:///{tmp_path / 'a.db'}"
    _run("--db", first, "import", str(reference_path))
    _run("--db", first, "export", "--format", "jsonl", "--out", str(tmp_path / "out.jsonl"))
    second = f"sqlite:///{tmp_path / 'b.db'}"
    _run("--db", second, "import", str(tmp_path / "out.jsonl"))
    a = json.loads(_run("--db", first, "stats", "--json"))
    b = json.loads(_run("--db", second, "stats", "--json"))
    assert a == b and a["cases"] == 37 and a["passages"] == 103
    sa, sb = Store(first), Store(second)
    try:
        assert {k: v for k, v in sa.counts().items() if k != "events"} == {
            k: v for k, v in sb.counts().items() if k != "events"
        }
    finally:
        sa.dispose()
        sb.dispose()


def test_machine_suggestions_travel_in_jsonl_but_are_not_imported_as_decisions(
    tmp_path: Path, reference_path: Path, codebook: Codebook
) -> None:
    corpus = _with_a_suggestion(tmp_path, reference_path, codebook)
    out = export_corpus(corpus, codebook, "jsonl", tmp_path / "o.jsonl")
    people = code_counts(corpus, codebook, Basis.PEOPLE)
    first = json.loads(out.read_text("utf-8").splitlines()[0])
    assert first["passages"][1]["suggestions"] == [{"code": "brutality", "p": 0.8}]
    assert first["passages"][1]["labels"] == []
    fresh = Store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        import_paths(fresh, [out])
        assert code_counts(fresh.corpus(), codebook, Basis.PEOPLE) == people
        assert (
            stats_summary(fresh.corpus(), codebook)["codes"]["brutality"]["unreviewed_cases"] == 0
        )
    finally:
        fresh.dispose()


def test_import_reads_a_qdc_file_into_the_store_codebook(
    tmp_path: Path, codebook: Codebook
) -> None:
    path = tmp_path / "team_book.qdc"
    path.write_bytes(codebook_to_qdc(codebook))
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(path), str(load_reference_path()))
    stats = json.loads(_run("--db", db, "stats", "--json"))
    assert stats["codebook"] == codebook.ref  # our own codebook, unchanged: nothing to merge
    assert stats["cases"] == 37 and set(stats["codes"]) == set(codebook.code_ids)


def load_reference_path() -> Path:
    from defectio.reference import reference_jsonl

    return reference_jsonl()


def test_export_refuses_an_unknown_format(tmp_path: Path, reference_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    result = runner.invoke(app, ["--db", db, "export", "--format", "xls", "--out", "x.xls"])
    assert result.exit_code == 1 and "unknown format 'xls'" in result.output


def test_tidy_table_has_year_and_month_columns_and_no_probability_on_peoples_codes(
    codebook: Codebook,
) -> None:
    frame = tidy_table(load_reference().corpus, codebook)
    row = frame[frame["case_id"] == "D001"].iloc[0]
    assert (row["joined"], row["year_joined"]) == ("2014", 2014)
    assert (row["left"], row["year_left"], row["month_left"]) == ("2014-12", 2014, 12)
    for column in ("year_joined", "year_left", "month_left", "position"):
        assert str(frame[column].dtype) == "Int32", column
    coded = frame[frame["code"].notna()]
    assert coded["reviewed"].all() and coded["probability"].isna().all()


def test_csv_writes_booleans_as_true_and_false_and_probability_only_for_suggestions(
    tmp_path: Path, reference_path: Path, codebook: Codebook
) -> None:
    corpus = _with_a_suggestion(tmp_path, reference_path, codebook)
    out = export_corpus(corpus, codebook, "csv", tmp_path / "t.csv")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(frame["reviewed"]) == {"true", "false", ""}
    suggested = frame[frame["reviewed"] == "false"]
    assert list(suggested["probability"]) == ["0.8"]
    assert set(frame[frame["reviewed"] == "true"]["probability"]) == {""}


def test_parquet_has_the_declared_schema_so_two_exports_read_as_one_dataset(
    tmp_path: Path, reference_path: Path, codebook: Codebook
) -> None:
    """One store's ``group`` column is empty and the other's is not: both keep the declared
    types, so they read as one dataset."""
    text = reference_path.read_text("utf-8").splitlines()
    grouped = tmp_path / "grouped.jsonl"
    record = json.loads(text[0])
    record["group"] = "Islamic State"
    grouped.write_text(json.dumps(record) + "\n", encoding="utf-8")
    folder = tmp_path / "exports"
    for name, data in (("plain", reference_path), ("grouped", grouped)):
        store = Store(f"sqlite:///{tmp_path / name}.db")
        try:
            import_paths(store, [data])
            export_corpus(store.corpus(), codebook, "parquet", folder / f"{name}.parquet")
        finally:
            store.dispose()
    for name in ("plain", "grouped"):
        assert pq.read_schema(folder / f"{name}.parquet").remove_metadata() == SCHEMA
    table = ds.dataset(folder, format="parquet").to_table()
    assert table.schema.field("group").type == pa.string()
    files = sorted(folder.glob("*.parquet"))
    assert table.num_rows == sum(pq.read_metadata(f).num_rows for f in files) > 0
    assert set(table.column("group").drop_null().to_pylist()) == {"Islamic State"}
