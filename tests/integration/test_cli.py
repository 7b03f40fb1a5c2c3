"""The command line end to end, on real SQLite files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from defectio.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_import_then_stats_json_matches_the_reference_file(
    tmp_path: Path, reference_path: Path, reference_rows
) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "init")
    out = _run("--db", db, "import", str(reference_path), "--json")
    assert json.loads(out)["cases"]["added"] == 37
    stats = json.loads(_run("--db", db, "stats", "--json"))
    assert stats["cases"] == 37 and stats["passages"] == 103
    assert stats["by_gender"] == dict(Counter(r["gender"] for r in reference_rows))
    assert stats["by_region"] == dict(Counter(r["region"] for r in reference_rows))
    assert stats["by_year_left"] == dict(Counter(r["left"][:4] for r in reference_rows))


def test_a_bad_import_prints_one_clear_line_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"case_id": "X", "alias": "x", "left": "2015-13"}\n')
    result = runner.invoke(app, ["--db", str(tmp_path / "d.db"), "import", str(bad)])
    assert result.exit_code == 1
    assert "bad.jsonl:1: field 'left': '2015-13' has month 13" in result.output
    assert "Traceback" not in result.output


def test_db_option_accepts_the_environment_variable(tmp_path: Path, monkeypatch,
                                                    reference_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEFECTIO_DB", f"sqlite:///{tmp_path / 'env.db'}")
    _run("import", str(reference_path))
    assert (tmp_path / "env.db").exists()


def test_code_only_uncoded_skips_what_a_coder_has_seen(tmp_path: Path, reference_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    assert "coded 103 passages" in _run("--db", db, "code")
    assert "coded 0 passages" in _run("--db", db, "code", "--only-uncoded")


def test_codebook_show_prints_every_code(codebook) -> None:  # type: ignore[no-untyped-def]
    out = _run("codebook", "show", "icsr2015")
    for code in codebook.code_ids:
        assert code in out


def test_demo_runs_twice_and_writes_a_brief(tmp_path: Path) -> None:
    for _ in range(2):
        out = _run("demo", "--out", str(tmp_path / "out"))
    assert "brief" in out and (tmp_path / "out" / "brief.html").exists()
    stats = json.loads(_run("--db", str(tmp_path / "out" / "defectio.db"), "stats", "--json"))
    assert stats["cases"] == 37


def test_another_movements_codebook_drives_the_whole_pipeline(tmp_path: Path) -> None:
    out = _run("demo", "--out", str(tmp_path / "fr"), "--codebook", "exit_farright",
               "--data", str(FIXTURES / "farright_cases.jsonl"))
    stats = json.loads(_run("--db", str(tmp_path / "fr" / "defectio.db"), "stats", "--json"))
    assert stats["codebook"].startswith("exit_farright@")
    assert stats["cases"] == 8
    html = (tmp_path / "fr" / "brief.html").read_text("utf-8")
    assert "exit_farright" in html and "machine" in out


def test_the_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("defectio")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "demo" in result.stdout and "import" in result.stdout
