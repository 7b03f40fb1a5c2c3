"""Monitor mode: a stream of recruiting posts becomes a week-by-week plan of counter-themes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from defectio.cli import app
from defectio.counter import CounterIndex
from defectio.counter.monitor import CSV_COLUMNS, iso_week, plan, read_posts
from defectio.errors import InputError

runner = CliRunner()

POSTS = [
    {"text": "Hijra to the caliphate is an obligation on every Muslim.", "date": "2015-03-02"},
    {"text": "Come and live under sharia; it is your duty as a Muslim.", "date": "2015-03-04"},
    {"text": "Assad's bombs kill Sunni children; come and defend them.", "date": "2015-03-05"},
    {"text": "The weather is fine today.", "date": "2015-03-06"},
    {
        "text": "Here you will get a salary, a house, a car and a wife.",
        "created_at": "Tue Mar 10 08:00:00 +0000 2015",
    },
    {"text": "Brother, a wife and a house are waiting for you.", "created_at": 1426060800},
]


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "week"),
    [
        ("2015-03-02", "2015-W10"),
        ("2015-03-08T23:59:00+00:00", "2015-W10"),
        ("2015-03-09T00:00:00Z", "2015-W11"),
        ("Wed Dec 31 12:00:00 +0000 2014", "2015-W01"),
        (1425254400, "2015-W10"),
    ],
)
def test_dates_in_the_usual_export_forms_become_iso_weeks(value: object, week: str) -> None:
    assert iso_week(value, path="p", line=1, field_name="date") == week


def test_posts_are_planned_week_by_week_with_testimony(
    reference: CounterIndex, tmp_path: Path
) -> None:
    result = plan(reference, _write(tmp_path / "posts.jsonl", POSTS))
    assert (result.posts, result.weeks) == (6, 2)
    assert result.posts_with_join == 5
    book = reference.codebook
    weeks = {r.week for r in result.rows}
    assert weeks == {"2015-W10", "2015-W11"}
    first = [r for r in result.rows if r.week == "2015-W10"]
    assert [r.rank for r in first] == list(range(1, len(first) + 1))
    assert first[0].posts >= first[-1].posts
    held = {i.case_id for i in reference.items if i.gated_by}
    for r in result.rows:
        assert r.theme == book.by_id[r.code].theme
        assert 1 <= len(r.passage_ids) <= 3 and len(set(r.case_ids)) == len(r.case_ids)
        assert not set(r.case_ids) & held
        assert all(r.code in book.answers_for(j.split(":")[0]) for j in r.joins.split(";"))
    later = {r.code for r in result.rows if r.week == "2015-W11"}
    assert later == set(book.answers_for("belonging_material"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "posts.jsonl:2: malformed JSON"),
        ('["a list"]', "posts.jsonl:2: expected a JSON object"),
        ('{"date": "2015-03-02"}', "posts.jsonl:2: field 'text'"),
        ('{"text": "x"}', "posts.jsonl:2: field 'date': no date; give 'date' or 'created_at'"),
        (
            '{"text": "x", "date": "2015-02-30"}',
            "posts.jsonl:2: field 'date': '2015-02-30' is not a date",
        ),
        ('{"text": "x", "created_at": "yesterday"}', "posts.jsonl:2: field 'created_at'"),
    ],
)
def test_a_bad_post_names_its_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(POSTS[0]) + "\n" + line + "\n", "utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("(", r"\(")):
        list(read_posts(path))


def test_a_named_date_field_is_read_instead(tmp_path: Path) -> None:
    path = _write(tmp_path / "posts.jsonl", [{"text": "x", "posted": "2015-01-05"}])
    (batch,) = read_posts(path, date_field="posted")
    assert batch[0].week == "2015-W02"


def test_posts_are_read_in_batches(tmp_path: Path) -> None:
    path = _write(tmp_path / "posts.jsonl", POSTS * 3)
    assert [len(b) for b in read_posts(path, batch=5)] == [5, 5, 5, 3]


def test_counter_batch_writes_the_plan_as_csv(reference: CounterIndex, tmp_path: Path) -> None:
    src = _write(tmp_path / "posts.jsonl", POSTS)
    out = tmp_path / "plan" / "plan.csv"
    result = runner.invoke(app, ["counter-batch", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {r["week"] for r in rows} == {"2015-W10", "2015-W11"}
    assert all(r["passage_ids"] and r["aliases"] and r["theme"] for r in rows)
    assert "6 posts over 2 weeks" in result.output


def test_counter_batch_names_the_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "posts.jsonl"
    src.write_text('{"text": "fine", "date": "2015-01-01"}\n{"text": "no date"}\n', "utf-8")
    result = runner.invoke(app, ["counter-batch", str(src), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 1
    assert "posts.jsonl:2: field 'date'" in result.output
    assert "Traceback" not in result.output
