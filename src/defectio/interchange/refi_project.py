"""A REFI-QDA project (.qdpx) that QDA tools import: the codebook, one text source per case
(its passages, separated by blank lines, line endings as ``\\n``), the case with its attributes
as variables (on the ``Case`` and on its ``TextSource``), and for each passage one selection per
coder carrying that coder's codes.

Each person who coded is a user; unreviewed machine suggestions of the latest run belong to a
user of their own, ``machine``, with each code's probability in the selection's description.
QualCoder, for one, takes the coder from the selection's ``creatingUser``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from defectio import __version__
from defectio.analysis.counts import Basis, latest_machine_run, passage_codes
from defectio.codebook import Codebook
from defectio.interchange.refi_codebook import PROJECT_NS, code_guid, codes_element, counter_sets
from defectio.interchange.refi_codebook import guid as make_guid
from defectio.model import AnnotationStatus, Case, CoderKind, Corpus, Passage

NS = PROJECT_NS
SEPARATOR = "\n\n"
MACHINE = "machine"
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


def _stamp(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` as ``\\n``: importers count a line break as one character."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def case_text(passages: list[Passage]) -> tuple[str, dict[str, tuple[int, int]]]:
    """The case's document and each passage's [start, end) in it, in characters."""
    spans: dict[str, tuple[int, int]] = {}
    parts: list[str] = []
    at = 0
    for p in passages:
        text = normalise_newlines(p.text)
        if parts:
            at += len(SEPARATOR)
        spans[p.passage_id] = (at, at + len(text))
        parts.append(text)
        at += len(text)
    return SEPARATOR.join(parts), spans


def _value(case: Case, name: str) -> str | None:
    value = getattr(case, name)
    if value is None:
        return None
    return str(getattr(value, "value", value))


@dataclass
class _Selection:
    """One coder's codes on one passage."""

    codes: list[str] = field(default_factory=list)
    probabilities: dict[str, float | None] = field(default_factory=dict)
    created: datetime | None = None


def selections(corpus: Corpus, codebook: Codebook) -> dict[str, dict[str, _Selection]]:
    """passage id -> coder -> the codes that coder gave it: each person's accepted codes, and
    the latest run's suggestions nobody has reviewed (coder ``machine``)."""
    out: dict[str, dict[str, _Selection]] = {}
    order = {c: i for i, c in enumerate(codebook.code_ids)}
    unreviewed = {
        (pc.passage_id, pc.code): pc.probability
        for pc in passage_codes(corpus, Basis.COMBINED)
        if not pc.reviewed
    }
    run = latest_machine_run(corpus)
    latest: dict[tuple[str, str, str], AnnotationStatus] = {}
    for a in corpus.annotations:
        if a.code not in codebook:
            continue
        if a.coder_kind == CoderKind.PERSON:
            latest[(a.passage_id, a.coder, a.code)] = a.status
            coder = a.coder
        elif a.run_id == run and (a.passage_id, a.code) in unreviewed:
            coder = MACHINE
        else:
            continue
        sel = out.setdefault(a.passage_id, {}).setdefault(coder, _Selection())
        if a.code not in sel.codes:
            sel.codes.append(a.code)
        if coder == MACHINE:
            sel.probabilities[a.code] = unreviewed[(a.passage_id, a.code)]
        if sel.created is None or a.created_at < sel.created:
            sel.created = a.created_at
    for (pid, coder, code), status in latest.items():
        if status != AnnotationStatus.ACCEPTED:
            out[pid][coder].codes.remove(code)
    for by_coder in out.values():
        for name in [c for c, s in by_coder.items() if not s.codes]:
            del by_coder[name]
        for sel in by_coder.values():
            sel.codes.sort(key=lambda c: order[c])
    return out


def _description(sel: _Selection, run: int | None) -> str:
    parts = [
        f"{code} p={p:.3f}" if p is not None else code
        for code, p in ((c, sel.probabilities.get(c)) for c in sel.codes)
    ]
    return f"machine suggestions (run {run}), not reviewed: {'; '.join(parts)}"


def _coders(by_passage: dict[str, dict[str, _Selection]]) -> Iterator[str]:
    names = sorted({c for by_coder in by_passage.values() for c in by_coder} - {MACHINE})
    yield from names
    yield MACHINE


def _variable_values(parent: etree._Element, case: Case) -> None:
    for name in VARIABLES:
        value = _value(case, name)
        if value is not None:
            vv = _el(parent, "VariableValue")
            _el(vv, "VariableRef", targetGUID=make_guid("variable", name))
            _el(vv, "TextValue", value)


def project_xml(
    corpus: Corpus, codebook: Codebook, *, now: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` document and the plain-text sources it points to (by file name)."""
    stamp = _stamp(now or datetime.now(UTC))
    by_passage = selections(corpus, codebook)
    run = latest_machine_run(corpus)
    users = {name: make_guid("user", name) for name in _coders(by_passage)}
    root = etree.Element(
        f"{{{NS}}}Project",
        nsmap={None: NS},
        name=f"defectio: {codebook.name}",
        origin=f"defectio {__version__}",
        creatingUserGUID=users[MACHINE],
        creationDateTime=stamp,
    )
    user_el = _el(root, "Users")
    for name, user_guid in users.items():
        label = "machine (unreviewed suggestions)" if name == MACHINE else name
        _el(user_el, "User", guid=user_guid, name=label, id=name)
    _el(root, "CodeBook").append(codes_element(codebook, NS))
    variables = _el(root, "Variables")
    for name in VARIABLES:
        _el(
            variables,
            "Variable",
            guid=make_guid("variable", name),
            name=name,
            typeOfVariable="Text",
        )
    by_case: dict[str, list[Passage]] = {}
    for p in sorted(corpus.passages, key=lambda p: (p.case_id, p.position)):
        by_case.setdefault(p.case_id, []).append(p)
    cases_el = _el(root, "Cases")
    for case in corpus.cases:
        case_el = _el(cases_el, "Case", guid=make_guid("case", case.case_id), name=case.case_id)
        _el(case_el, "Description", case.alias)
        _variable_values(case_el, case)
        if by_case.get(case.case_id):
            _el(case_el, "SourceRef", targetGUID=make_guid("source", case.case_id))
    sources_el = _el(root, "Sources")
    texts: dict[str, str] = {}
    urls = corpus.source_by_id
    for case in corpus.cases:
        passages = by_case.get(case.case_id)
        if not passages:
            continue
        text, spans = case_text(passages)
        source_guid = make_guid("source", case.case_id)
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
            start, end = spans[p.passage_id]
            for coder, sel in by_passage.get(p.passage_id, {}).items():
                when = _stamp(sel.created) if sel.created else stamp
                el = _el(
                    source_el,
                    "PlainTextSelection",
                    guid=make_guid("selection", p.passage_id, coder),
                    name=p.passage_id,
                    startPosition=str(start),
                    endPosition=str(end),
                    creatingUser=users[coder],
                    creationDateTime=when,
                )
                if coder == MACHINE:
                    _el(el, "Description", _description(sel, run))
                for code in sel.codes:
                    coding = _el(
                        el,
                        "Coding",
                        guid=make_guid("coding", p.passage_id, coder, code),
                        creatingUser=users[coder],
                        creationDateTime=when,
                    )
                    _el(coding, "CodeRef", targetGUID=code_guid(codebook, code))
        _variable_values(source_el, case)
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
