"""Importing a codebook merges it with the store's codebook, so coding never silently breaks:
matching codes keep their indicators, examples, rules and gate; the summary says what was kept,
added and dropped; new codes that no coder can suggest are named in one warning line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from defectio.codebook import Codebook, Family
from defectio.interchange.draft import FamilyChoice
from defectio.interchange.merge import merge_codebook
from defectio.interchange.refi_codebook import CODEBOOK_NS, codebook_to_qdc, read_qdc
from defectio.store.repo import Store
from tests.interchange._cli import app, run_cli, runner


def _qdc(tmp_path: Path, codebook: Codebook, name: str = "book.qdc") -> Path:
    path = tmp_path / name
    path.write_bytes(codebook_to_qdc(codebook))
    return path


def test_importing_our_own_qdc_leaves_the_codebook_as_it_was(
    tmp_path: Path, codebook: Codebook
) -> None:
    book, _, summary = merge_codebook(codebook, read_qdc(_qdc(tmp_path, codebook)), FamilyChoice())
    assert book == codebook and book.ref == codebook.ref
    assert summary.kept == codebook.code_ids and summary.added == summary.dropped == []
    assert summary.unsuggestable == []


def test_matching_codes_keep_their_coding_data_and_take_the_files_wording(
    tmp_path: Path, codebook: Codebook
) -> None:
    gated = next(c for c in codebook.codes if c.counter_gate)
    kept = next(c for c in codebook.codes if c.indicators and c.examples and not c.counter_gate)
    gone = next(
        c for c in codebook.codes if c.id not in {gated.id, kept.id} and c.family == Family.STANCE
    )
    text = codebook_to_qdc(codebook).decode("utf-8")
    text = text.replace(f'name="{kept.label}"', 'name="Renamed by the team"')
    text = text.replace(kept.definition, "A definition the team rewrote.")
    # Drop one code, and add one under the exit family with no id line: a new code.
    text = re.sub(rf'<Code [^>]*name="{re.escape(gone.label)}".*?</Code>\s*', "", text, flags=re.S)
    new = (
        '<Code guid="4FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Sheer boredom" isCodable="true">'
        "<Description>Nothing to do all day.</Description></Code>"
    )
    text = text.replace(
        'isCodable="false" color="#1F3A5F">', 'isCodable="false" color="#1F3A5F">' + new, 1
    )
    path = tmp_path / "team.qdc"
    path.write_text(text, encoding="utf-8")

    book, _, summary = merge_codebook(codebook, read_qdc(path), FamilyChoice())

    assert book.id == codebook.id and book.languages == codebook.languages
    assert book.ref != codebook.ref
    mine = book.by_id[kept.id]
    assert (mine.label, mine.definition) == (
        "Renamed by the team",
        "A definition the team rewrote.",
    )
    assert (mine.indicators, mine.examples, mine.exclusions) == (
        kept.indicators,
        kept.examples,
        kept.exclusions,
    )
    assert book.by_id[gated.id].counter_gate is True
    assert summary.added == ["sheer_boredom"] and summary.dropped == [gone.id]
    assert set(summary.kept) == set(codebook.code_ids) - {gone.id}
    assert book.by_id["sheer_boredom"].family == Family.EXIT
    assert summary.unsuggestable == ["sheer_boredom"]
    assert all(gone.id not in r.codes for r in book.rules)
    assert {r.id for r in book.rules} <= {r.id for r in codebook.rules}
    # The same file again gives the same codebook version.
    again, _, _ = merge_codebook(codebook, read_qdc(path), FamilyChoice())
    assert again.ref == book.ref


def test_codes_from_another_tool_match_by_name_when_they_carry_no_id(
    tmp_path: Path, codebook: Codebook
) -> None:
    target = next(c for c in codebook.codes if c.family == Family.EXIT and c.indicators)
    path = tmp_path / "other.qdc"
    path.write_text(
        f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes><Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" '
        'name="Exit" isCodable="false"><Code guid="2FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" '
        f'name="{target.label.upper()}" isCodable="true"/></Code></Codes></CodeBook>',
        encoding="utf-8",
    )
    book, _, summary = merge_codebook(codebook, read_qdc(path), FamilyChoice())
    assert book.code_ids == [target.id] and summary.kept == [target.id]
    # No Description in the file: the kept code keeps its own definition and indicators.
    assert book.by_id[target.id].definition == target.definition
    assert book.by_id[target.id].indicators == target.indicators


def test_import_of_our_own_qdc_keeps_the_coder_making_the_same_suggestions(
    tmp_path: Path, reference_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "import", str(reference_path))
    before = run_cli("--db", db, "code", "--coder", "lexicon.v1")
    qdc = tmp_path / "p.qdc"
    run_cli("--db", db, "export", "--format", "qdc", "--out", str(qdc))
    out = run_cli("--db", db, "import", str(qdc))
    after = run_cli("--db", db, "code", "--coder", "lexicon.v1")
    n = re.search(r"(\d+) suggestions", before)
    assert n is not None and int(n.group(1)) > 0
    assert re.search(r"(\d+) suggestions", after).group(1) == n.group(1)  # type: ignore[union-attr]
    assert re.search(r"codebook\s+icsr2015@\S+ from p\.qdc: (\d+) kept, 0 added, 0 dropped", out)
    assert "warning" not in out


def test_import_summary_says_kept_added_dropped_and_warns_once_about_unsuggestable_codes(
    tmp_path: Path, codebook: Codebook
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "init")
    path = tmp_path / "team.csv"
    keep = codebook.codes[0]
    path.write_text(
        f"tag,description\n{keep.label},{keep.definition}\nSheer boredom,Nothing to do.\nFear,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--db", db, "import", str(path), "--family", "exit"])
    assert result.exit_code == 0, result.output
    n_dropped = len(codebook) - 1
    assert f"1 kept, 2 added, {n_dropped} dropped" in result.output
    assert "1 codes had no description; their names stand in as definitions" in result.output
    warnings = [line for line in result.output.splitlines() if "warning" in line]
    assert warnings == [
        "warning 2 codes arrived that no coder can suggest (no indicator phrases or "
        "examples): sheer_boredom, fear"
    ]
    # The same file again: everything is kept now, and nothing to warn about.
    again = runner.invoke(app, ["--db", db, "import", str(path), "--family", "exit", "--json"])
    merged = json.loads(again.output)["codebooks"][0]
    assert merged["kept"] == [keep.id, "sheer_boredom", "fear"]
    assert merged["added"] == merged["dropped"] == merged["no_coder_can_suggest"] == []
    store = Store(db)
    try:
        book = store.codebook()
    finally:
        store.dispose()
    assert book.id == codebook.id and book.code_ids == [keep.id, "sheer_boredom", "fear"]
    assert book.by_id[keep.id].indicators == keep.indicators


def test_a_flat_codebook_without_family_is_refused_and_the_store_is_unchanged(
    tmp_path: Path, reference_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "init")
    path = tmp_path / "flat.csv"
    path.write_text("tag,description\nSheer boredom,Nothing to do.\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", db, "import", str(reference_path), str(path)])
    assert result.exit_code == 1
    assert "code 'Sheer boredom' has no family" in result.output
    stats = json.loads(run_cli("--db", db, "stats", "--json"))
    assert stats["cases"] == 0 and stats["codebook"].startswith("icsr2015@")


def test_a_mapping_file_gives_families_by_code_name(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    run_cli("--db", db, "init")
    path = tmp_path / "flat.csv"
    path.write_text(
        "tag,description\nSheer boredom,Nothing to do.\nPaid well,Money.\n", encoding="utf-8"
    )
    mapping = tmp_path / "families.yaml"
    mapping.write_text("exit: [Sheer boredom]\nPaid well: join\n", encoding="utf-8")
    run_cli("--db", db, "import", str(path), "--family-map", str(mapping))
    store = Store(db)
    try:
        book = store.codebook()
    finally:
        store.dispose()
    assert [(c.id, c.family) for c in book.codes] == [
        ("sheer_boredom", Family.EXIT),
        ("paid_well", Family.JOIN),
    ]
