"""Partitions of batch inputs: every row read exactly once whatever the cut, and every row
that cannot be coded kept with its reason instead of stopping the job."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from defectio.errors import InputError
from defectio.scale.fields import Fields
from defectio.scale.inputs import parse_day, plan_parts, read_part
from defectio.text.files import MAX_RECORD_BYTES


def _read_all(paths: list[Path], blocksize: int, fields: Fields | None = None) -> pd.DataFrame:
    parts = plan_parts(paths, blocksize, job="test")
    frames = [read_part(part, fields or Fields()) for part in parts]
    return pd.concat(frames, ignore_index=True)


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.mark.parametrize("blocksize", [1, 7, 64, 1000, 1 << 20])
def test_every_jsonl_row_is_read_once_however_the_file_is_cut(
    tmp_path: Path, blocksize: int
) -> None:
    rows = [{"id": f"p{i}", "text": "x" * (i % 13 + 1) + " é"} for i in range(200)]
    path = _jsonl(tmp_path / "posts.jsonl", rows)
    frame = _read_all([path], blocksize)
    assert frame["id"].tolist() == [r["id"] for r in rows]
    assert frame["text"].tolist() == [r["text"] for r in rows]
    assert frame["reason"].isna().all()


@pytest.mark.parametrize("blocksize", [5, 50, 1 << 20])
def test_every_csv_row_is_read_once_and_the_header_never_becomes_a_post(
    tmp_path: Path, blocksize: int
) -> None:
    path = tmp_path / "posts.csv"
    lines = ["id,text,date,source"] + [
        f'c{i},"post {i}, with a comma",2015-03-0{i % 9 + 1},tw' for i in range(60)
    ]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", "utf-8")
    frame = _read_all([path], blocksize)
    assert frame["id"].tolist() == [f"c{i}" for i in range(60)]
    assert frame["text"].iloc[3] == "post 3, with a comma"
    assert frame["day"].iloc[3] == date(2015, 3, 4)
    assert set(frame["source"]) == {"tw"}


def test_parquet_is_cut_into_its_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    table = pa.table({"id": [f"q{i}" for i in range(25)], "body": [f"text {i}" for i in range(25)]})
    pq.write_table(table, path, row_group_size=10)
    parts = plan_parts([path], 1, job="test")
    assert [(p.start, p.first_row) for p in parts] == [(0, 0), (1, 10), (2, 20)]
    frame = _read_all([path], 1, Fields(text="body"))
    assert frame["id"].tolist() == table["id"].to_pylist()
    assert frame["position"].tolist() == list(range(25))


def test_rows_that_cannot_be_coded_are_kept_with_their_reason(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"id": "ok", "text": "They shot the prisoners."})
    lines = [
        good.encode(),
        json.dumps({"id": "none"}).encode(),
        json.dumps({"id": "blank", "text": "   "}).encode(),
        json.dumps({"id": "number", "text": 42}).encode(),
        '{"id": "latin1", "text": "caf\xe9"}'.encode("latin-1"),
        b'{"id": "surrogate", "text": "half \\ud800 a pair"}',
        json.dumps({"id": "big", "text": "x" * 101}).encode(),
        b'{"id": "cut", "text": ',
        b"[1, 2]",
        b"",
        good.replace('"ok"', '"ok2"').encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    frame = _read_all([path], 1 << 20, Fields(max_text_bytes=100))
    by_id = {r["id"]: r for r in frame.to_dict("records")}
    assert pd.isna(by_id["ok"]["reason"]) and pd.isna(by_id["ok2"]["reason"])
    expected = {
        "none": ("no text", "field 'text' is missing or empty"),
        "blank": ("no text", "field 'text' is missing or empty"),
        "number": ("no text", "field 'text' is not a string"),
        "surrogate": ("not utf-8", "the text holds an unpaired surrogate escape"),
        "big": ("too large", "the text is 101 bytes; the limit is 100"),
    }
    for ident, (reason, detail) in expected.items():
        assert (by_id[ident]["reason"], by_id[ident]["detail"]) == (reason, detail), ident
    rejects = frame[frame["reason"].notna()]
    latin1 = rejects[rejects["reason"] == "not utf-8"].iloc[0]
    assert latin1["detail"] == "byte 0xe9 at column 30 is not UTF-8"
    assert latin1["excerpt"].endswith('caf\\xe9"}')
    assert latin1["id"].startswith("mixed.jsonl@")  # no id can be read from such a line
    malformed = rejects[rejects["reason"] == "malformed"]["detail"].tolist()
    assert malformed == ["malformed JSON: Expecting value", "not a JSON object"]
    assert len(frame) == len(lines) - 1  # the empty line is no row at all


def test_a_line_over_the_record_limit_is_rejected_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"id": "huge", "text": "' + b"a" * (MAX_RECORD_BYTES + 10) + b'"}\n')
        handle.write(b'{"id": "after", "text": "still read"}\n')
    frame = _read_all([path], 1 << 20)
    assert frame["reason"].tolist() == ["too large", pd.NA]
    assert frame["detail"].iloc[0] == "the line is longer than 4 MiB"
    assert frame["id"].iloc[1] == "after"


def test_a_csv_row_split_over_lines_is_rejected_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text('id,text\na,"one line"\nb,"two\nlines"\nc,fine\n', "utf-8")
    frame = _read_all([path], 1 << 20)
    assert frame[frame["reason"].isna()]["id"].tolist() == ["a", "c"]
    details = frame["detail"].dropna().tolist()
    assert details == [
        "a quoted field runs past the end of the line (batch reads CSV one row per line)",
        "the row has 1 field, the header 2 (batch reads CSV one row per line)",
    ]


def test_ids_default_to_file_and_offset_and_fields_can_be_renamed(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "posts.jsonl",
        [{"body": "first post", "when": 1425340800, "where": "tg", "language": "en"}],
    )
    frame = _read_all(
        [path], 1 << 20, Fields(text="body", date="when", source="where", lang="language")
    )
    row = frame.iloc[0]
    assert (row["id"], row["text"], row["day"], row["source"], row["lang"]) == (
        "posts.jsonl@0",
        "first post",
        date(2015, 3, 3),
        "tg",
        "en",
    )


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2015-03-02", date(2015, 3, 2)),
        ("2015-03-02T23:59:59+05:00", date(2015, 3, 2)),
        (1425340800, date(2015, 3, 3)),
        (1425340800000, date(2015, 3, 3)),
        ("1425340800", date(2015, 3, 3)),
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_days_are_read_from_iso_text_and_unix_time(value: object, day: date | None) -> None:
    assert parse_day(value) == day


def test_inputs_batch_cannot_read_are_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"notes\.txt: batch reads \.jsonl, .*not '\.txt'"):
        plan_parts([tmp_path / "notes.txt"], 1 << 20, job="test")
    with pytest.raises(InputError, match=r"missing\.jsonl: no such file"):
        plan_parts([tmp_path / "missing.jsonl"], 1 << 20, job="test")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.jsonl: the file is empty"):
        plan_parts([tmp_path / "empty.jsonl"], 1 << 20, job="test")


def test_a_partition_key_changes_with_the_job_and_the_file(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "posts.jsonl", [{"text": "a"}])
    first = plan_parts([path], 1 << 20, job="A")[0].key
    assert plan_parts([path], 1 << 20, job="A")[0].key == first
    assert plan_parts([path], 1 << 20, job="B")[0].key != first
    _jsonl(path, [{"text": "a"}, {"text": "b"}])
    assert plan_parts([path], 1 << 20, job="A")[0].key != first
