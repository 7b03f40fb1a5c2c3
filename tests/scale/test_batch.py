"""`defectio batch` end to end on real Dask clusters: local worker processes, or an existing
cluster joined by address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from defectio.cli import app
from defectio.coding.training import training_files

pytestmark = pytest.mark.integration
runner = CliRunner()


def _batch(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["batch", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """A cluster that is already running, as a team's would be."""
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as running:
        yield running


@pytest.fixture
def inputs(tmp_path: Path, codebook) -> list[Path]:  # type: ignore[no-untyped-def]
    """The bundled English training posts (JSONL), plus a CSV and a Parquet file of posts
    with dates and sources, each holding bad rows."""
    (english,) = [p for p in training_files(codebook) if p.name == "en.jsonl"]
    texts = [json.loads(line)["text"] for line in english.read_text("utf-8").splitlines()]
    csv_path = tmp_path / "posts.csv"
    lines = ["id,text,date,source"]
    lines += [f'c{i},"{texts[i]}",2015-03-0{i % 3 + 1},telegram' for i in range(20)]
    lines += ["c-empty,,2015-03-01,telegram"]
    csv_path.write_text("\n".join(lines) + "\n", "utf-8")
    parquet_path = tmp_path / "posts.parquet"
    table = pa.table(
        {
            "id": [f"q{i}" for i in range(31)],
            "text": [*texts[20:50], None],
            "date": [f"2015-03-0{i % 2 + 1}T12:00:00Z" for i in range(31)],
            "source": ["twitter"] * 31,
        }
    )
    pq.write_table(table, parquet_path, row_group_size=10)
    bad_path = tmp_path / "bad.jsonl"
    bad_path.write_bytes(
        b'{"id": "ok", "text": "They killed the boy in front of us.", "source": "forum"}\n'
        b'{"id": "latin", "text": "caf\xe9"}\n'
        b'{"id": "huge", "text": "' + b"x" * 70_000 + b'"}\n'
    )
    return [english, csv_path, parquet_path, bad_path]


def test_batch_codes_jsonl_csv_and_parquet_and_sends_bad_rows_to_the_rejects(
    tmp_path: Path, inputs: list[Path]
) -> None:
    out = tmp_path / "out"
    args = [*map(str, inputs), "--out", str(out), "--workers", "2", "--coder", "linear"]
    report = _batch(*args, "--blocksize-mb", "1")
    good = 491 + 20 + 30 + 1
    assert (report["posts"], report["rejects"], report["workers"]) == (good, 4, 2)
    assert report["reasons"] == {"no text": 2, "not utf-8": 1, "too large": 1}
    posts = pd.read_parquet(out / "posts")
    assert len(posts) == good and posts["id"].is_unique
    assert {"c0", "q29", "ok", "en-0001"} <= set(posts["id"])
    assert list(posts.columns) == ["id", "lang", "day", "source", "codes", "probabilities"]
    rejects = pd.read_parquet(out / "rejects").sort_values("id")
    assert rejects["id"].tolist() == ["bad.jsonl@79", "c-empty", "huge", "q30"]
    assert rejects["reason"].tolist() == ["not utf-8", "no text", "too large", "no text"]
    assert rejects["detail"].iloc[0] == "byte 0xe9 at column 29 is not UTF-8"

    counts = pd.read_parquet(out / "aggregates")
    exploded = posts.explode("codes")
    for code, n in exploded["codes"].value_counts().items():
        assert counts.loc[counts["code"] == code, "posts"].sum() == n
    per_pair = counts.drop_duplicates(["day", "source"])["total"].sum()
    assert per_pair == good
    telegram = counts[(counts["source"] == "telegram")]
    assert telegram.drop_duplicates("day")["total"].sum() == 20


def test_a_rerun_skips_finished_partitions_and_redoes_a_broken_one(
    tmp_path: Path, inputs: list[Path], cluster: LocalCluster
) -> None:
    out = tmp_path / "out"
    args = [*map(str, inputs), "--out", str(out), "--scheduler", cluster.scheduler_address]
    first = _batch(*args, "--coder", "linear")
    assert first["skipped"] == 0 and first["parts"] == 1 + 1 + 4 + 1
    before = pd.read_parquet(out / "posts").sort_values("id", ignore_index=True)

    again = _batch(*args, "--coder", "linear")
    assert (again["skipped"], again["posts"]) == (first["parts"], 0)

    broken = sorted((out / "posts").glob("part-*.parquet"))[0]
    rows = pq.read_metadata(broken).num_rows
    broken.write_bytes(broken.read_bytes()[:100])  # a write cut short
    repaired = _batch(*args, "--coder", "linear")
    assert (repaired["skipped"], repaired["posts"]) == (first["parts"] - 1, rows)
    after = pd.read_parquet(out / "posts").sort_values("id", ignore_index=True)
    assert after["id"].tolist() == before["id"].tolist()
    assert [list(c) for c in after["codes"]] == [list(c) for c in before["codes"]]

    # run on fewer inputs: the outputs of the others go, the counts follow
    fewer = [str(inputs[0]), "--out", str(out), "--scheduler", cluster.scheduler_address]
    narrowed = _batch(*fewer, "--coder", "linear")
    assert (narrowed["parts"], narrowed["skipped"], narrowed["total_posts"]) == (1, 1, 491)
    assert len(list((out / "posts").glob("*.parquet"))) == 1
    assert pd.read_parquet(out / "aggregates").drop_duplicates("day")["total"].sum() == 491


def test_batch_joins_an_existing_cluster_and_leaves_it_running(
    tmp_path: Path, inputs: list[Path], cluster: LocalCluster
) -> None:
    out = tmp_path / "out"
    report = _batch(
        str(inputs[0]), "--out", str(out), "--scheduler", cluster.scheduler_address,
        "--coder", "linear",
    )  # fmt: skip
    assert (report["workers"], report["posts"]) == (1, 491)
    assert cluster.status.name == "running" and len(cluster.workers) == 1


def test_the_default_coder_codes_posts_of_the_bundled_corpus(
    tmp_path: Path, codebook, cluster: LocalCluster
) -> None:  # type: ignore[no-untyped-def]
    sample = tmp_path / "sample.jsonl"
    lines = [
        line
        for path in training_files(codebook)
        for line in path.read_text("utf-8").splitlines()[:12]
    ]
    sample.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"
    report = _batch(str(sample), "--out", str(out), "--scheduler", cluster.scheduler_address)
    assert (report["coder"], report["posts"]) == ("ensemble.v1", len(lines))
    posts = pd.read_parquet(out / "posts")
    assert set(posts["lang"]) == {"ar", "de", "en", "fr", "tr"}
    assert sum(len(c) for c in posts["codes"]) > len(lines) / 2


def test_batch_refuses_contradictory_options_and_a_folder_it_did_not_write(
    tmp_path: Path, inputs: list[Path]
) -> None:
    both = runner.invoke(
        app, ["batch", str(inputs[0]), "--out", str(tmp_path / "o"), "--workers", "2",
              "--scheduler", "tcp://127.0.0.1:1"],
    )  # fmt: skip
    assert both.exit_code == 1
    assert "give --scheduler (join a cluster) or --workers (start one), not both" in both.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    taken = runner.invoke(
        app, ["batch", str(inputs[0]), "--out", str(tmp_path / "mine"), "--workers", "1"]
    )
    assert taken.exit_code == 1
    assert "holds no batch.json, so it is not a batch output folder" in taken.output
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"
