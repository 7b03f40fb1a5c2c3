"""Each kind of bad input gets a clear error (file, line, field) and leaves the store as it was."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from defectio.errors import InputError
from defectio.ingest.importer import import_paths
from defectio.store.repo import Store


def _snapshot(store: Store) -> dict[str, int]:
    return store.counts()


@pytest.fixture
def seeded(store: Store, reference_path: Path) -> Store:
    """A store that already holds the reference corpus, so a rollback has something to keep."""
    import_paths(store, [reference_path])
    return store


def _good_lines(reference_path: Path, n: int = 3) -> list[str]:
    lines = reference_path.read_text("utf-8").splitlines()[:n]
    # New case ids, so that a successful import would visibly add rows.
    return [line.replace('"case_id": "D00', '"case_id": "X00') for line in lines]


def _assert_rejected(store: Store, path: Path, pattern: str) -> InputError:
    before = _snapshot(store)
    with pytest.raises(InputError, match=pattern) as info:
        import_paths(store, [path])
    assert _snapshot(store) == before
    return info.value


def test_malformed_json_line_names_file_and_line(
    seeded: Store, tmp_path: Path, reference_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*_good_lines(reference_path), '{"case_id": "X9", ']) + "\n")
    err = _assert_rejected(seeded, path, r"bad\.jsonl:4: .*malformed JSON")
    assert err.line == 4


def test_unknown_code_names_the_passage_labels_field(
    seeded: Store, tmp_path: Path, reference_path: Path
) -> None:
    rows = [json.loads(x) for x in _good_lines(reference_path)]
    rows[1]["passages"][0]["labels"] = ["boredom"]
    path = tmp_path / "codes.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    err = _assert_rejected(
        seeded, path, r"codes\.jsonl:2: field 'passages\[0\]\.labels': unknown code 'boredom'"
    )
    assert err.field == "passages[0].labels"


def test_impossible_date_is_refused(seeded: Store, tmp_path: Path, reference_path: Path) -> None:
    rows = [json.loads(x) for x in _good_lines(reference_path)]
    rows[2]["left"] = "2015-13"
    path = tmp_path / "date.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _assert_rejected(seeded, path, r"date\.jsonl:3: field 'left': '2015-13' has month 13")


def test_missing_case_id_is_refused(seeded: Store, tmp_path: Path, reference_path: Path) -> None:
    rows = [json.loads(x) for x in _good_lines(reference_path)]
    del rows[0]["case_id"]
    path = tmp_path / "noid.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _assert_rejected(seeded, path, r"noid\.jsonl:1: field 'case_id': missing case_id")


def test_duplicate_case_id_with_conflicting_fields_is_refused(
    seeded: Store, tmp_path: Path, reference_path: Path
) -> None:
    rows = [json.loads(x) for x in _good_lines(reference_path)]
    clash = dict(rows[0], gender="f" if rows[0]["gender"] == "m" else "m")
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [*rows, clash]) + "\n")
    _assert_rejected(
        seeded,
        path,
        r"dup\.jsonl:4: field 'case_id': case_id 'X001' appears again "
        r"with different case fields \(first at .*dup\.jsonl:1\)",
    )


def test_duplicate_case_id_with_the_same_fields_merges(
    store: Store, tmp_path: Path, reference_path: Path
) -> None:
    rows = [json.loads(x) for x in _good_lines(reference_path, 1)]
    again = dict(
        rows[0],
        passages=[{"text": "A later interview, another passage.", "voice": "first", "labels": []}],
    )
    path = tmp_path / "same.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [rows[0], again]) + "\n")
    report = import_paths(store, [path])
    assert report.counts["cases"]["added"] == 1
    assert report.counts["passages"]["added"] == len(rows[0]["passages"]) + 1


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".txt", ".md"])
def test_zero_byte_file_is_refused(seeded: Store, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    _assert_rejected(seeded, path, r"the file is empty \(0 bytes\)")


def test_binary_file_named_txt_is_refused(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    _assert_rejected(seeded, path, r"photo\.txt: this looks like a binary file")


@pytest.mark.parametrize("suffix", [".jsonl", ".txt"])
def test_text_that_is_not_utf8_is_refused(
    seeded: Store, tmp_path: Path, reference_path: Path, suffix: str
) -> None:
    path = tmp_path / f"latin1{suffix}"
    good = "\n".join(_good_lines(reference_path, 2)) + "\n"
    bad_line = '{"case_id": "X77", "alias": "Caf\xe9 owner", "passages": []}\n'
    path.write_bytes(good.encode("utf-8") + bad_line.encode("latin-1"))
    line = r":3" if suffix == ".jsonl" else ""
    _assert_rejected(seeded, path, rf"latin1\{suffix}{line}: not valid UTF-8 \(byte 0xe9")


def test_a_200_mb_file_is_streamed_and_refused_without_loading_it(
    seeded: Store, tmp_path: Path
) -> None:
    """A 200 MB JSONL file whose first line never ends: the reader stops at the record limit
    instead of reading 200 MB into memory, and the store is unchanged."""
    path = tmp_path / "huge.jsonl"
    chunk = b'{"case_id": "X1", "alias": "' + b"a" * (1 << 20)
    with path.open("wb") as handle:
        for _ in range(200):
            handle.write(chunk)
    assert path.stat().st_size >= 200 * 2**20
    tracemalloc.start()
    try:
        _assert_rejected(seeded, path, r"huge\.jsonl:1: the line is longer than 4 MiB")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB: the file was not streamed"


def test_a_200_mb_text_document_is_refused_before_reading(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(200 * 2**20)  # sparse: costs no disk
    # A sparse file reads as NULs, but the size check comes first and names the limit.
    _assert_rejected(seeded, path, r"huge\.txt: the file is 200 MiB; documents over 50 MiB")


def test_a_failure_in_the_second_file_rolls_back_the_first(
    store: Store, tmp_path: Path, reference_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"case_id": "Z1", "alias": "z", "gender": "male"}\n')
    store.codebook()  # installs the default codebook, in a transaction of its own
    before = store.counts()
    with pytest.raises(InputError, match=r"bad\.jsonl:1: field 'gender'"):
        import_paths(store, [reference_path, bad])
    assert store.counts() == before
    assert before["cases"] == 0


def test_unknown_file_type_lists_the_known_ones(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "notes.rtf"
    path.write_text("{\\rtf1 hello}")
    with pytest.raises(InputError, match=r"unknown file type '\.rtf'; defectio reads \.jsonl"):
        import_paths(store, [path])


def test_a_nul_character_or_a_bad_language_tag_is_refused(
    seeded: Store, tmp_path: Path, reference_path: Path
) -> None:
    rows = [json.loads(x) for x in _good_lines(reference_path)]
    rows[1]["passages"][0]["text"] = "They left\u0000 at night."
    path = tmp_path / "nul.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _assert_rejected(
        seeded, path, r"nul\.jsonl:2: field 'passages\[0\]\.text': the text contains a NUL"
    )
    rows[1]["passages"][0]["text"] = "They left at night."
    rows[1]["passages"][0]["lang"] = "english please"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _assert_rejected(
        seeded, path, r"nul\.jsonl:2: field 'passages\[0\]\.lang': got 'english please'"
    )
