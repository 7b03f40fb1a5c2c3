from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from defectio.codebook import Family, bundled_codebooks, load_codebook, parse_codebook
from defectio.errors import CodebookError

SHARED_MANUAL_CODES = {
    "exit": 5,
    "join": 3,
    "stance": 2,
}


def test_default_codebook_holds_the_manual(codebook) -> None:  # type: ignore[no-untyped-def]
    assert codebook.version
    for family, n in SHARED_MANUAL_CODES.items():
        assert len(codebook.family(family)) == n
    for code in codebook.codes:
        assert code.definition and code.label and code.meets
        assert set(code.indicators) == set(codebook.languages), code.id
    assert codebook.rules
    for join, answers in codebook.counter_map.items():
        assert codebook.by_id[join].family is Family.JOIN
        assert all(codebook.by_id[a].family is Family.EXIT for a in answers)


def test_bundled_codebooks_include_a_second_movement() -> None:
    assert {"icsr2015", "exit_farright"} <= set(bundled_codebooks())
    other = load_codebook("exit_farright")
    assert not set(other.code_ids) & set(load_codebook().code_ids)


def _mutated(mutate) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(
        (Path(__file__).parents[1] / "src/defectio/codebooks/icsr2015.yaml").read_text("utf-8")
    )
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True)


def test_duplicate_code_id_names_the_file_and_key() -> None:
    def dup(d):  # type: ignore[no-untyped-def]
        d["codes"].append(dict(d["codes"][0]))

    with pytest.raises(CodebookError, match=r"my\.yaml: codes\[10\]\.id: duplicate code id"):
        parse_codebook(_mutated(dup), "my.yaml")


def test_unknown_family_names_the_code() -> None:
    def fam(d):  # type: ignore[no-untyped-def]
        d["codes"][1]["family"] = "motive"

    with pytest.raises(CodebookError, match=r"my\.yaml: codes\[1\] \(brutality\)\.family"):
        parse_codebook(_mutated(fam), "my.yaml")


def test_counter_map_naming_a_missing_code_is_refused() -> None:
    def cm(d):  # type: ignore[no-untyped-def]
        d["counter_map"]["religious_duty"].append("hypocrisy")

    with pytest.raises(
        CodebookError, match=r"counter_map\.religious_duty: unknown code 'hypocrisy'"
    ):
        parse_codebook(_mutated(cm), "my.yaml")


def test_empty_definition_is_refused() -> None:
    def empty(d):  # type: ignore[no-untyped-def]
        d["codes"][2]["definition"] = "   "

    with pytest.raises(
        CodebookError, match=r"codes\[2\] \(corruption\)\.definition: the definition is empty"
    ):
        parse_codebook(_mutated(empty), "my.yaml")


def test_a_key_given_twice_is_refused_not_silently_overwritten() -> None:
    text = "id: x\nname: X\nversion: '1'\nversion: '2'\ncodes: []\n"
    with pytest.raises(CodebookError, match=r"dup\.yaml: line 4: duplicate key 'version'"):
        parse_codebook(text, "dup.yaml")


def test_missing_file_and_unknown_name_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="no such codebook file"):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(CodebookError, match="neither a codebook file nor a bundled one"):
        load_codebook("nonesuch")
