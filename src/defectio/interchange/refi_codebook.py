"""REFI-QDA codebooks: the codebook as REFI ``Code`` elements (families as uncodable parent
codes), written as a .qdc file or inside a project, and a .qdc read back as a draft.

A code's REFI ``Description`` holds its definition and a last line ``defectio id: ID``, so a
codebook survives the round trip with its ids. The counter map travels as ``Set``s named
``counter_map:JOIN`` whose members are the exit codes that answer it: a member is ``guid`` in
the Codebook schema and ``targetGUID`` in the Project schema; both are read.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from lxml import etree

from defectio import __version__
from defectio.codebook import Codebook, Family
from defectio.errors import CodebookError
from defectio.interchange.draft import Draft, DraftCode, family_of_name

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
GUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "defectio")
ID_MARK = "defectio id:"
COUNTER_SET = "counter_map:"
FAMILY_COLOURS = {Family.EXIT: "#1F3A5F", Family.JOIN: "#B5651D", Family.STANCE: "#4F7F4F"}
# What a set member's GUID attribute is called in each schema.
MEMBER_ATTR = {CODEBOOK_NS: "guid", PROJECT_NS: "targetGUID"}


def guid(*parts: str) -> str:
    """A stable GUID for a thing, so that exporting twice gives the same file."""
    return str(uuid.uuid5(GUID_ROOT, "\x1f".join(parts))).upper()


def code_guid(book: Codebook, code_id: str) -> str:
    return guid("code", book.id, code_id)


def codes_element(book: Codebook, ns: str) -> etree._Element:
    """``<Codes>``: one uncodable parent per family, its codes beneath it."""
    codes = etree.Element(f"{{{ns}}}Codes")
    for family in Family:
        members = book.family(family)
        if not members:
            continue
        parent = etree.SubElement(
            codes,
            f"{{{ns}}}Code",
            guid=guid("family", book.id, family.value),
            name=family.value,
            isCodable="false",
            color=FAMILY_COLOURS[family],
        )
        if family in book.families:
            etree.SubElement(parent, f"{{{ns}}}Description").text = book.families[family]
        for code in members:
            child = etree.SubElement(
                parent,
                f"{{{ns}}}Code",
                guid=code_guid(book, code.id),
                name=code.label,
                isCodable="true",
                color=FAMILY_COLOURS[family],
            )
            text = f"{code.definition}\n\n{ID_MARK} {code.id}"
            etree.SubElement(child, f"{{{ns}}}Description").text = text
    return codes


def counter_sets(book: Codebook, ns: str) -> etree._Element | None:
    """``<Sets>``: the counter map, one set per join code holding the exit codes that answer it."""
    if not book.counter_map:
        return None
    sets = etree.Element(f"{{{ns}}}Sets")
    for join, answers in book.counter_map.items():
        item = etree.SubElement(
            sets, f"{{{ns}}}Set", guid=guid("set", book.id, join), name=COUNTER_SET + join
        )
        for answer in answers:
            etree.SubElement(
                item, f"{{{ns}}}MemberCode", {MEMBER_ATTR[ns]: code_guid(book, answer)}
            )
    return sets


def codebook_to_qdc(book: Codebook) -> bytes:
    """A standalone REFI-QDA codebook (.qdc), valid against the Codebook schema."""
    root = etree.Element(
        f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=f"defectio {__version__}"
    )
    root.append(codes_element(book, CODEBOOK_NS))
    sets = counter_sets(book, CODEBOOK_NS)
    if sets is not None:
        root.append(sets)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _description(element: etree._Element) -> tuple[str, str | None]:
    """The description without the id line, and the id it names (if any)."""
    found = _children(element, "Description")
    text = (found[0].text or "") if found else ""
    lines = text.strip().splitlines()
    code_id = None
    if lines and lines[-1].strip().startswith(ID_MARK):
        code_id = lines.pop().strip()[len(ID_MARK) :].strip()
    return "\n".join(lines).strip(), code_id


def read_qdc(path: Path) -> Draft:
    """A REFI-QDA .qdc file as a draft codebook: every codable code with the family its
    top-level parent names (if any), the names of its parents, and the counter sets."""
    raw = path.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise CodebookError(f"{path}: not a REFI-QDA codebook: {exc}") from None
    if _local(root) != "CodeBook" or not _children(root, "Codes"):
        raise CodebookError(f"{path}: expected <CodeBook> with <Codes> (REFI-QDA codebook 1.0)")
    draft = Draft(origin=path.name)
    by_guid: dict[str, DraftCode] = {}

    def walk(element: etree._Element, family: Family | None, parents: tuple[str, ...]) -> None:
        name = element.get("name", "").strip()
        text, code_id = _description(element)
        top_family = family_of_name(name) if not parents else None
        if top_family is not None and element.get("isCodable") != "true":
            if text:
                draft.families[top_family] = text
            family = top_family
        elif element.get("isCodable", "true") != "false":
            if not name and not code_id:
                raise CodebookError(f"{path}: a <Code> (guid {element.get('guid')}) has no name")
            code = DraftCode(
                name=name or str(code_id),
                definition=text or None,
                code_id=code_id,
                family=family,
                parents=parents,
            )
            draft.codes.append(code)
            by_guid[element.get("guid", "").upper().strip("{}")] = code
        for child in _children(element, "Code"):
            walk(child, family, (*parents, name))

    for top in _children(_children(root, "Codes")[0], "Code"):
        walk(top, None, ())
    for sets in _children(root, "Sets"):
        for item in _children(sets, "Set"):
            name = item.get("name", "")
            if not name.startswith(COUNTER_SET):
                continue
            members = []
            for member in _children(item, "MemberCode"):
                ref = (member.get("guid") or member.get("targetGUID") or "").upper().strip("{}")
                if ref in by_guid:
                    members.append(by_guid[ref])
            draft.counter_map[name[len(COUNTER_SET) :]] = members
    return draft
