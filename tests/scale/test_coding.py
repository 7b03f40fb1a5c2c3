"""Coding a partition on a worker: the coder comes from its saved directory, once per process,
and a post gets the same codes as the coder gives it in a plain process."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from defectio.codebook import Codebook
from defectio.coding.registry import build_coder
from defectio.scale import coding
from defectio.scale.aggregate import finish_counts, partial_counts
from defectio.scale.coding import code_partition, coder_at, prepare_coder, rejects_of
from defectio.scale.fields import Fields
from defectio.scale.inputs import plan_parts, read_part

POSTS = [
    {
        "id": "a",
        "text": "They executed civilians in the square and I could not stay.",
        "lang": "en",
        "date": "2015-03-02",
        "source": "tw",
    },
    {
        "id": "b",
        "text": "The emir kept the best houses and the money for himself.",
        "date": "2015-03-02",
        "source": "tw",
    },
    {"id": "c", "text": "", "date": "2015-03-03", "source": "tg"},
    {
        "id": "d",
        "text": "Ils ont tué des gens innocents devant nous, alors je suis parti.",
        "date": "2015-03-03",
        "source": "tg",
    },
]


@pytest.fixture
def raw(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in POSTS), "utf-8")
    (part,) = plan_parts([path], 1 << 20, job="test")
    return read_part(part, Fields())


def test_a_partition_is_coded_as_the_coder_codes_in_a_plain_process(
    raw: pd.DataFrame, codebook: Codebook
) -> None:
    name, directory = prepare_coder("linear", codebook)
    assert name == "linear.v1" and (directory / "coder.json").is_file()
    posts = code_partition(raw, str(directory), codebook.code_ids)
    assert posts["id"].tolist() == ["a", "b", "d"]  # "c" has no text: a reject
    texts = [p["text"] for p in POSTS if p["text"]]
    plain = build_coder("linear", codebook).predict(texts, ["en", "en", "fr"])
    assert [list(c) for c in posts["codes"]] == [[s.code for s in p.codes] for p in plain]
    for row, coding_ in zip(posts["probabilities"], plain, strict=True):
        assert list(row) == codebook.code_ids
        for score in coding_.scores:
            assert row[score.code] == pytest.approx(score.p, abs=1e-6)
    assert posts["lang"].tolist() == ["en", "en", "fr"]  # given, or detected when absent
    assert [str(d) for d in posts["day"]] == ["2015-03-02", "2015-03-02", "2015-03-03"]


def test_the_rejects_of_a_partition_keep_their_reason(raw: pd.DataFrame) -> None:
    rejects = rejects_of(raw)
    assert rejects[["id", "reason"]].values.tolist() == [["c", "no text"]]
    assert list(rejects.columns) == ["file", "position", "id", "reason", "detail", "excerpt"]


def test_each_worker_process_loads_a_coder_once(
    codebook: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, directory = prepare_coder("lexicon", codebook)
    monkeypatch.setattr(coding, "_loaded", {})
    first = coder_at(str(directory))
    assert coder_at(str(directory)) is first


def test_a_trained_coder_is_trained_once_then_found_in_the_model_cache(
    codebook: Codebook,
) -> None:
    _, directory = prepare_coder("linear", codebook)
    stamp = (directory / "coder.json").stat().st_mtime_ns
    assert prepare_coder("linear", codebook) == ("linear.v1", directory)
    assert (directory / "coder.json").stat().st_mtime_ns == stamp


def test_partial_counts_add_up_to_the_counts_of_the_whole(
    raw: pd.DataFrame, codebook: Codebook
) -> None:
    _, directory = prepare_coder("linear", codebook)
    posts = code_partition(raw, str(directory), codebook.code_ids)
    halves = [posts.iloc[:1], posts.iloc[1:]]
    summed = pd.concat([partial_counts(h, codebook.code_ids) for h in halves])
    keys = ["day", "source", "code"]
    summed = finish_counts(summed.groupby(keys, dropna=False, as_index=False).sum())
    whole = finish_counts(partial_counts(posts, codebook.code_ids))
    assert summed.to_dict("records") == whole.to_dict("records")
    assert len(whole) == 2 * len(codebook.code_ids)  # two (day, source) pairs, every code
    day_totals = whole.groupby("day")["total"].first().tolist()
    assert day_totals == [2, 1]
    for row in whole.to_dict("records"):
        hits = sum(
            row["code"] in list(codes)
            for codes, day in zip(posts["codes"], posts["day"], strict=True)
            if day == row["day"]
        )
        assert row["posts"] == hits
