"""`defectio agreement [--json]` on real stores: a coded and reviewed one, and an empty one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from defectio.cli import app
from defectio.model import Annotation, AnnotationStatus, CoderKind
from defectio.store.repo import Store

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _store(tmp_path: Path, reference_path: Path) -> str:
    """The reference corpus imported and coded by the lexicon coder; a second person has
    rejected one of the reference's codes."""
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    _run("--db", db, "code", "--coder", "lexicon.v1")
    store = Store(db)
    try:
        first = next(a for a in store.corpus().annotations if a.coder_kind == CoderKind.PERSON)
        with store.unit_of_work("ana") as uow:
            uow.add_annotation(
                Annotation(
                    passage_id=first.passage_id,
                    code=first.code,
                    coder="ana",
                    coder_kind=CoderKind.PERSON,
                    status=AnnotationStatus.REJECTED,
                )
            )
    finally:
        store.dispose()
    return db


def test_agreement_as_json(tmp_path: Path, reference_path: Path) -> None:
    db = _store(tmp_path, reference_path)
    out = json.loads(_run("--db", db, "agreement", "--json"))
    assert set(out) == {"coders", "pairs", "codes", "alpha_overall", "disagreements"}
    assert out["coders"][0] == "machine" and "ana" in out["coders"] and len(out["coders"]) == 3
    assert len(out["pairs"]) == 3
    for pair in out["pairs"]:
        assert set(pair) == {"coder_a", "coder_b", "n", "observed", "kappa"}
    for code in out["codes"]:
        assert set(code) == {"code", "label", "alpha", "n_units", "n_coders"}
    assert "brutality" in {c["code"] for c in out["codes"]}
    assert isinstance(out["alpha_overall"], float)
    items = out["disagreements"]["items"]
    assert out["disagreements"]["count"] >= len(items) > 0 and len(items) <= 50
    assert set(items[0]) == {"passage_id", "case_id", "code", "present", "absent"}
    ana = [d for d in items if "ana" in d["absent"]]
    assert len(ana) == 1

    # A person settles that disagreement: it leaves the list.
    store = Store(db)
    try:
        with store.unit_of_work("ana") as uow:
            unit = {"passage_id": ana[0]["passage_id"], "code": ana[0]["code"]}
            uow.append_event("disagreement.settled", "passage", unit["passage_id"], unit)
    finally:
        store.dispose()
    after = json.loads(_run("--db", db, "agreement", "--json"))
    assert after["disagreements"]["count"] == out["disagreements"]["count"] - 1
    assert not [d for d in after["disagreements"]["items"] if "ana" in d["absent"]]


def test_agreement_as_tables(tmp_path: Path, reference_path: Path) -> None:
    db = _store(tmp_path, reference_path)
    out = _run("--db", db, "agreement")
    assert "Cohen's kappa" in out and "Krippendorff's alpha" in out
    assert "brutality" in out and "open disagreements:" in out and "0.8" in out


def test_agreement_on_an_empty_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    _run("--db", db, "init")
    assert "Nothing to compare" in _run("--db", db, "agreement")
    out = json.loads(_run("--db", db, "agreement", "--json"))
    assert out["coders"] == [] and out["pairs"] == [] and out["alpha_overall"] is None
    assert out["disagreements"] == {"count": 0, "items": []}


def test_agreement_without_a_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.db"), "agreement"])
    assert result.exit_code == 1 and "no store here" in result.output
