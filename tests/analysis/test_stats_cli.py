"""`defectio stats --by FIELD [--format table|csv|json]` on a real store."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from defectio.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _store(tmp_path: Path, reference_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    return db


def test_stats_by_region_as_json(tmp_path: Path, reference_path: Path, reference_rows) -> None:  # type: ignore[no-untyped-def]
    db = _store(tmp_path, reference_path)
    out = json.loads(_run("--db", db, "stats", "--by", "region", "--format", "json"))
    assert set(out) == {"table", "by", "basis", "cases", "unreviewed", "rows", "tests"}
    assert (out["table"], out["by"], out["cases"], out["unreviewed"]) == (
        "crosstab",
        "region",
        37,
        0,
    )
    regions = Counter(r["region"] for r in reference_rows)
    brutality = {r["level"]: r for r in out["rows"] if r["code"] == "brutality"}
    assert {k: v["n"] for k, v in brutality.items()} == dict(regions)
    mena = sum(
        "brutality" in r["case_labels"]
        for r in reference_rows
        if r["region"] == "Middle East & North Africa"
    )
    assert brutality["Middle East & North Africa"]["cases"] == mena
    assert {t["code"] for t in out["tests"]} >= {"brutality", "infighting"}
    assert all(t["test"] in {"chi-square", "fisher", "none"} for t in out["tests"])


def test_stats_by_code_as_csv_is_the_prevalence_table(tmp_path: Path, reference_path: Path) -> None:
    db = _store(tmp_path, reference_path)
    frame = pd.read_csv(io.StringIO(_run("--db", db, "stats", "--by", "code", "--format", "csv")))
    assert frame.set_index("code").loc["brutality", "cases"] == 23
    assert {"ci_low", "ci_high", "unreviewed"} <= set(frame.columns)


def test_stats_tables_and_the_old_json_contract(tmp_path: Path, reference_path: Path) -> None:
    db = _store(tmp_path, reference_path)
    out = _run("--db", db, "stats", "--by", "status_after")
    assert "association with status_after" in out
    timeline = json.loads(_run("--db", db, "stats", "--table", "timeline", "--format", "json"))
    assert [r["measure"] for r in timeline["rows"]][:2] == ["latest_year_share", "summer_share"]
    legacy = json.loads(_run("--db", db, "stats", "--json"))
    assert set(legacy) >= {"cases", "passages", "by_gender", "by_region", "by_year_left", "codes"}


def test_stats_refuses_an_unknown_field(tmp_path: Path, reference_path: Path) -> None:
    db = _store(tmp_path, reference_path)
    result = runner.invoke(app, ["--db", db, "stats", "--by", "shoe_size"])
    assert result.exit_code == 1 and "cannot group by 'shoe_size'" in result.output
