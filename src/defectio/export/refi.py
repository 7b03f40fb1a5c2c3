"""REFI-QDA codebooks: the codebook as REFI ``Code`` elements (families as uncodable parent
codes), written as a .qdc file or inside a project, and a .qdc read back as a codebook.

A code's REFI ``Description`` holds its definition and a last line ``defectio id: ID``, so a
codebook survives the round trip with its ids; a .qdc from another tool gets ids made from its
code names, and its top-level codes must be named after the families (exit, join, stance).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from defectio import __version__
from defectio.codebook import Codebook, Family, parse_codebook
from defectio.errors import CodebookError

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
GUID_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "defectio")
ID_MARK = "defectio id:"
COUNTER_SET = "counter_map:"
FAMILY_COLOURS = {Family.EXIT: "#1F3A5F", Family.JOIN: "#B5651D", Family.STANCE: "#4F7F4F"}
_SLUG = re.compile(r"[^a-z0-9]+")


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
            etree.SubElement(item, f"{{{ns}}}MemberCode", targetGUID=code_guid(book, answer))
    return sets


def codebook_to_qdc(book: Codebook) -> bytes:
    """A standalone REFI-QDA codebook (.qdc)."""
    root = etree.Element(
        f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=f"defectio {__version__}"
    )
    root.append(codes_element(book, CODEBOOK_NS))
    sets = counter_sets(book, CODEBOOK_NS)
    if sets is not None:
        root.append(sets)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def _slug(name: str) -> str:
    slug = _SLUG.sub("_", name.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"c_{slug}"


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


def read_qdc(path: Path) -> tuple[Codebook, str]:
    """A REFI-QDA .qdc file as a validated codebook, and the codebook YAML the store keeps."""
    raw = path.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise CodebookError(f"{path}: not a REFI-QDA codebook: {exc}") from None
    if _local(root) != "CodeBook" or not _children(root, "Codes"):
        raise CodebookError(f"{path}: expected <CodeBook> with <Codes> (REFI-QDA codebook 1.0)")
    families: dict[str, str] = {}
    codes: list[dict[str, Any]] = []
    by_guid: dict[str, str] = {}
    for top in _children(_children(root, "Codes")[0], "Code"):
        name = top.get("name", "")
        try:
            family = Family(_slug(name))
        except ValueError:
            raise CodebookError(
                f"{path}: top-level code '{name}' is not a family; put each code under a "
                f"top-level code named {', '.join(f.value for f in Family)}"
            ) from None
        text, _ = _description(top)
        if text:
            families[family.value] = text
        for element in top.iter():
            if element is top or not isinstance(element.tag, str) or _local(element) != "Code":
                continue
            codes.append(_code(element, family, path))
            by_guid[element.get("guid", "").upper()] = codes[-1]["id"]
    counter: dict[str, list[str]] = {}
    for sets in _children(root, "Sets"):
        for item in _children(sets, "Set"):
            name = item.get("name", "")
            if name.startswith(COUNTER_SET):
                members = [m.get("targetGUID", "").upper() for m in _children(item, "MemberCode")]
                counter[name[len(COUNTER_SET) :]] = [by_guid[m] for m in members if m in by_guid]
    stem = path.stem
    data = {
        "id": _slug(stem),
        "name": stem,
        "version": "qdc-" + hashlib.sha256(raw).hexdigest()[:10],
        "description": f"Read from the REFI-QDA codebook {path.name}.",
        "families": families,
        "codes": codes,
        "counter_map": counter,
    }
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return parse_codebook(text, str(path)), text


def _code(element: etree._Element, family: Family, path: Path) -> dict[str, Any]:
    name = element.get("name", "").strip()
    definition, code_id = _description(element)
    if not definition:
        raise CodebookError(
            f"{path}: code '{name}' has no Description; it becomes the code's definition"
        )
    return {
        "id": code_id or _slug(name),
        "family": family.value,
        "label": name or code_id,
        "definition": definition,
    }
