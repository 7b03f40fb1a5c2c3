"""``defectio counter`` end to end: JSON shape, the human pack, --db at either level, errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from defectio.cli import app
from defectio.counter import CounterIndex
from defectio.store.repo import Store
from tests.counter._testimony import FRENCH_CLAIM, fill

runner = CliRunner()
CLAIM = "Hijra to the caliphate is an obligation on every Muslim; come and live under sharia."


def test_json_is_exactly_one_object_on_stdout(reference: CounterIndex) -> None:
    result = runner.invoke(app, ["counter", CLAIM, "--json", "--n", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    pack = json.loads(lines[0])
    assert set(pack) == {"claim", "join", "fallback", "answers", "themes"}
    assert pack["claim"] == CLAIM and len(pack["answers"]) == 3
    assert pack["join"][0]["code"] == "religious_duty"


def test_the_human_pack_shows_narratives_answers_why_and_themes(reference: CounterIndex) -> None:
    result = runner.invoke(app, ["counter", CLAIM])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "religious_duty" in out and "why" in out and "themes" in out
    assert out.count("\n1. ") == 1 and "\n5. " in out
    aliases = {i.case.alias for i in reference.items}  # cases are shown by id and alias
    assert sum(alias[:20] in out for alias in aliases) >= 3


def test_db_on_the_command_overrides_the_global_one(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'mine.db'}"
    fill(Store(db))
    missing = f"sqlite:///{tmp_path / 'nowhere.db'}"
    result = runner.invoke(app, ["--db", missing, "counter", FRENCH_CLAIM, "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    cases = [a["case_id"] for a in json.loads(result.stdout)["answers"]]
    assert cases[0].startswith("FR")
    result = runner.invoke(app, ["--db", db, "counter", FRENCH_CLAIM, "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["answers"]


def test_a_missing_store_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["counter", CLAIM, "--db", str(tmp_path / "nowhere.db")])
    assert result.exit_code == 1
    assert "no store here" in result.output and "Traceback" not in result.output


def test_a_bad_audience_is_one_clear_line(reference: CounterIndex) -> None:
    result = runner.invoke(app, ["counter", CLAIM, "--audience", "region=Atlantis"])
    assert result.exit_code == 1
    assert "--audience region" in result.output and "unknown region 'Atlantis'" in result.output


def test_an_audience_reorders_the_answers(reference: CounterIndex) -> None:
    args = ["counter", CLAIM, "--json", "--n", "5"]
    plain = json.loads(runner.invoke(app, args).stdout)["answers"]
    women = json.loads(runner.invoke(app, [*args, "--audience", "gender=f"]).stdout)["answers"]
    female = {i.case_id for i in reference.items if i.case.gender.value == "f"}
    assert sum(a["case_id"] in female for a in women) > sum(a["case_id"] in female for a in plain)
