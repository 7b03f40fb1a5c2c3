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


def test_db_option_accepts_the_environment_variable(
    tmp_path: Path, monkeypatch, reference_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEFECTIO_DB", f"sqlite:///{tmp_path / 'env.db'}")
    _run("import", str(reference_path))
    assert (tmp_path / "env.db").exists()


def test_code_only_uncoded_skips_what_a_coder_has_seen(
    tmp_path: Path, reference_path: Path
) -> None:
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
    out = _run(
        "demo",
        "--out",
        str(tmp_path / "fr"),
        "--codebook",
        "exit_farright",
        "--data",
        str(FIXTURES / "farright_cases.jsonl"),
    )
    stats = json.loads(_run("--db", str(tmp_path / "fr" / "defectio.db"), "stats", "--json"))
    assert stats["codebook"].startswith("exit_farright@")
    assert stats["cases"] == 8
    html = (tmp_path / "fr" / "brief.html").read_text("utf-8")
    assert "exit_farright" in html and "machine" in out


def test_the_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("defectio")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "demo" in result.stdout and "import" in result.stdout


def test_code_file_streams_jsonl_and_adds_codes(tmp_path: Path) -> None:
    src = tmp_path / "posts.jsonl"
    lines = [
        {"id": 1, "text": "They beheaded prisoners in the square and I fled that night."},
        {"id": 2, "text": "The weather in Raqqa was hot."},
        {"id": 3, "text": "Ils ont exécuté des civils devant nous, alors je me suis enfui."},
    ]
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "coded.jsonl"
    _run("code-file", str(src), "--out", str(out), "--coder", "lexicon")
    rows = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3]
    first = {c["code"]: c for c in rows[0]["codes"]}
    assert "brutality" in first and 0 < first["brutality"]["p"] <= 1
    (a, b), *_ = first["brutality"]["evidence"]
    assert "behead" in lines[0]["text"][a:b].lower()
    assert rows[1]["codes"] == []
    assert rows[2]["lang"] == "fr" and rows[2]["codes"]


def test_code_file_names_the_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "posts.jsonl"
    src.write_text('{"text": "fine"}\n{"body": "no text"}\n', encoding="utf-8")
    result = runner.invoke(app, ["code-file", str(src), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1
    assert "posts.jsonl:2: field 'text'" in result.output


def test_eval_json_prints_exactly_one_object_of_the_documented_shape(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"text": "They executed civilians in the market.", "labels": ["brutality"], "lang": "en"},
        {"text": "I regret everything; do not join them.", "labels": ["renounces_violence"]},
        {"text": "We drank tea and talked about football.", "labels": [], "id": "x"},
    ]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = _run("eval", "--gold", str(gold), "--coder", "lexicon", "--json")
    result = json.loads(out)
    assert set(result) == {
        "coder",
        "n",
        "macro_f1",
        "micro_f1",
        "per_code",
        "per_lang",
        "in_training_data",
    }
    assert result["in_training_data"] == 0
    assert result["coder"] == "lexicon.v1" and result["n"] == 3
    assert set(result["per_code"]["brutality"]) == {"precision", "recall", "f1", "kappa", "support"}
    assert result["per_code"]["brutality"]["support"] == 1
    assert "en" in result["per_lang"]


def test_eval_says_when_the_gold_passages_are_in_the_training_data(tmp_path: Path) -> None:
    from defectio.codebook import load_codebook
    from defectio.coding.training import bundled_examples

    dev = [e for e in bundled_examples(load_codebook()) if e.origin.startswith("dev_")][:5]
    gold = tmp_path / "gold.jsonl"
    rows = [{"text": e.text, "labels": list(e.labels), "lang": e.lang} for e in dev]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "--gold", str(gold), "--coder", "linear"])
    assert result.exit_code == 0, result.output
    assert "5 of 5 gold passages are in the coder's training data" in result.output
    as_json = json.loads(_run("eval", "--gold", str(gold), "--coder", "linear", "--json"))
    assert as_json["in_training_data"] == 5


def test_eval_refuses_a_code_the_codebook_does_not_have(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "x y z", "labels": ["boredom"]}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "--gold", str(gold), "--coder", "lexicon"])
    assert result.exit_code == 1 and "unknown code 'boredom'" in result.output


def test_train_from_store_makes_the_store_use_what_people_accepted(
    tmp_path: Path, reference_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    out = _run("--db", db, "train", "--coder", "linear", "--from", "store")
    assert "trained linear.v1 on" in out
    assert "linear.v1 coded 103 passages" in _run("--db", db, "code", "--coder", "linear")


def test_train_from_store_logs_the_weight_of_the_reviewed_passages(
    tmp_path: Path, reference_path: Path
) -> None:
    from defectio.store.repo import Store

    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    _run("--db", db, "train", "--coder", "linear", "--from", "store", "--store-weight", "5")
    store = Store(db)
    try:
        trained = [e for e in store.events() if e["action"] == "train"]
    finally:
        store.dispose()
    assert trained[-1]["payload"]["store_weight"] == 5.0
