"""A REFI-QDA project (.qdpx) that QDA tools import: the codebook, one text source per case
(its passages, separated by blank lines), the case with its attributes as variables, and each
coded passage as a selection carrying its codes. People's codes and machine suggestions are
told apart by the user who made them."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from defectio import __version__
from defectio.analysis.counts import Basis, passage_codes
from defectio.codebook import Codebook
from defectio.export.refi import PROJECT_NS, code_guid, codes_element, counter_sets, guid
from defectio.model import Case, Corpus, Passage

NS = PROJECT_NS
SEPARATOR = "\n\n"
VARIABLES = (
    "alias",
    "gender",
    "region",
    "origin",
    "role",
    "status_after",
    "joined",
    "left",
    "went_public_via",
    "group",
)


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _case_text(passages: list[Passage]) -> tuple[str, dict[str, tuple[int, int]]]:
    """The case's document and each passage's [start, end) in it, in characters."""
    spans: dict[str, tuple[int, int]] = {}
    parts: list[str] = []
    at = 0
    for p in passages:
        if parts:
            at += len(SEPARATOR)
        spans[p.passage_id] = (at, at + len(p.text))
        parts.append(p.text)
        at += len(p.text)
    return SEPARATOR.join(parts), spans


def _value(case: Case, field: str) -> str | None:
    value = getattr(case, field)
    if value is None:
        return None
    return str(getattr(value, "value", value))


def project_xml(
    corpus: Corpus, codebook: Codebook, *, now: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` document and the plain-text sources it points to (by file name)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    codes = [pc for pc in passage_codes(corpus, Basis.COMBINED) if pc.code in codebook]
    users = {"people": guid("user", "people"), "machine": guid("user", "machine")}
    root = etree.Element(
        f"{{{NS}}}Project",
        nsmap={None: NS},
        name=f"defectio: {codebook.name}",
        origin=f"defectio {__version__}",
        creatingUserGUID=users["people"],
        creationDateTime=stamp,
    )
    user_el = _el(root, "Users")
    _el(user_el, "User", guid=users["people"], name="people (accepted codes)", id="people")
    _el(
        user_el,
        "User",
        guid=users["machine"],
        name="machine (unreviewed suggestions)",
        id="machine",
    )
    book = _el(root, "CodeBook")
    book.append(codes_element(codebook, NS))
    variables = _el(root, "Variables")
    for field in VARIABLES:
        _el(variables, "Variable", guid=guid("variable", field), name=field, typeOfVariable="Text")
    by_case: dict[str, list[Passage]] = {}
    for p in sorted(corpus.passages, key=lambda p: (p.case_id, p.position)):
        by_case.setdefault(p.case_id, []).append(p)
    cases_el = _el(root, "Cases")
    for case in corpus.cases:
        case_el = _el(cases_el, "Case", guid=guid("case", case.case_id), name=case.case_id)
        _el(case_el, "Description", case.alias)
        for field in VARIABLES:
            value = _value(case, field)
            if value is not None:
                vv = _el(case_el, "VariableValue")
                _el(vv, "VariableRef", targetGUID=guid("variable", field))
                _el(vv, "TextValue", value)
        if by_case.get(case.case_id):
            _el(case_el, "SourceRef", targetGUID=guid("source", case.case_id))
    sources_el = _el(root, "Sources")
    texts: dict[str, str] = {}
    by_passage: dict[str, list[tuple[str, bool]]] = {}
    for pc in codes:
        by_passage.setdefault(pc.passage_id, []).append((pc.code, pc.reviewed))
    urls = corpus.source_by_id
    for case in corpus.cases:
        passages = by_case.get(case.case_id)
        if not passages:
            continue
        text, spans = _case_text(passages)
        source_guid = guid("source", case.case_id)
        texts[f"{source_guid}.txt"] = text
        source_el = _el(
            sources_el,
            "TextSource",
            guid=source_guid,
            name=case.case_id,
            plainTextPath=f"internal://{source_guid}.txt",
            creationDateTime=stamp,
        )
        links = [urls[s].url for s in corpus.case_sources.get(case.case_id, ()) if s in urls]
        _el(source_el, "Description", "\n".join([case.alias, *links]))
        for p in passages:
            mine = by_passage.get(p.passage_id)
            if not mine:
                continue
            start, end = spans[p.passage_id]
            sel = _el(
                source_el,
                "PlainTextSelection",
                guid=guid("selection", p.passage_id),
                name=p.passage_id,
                startPosition=str(start),
                endPosition=str(end),
            )
            for code, reviewed in mine:
                coding = _el(
                    sel,
                    "Coding",
                    guid=guid("coding", p.passage_id, code),
                    creatingUser=users["people" if reviewed else "machine"],
                )
                _el(coding, "CodeRef", targetGUID=code_guid(codebook, code))
    sets = counter_sets(codebook, NS)
    if sets is not None:
        root.append(sets)
    _el(root, "Description", f"Exported by defectio {__version__}; codebook {codebook.ref}.")
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return bytes(xml), texts


def write_qdpx(
    corpus: Corpus, codebook: Codebook, out: Path, *, now: datetime | None = None
) -> Path:
    """Write the project as a .qdpx zip: ``project.qde`` and ``Sources/<guid>.txt``."""
    xml, texts = project_xml(corpus, codebook, now=now)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for name, text in texts.items():
            archive.writestr(f"Sources/{name}", text.encode("utf-8"))
    return out
