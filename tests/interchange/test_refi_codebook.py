"""REFI-QDA codebooks (.qdc): valid against the Codebook schema, read back in full, and read
from other tools whatever they call a set member's GUID."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from defectio.codebook import Codebook, Family, load_codebook
from defectio.errors import CodebookError
from defectio.interchange.draft import FamilyChoice
from defectio.interchange.merge import merge_codebook
from defectio.interchange.refi_codebook import CODEBOOK_NS, codebook_to_qdc, read_qdc


@pytest.mark.parametrize("name", ["icsr2015", "exit_farright"])
def test_the_whole_qdc_is_valid_against_the_refi_codebook_schema(
    name: str, codebook_schema: etree.XMLSchema
) -> None:
    book = load_codebook(name)
    doc = etree.fromstring(codebook_to_qdc(book))
    assert codebook_schema.validate(doc), codebook_schema.error_log
    members = doc.findall(f".//{{{CODEBOOK_NS}}}MemberCode")
    assert len(members) == sum(len(a) for a in book.counter_map.values()) > 0
    assert all(m.get("guid") and m.get("targetGUID") is None for m in members)


def test_a_qdc_reads_back_with_ids_families_definitions_and_counter_map(
    tmp_path: Path, codebook: Codebook
) -> None:
    path = tmp_path / "book.qdc"
    path.write_bytes(codebook_to_qdc(codebook))
    draft = read_qdc(path)
    assert [c.code_id for c in draft.codes] == codebook.code_ids
    assert [c.family for c in draft.codes] == [c.family for c in codebook.codes]
    assert [c.definition for c in draft.codes] == [c.definition for c in codebook.codes]
    assert [c.name for c in draft.codes] == [c.label for c in codebook.codes]
    counter = {j: [m.code_id for m in ms] for j, ms in draft.counter_map.items()}
    assert counter == {j: list(a) for j, a in codebook.counter_map.items()}


def test_set_members_are_read_as_guid_or_as_target_guid(tmp_path: Path, codebook: Codebook) -> None:
    """The Codebook schema says ``guid`` (ATLAS.ti writes it, requal reads it); the Project
    schema says ``targetGUID``, and older files carry it in codebooks too."""
    qdc = codebook_to_qdc(codebook)
    spelled = {
        "guid": qdc,
        "targetGUID": qdc.replace(b"<MemberCode guid=", b"<MemberCode targetGUID="),
    }
    for attr, data in spelled.items():
        path = tmp_path / f"{attr}.qdc"
        path.write_bytes(data)
        counter = {j: [m.code_id for m in ms] for j, ms in read_qdc(path).counter_map.items()}
        assert counter == {j: list(a) for j, a in codebook.counter_map.items()}, attr


def _flat_qdc(path: Path) -> Path:
    path.write_text(
        f'<CodeBook xmlns="{CODEBOOK_NS}" origin="another tool"><Codes>'
        '<Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Boredom" isCodable="true">'
        "<Description>Nothing to do all day.</Description></Code>"
        '<Code guid="2FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Hardship" isCodable="false">'
        '<Code guid="3FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Fear" isCodable="true"/>'
        "</Code></Codes></CodeBook>",
        encoding="utf-8",
    )
    return path


def test_a_flat_codebook_needs_a_family_and_gets_it_from_family_or_a_mapping(
    tmp_path: Path, codebook: Codebook
) -> None:
    path = _flat_qdc(tmp_path / "flat.qdc")
    draft = read_qdc(path)
    assert [(c.name, c.family, c.parents) for c in draft.codes] == [
        ("Boredom", None, ()),
        ("Fear", None, ("Hardship",)),
    ]
    with pytest.raises(CodebookError, match=r"code 'Boredom' has no family.*--family"):
        merge_codebook(codebook, draft, FamilyChoice())
    book, _, summary = merge_codebook(codebook, draft, FamilyChoice(default=Family.EXIT))
    assert [(c.id, c.family, c.definition) for c in book.codes] == [
        ("boredom", Family.EXIT, "Nothing to do all day."),
        ("fear", Family.EXIT, "Fear"),  # the name stands in for the missing definition
    ]
    assert summary.named_definitions == ["fear"]
    mapping = {"hardship": Family.STANCE}  # a parent's name gives its codes a family
    book, _, _ = merge_codebook(codebook, draft, FamilyChoice(Family.EXIT, mapping))
    assert [c.family for c in book.codes] == [Family.EXIT, Family.STANCE]


def test_a_file_that_is_not_a_codebook_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "x.qdc"
    path.write_text("<Project/>", encoding="utf-8")
    with pytest.raises(CodebookError, match="expected <CodeBook> with <Codes>"):
        read_qdc(path)
