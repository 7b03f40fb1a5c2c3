"""REFI-QDA projects (.qdpx): valid against the Project schema, and read the way QualCoder's
importer reads them (``RefiImport`` in QualCoder's src/qualcoder/refi.py): the coder of each
coding from its selection's ``creatingUser``, the text of a selection from the source file as
Python reads text (universal newlines), file variables from the ``TextSource``."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from defectio.codebook import Codebook
from defectio.export.formats import export_corpus
from defectio.interchange.refi_project import VARIABLES, project_xml
from defectio.model import Annotation, AnnotationStatus, CoderKind, Corpus
from defectio.reference import load_reference

Q = "{urn:QDA-XML:project:1.0}"


@dataclass
class QualCoderProject:
    """What QualCoder's importer stores: codings (code, source, text, start, end, owner, memo)
    and file attributes; ``duplicates`` are codings its unique constraint would refuse."""

    codings: list[tuple[str, str, str, int, int, str, str]] = field(default_factory=list)
    file_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    duplicates: int = 0


def read_like_qualcoder(path: Path) -> QualCoderProject:
    out = QualCoderProject()
    with zipfile.ZipFile(path) as archive:
        root = ET.fromstring(archive.read("project.qde"))
        users = {u.get("guid"): u.get("name") for u in root.iter(f"{Q}User")}
        codes: dict[str, str] = {}

        def walk(element: ET.Element) -> None:
            if element.get("isCodable") != "false":  # a category only when explicitly false
                codes[element.get("guid", "")] = element.get("name", "")
            for child in element.findall(f"{Q}Code"):
                walk(child)

        for top in root.find(f"{Q}CodeBook").find(f"{Q}Codes"):  # type: ignore[union-attr]
            walk(top)
        variables = {v.get("guid"): v.get("name") for v in root.iter(f"{Q}Variable")}
        seen: set[tuple[str, str, int, int, str]] = set()
        for source in root.find(f"{Q}Sources"):  # type: ignore[union-attr]
            name = source.get("name", "")
            inner = source.get("plainTextPath", "").split("internal:/")[1]
            raw = archive.read(f"Sources{inner}")
            first_line = raw.split(b"\n", 1)[0]
            add_ending = first_line.endswith(b"\r")  # QualCoder checks the first line only
            fulltext = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="replace").read()
            if add_ending:
                fulltext = fulltext.replace("\n", "\n ")
            for sel in source.findall(f"{Q}PlainTextSelection"):
                start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
                created = sel.get("creationDateTime") or sel.get("modifiedDateTime")
                assert created is not None, "QualCoder fails on a selection with no date"
                user = sel.get("creatingUser") or sel.get("modifyingUser")
                owner = users.get(user, "default")
                description = sel.find(f"{Q}Description")
                memo = description.text or "" if description is not None else ""
                for coding in sel.findall(f"{Q}Coding"):
                    code = codes[coding.find(f"{Q}CodeRef").get("targetGUID", "")]  # type: ignore[union-attr]
                    key = (code, name, start, end, owner)
                    if key in seen:
                        out.duplicates += 1
                        continue
                    seen.add(key)
                    out.codings.append((code, name, fulltext[start:end], start, end, owner, memo))
            attributes = out.file_attributes.setdefault(name, {})
            for value in source.findall(f"{Q}VariableValue"):
                ref = value.find(f"{Q}VariableRef").get("targetGUID")  # type: ignore[union-attr]
                text = value.find(f"{Q}TextValue")
                attributes[variables[ref]] = (text.text or "").strip()  # type: ignore[union-attr]
    return out


WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _person(passage_id: str, code: str, status: AnnotationStatus) -> Annotation:
    return Annotation(
        passage_id=passage_id,
        code=code,
        coder="ana",
        coder_kind=CoderKind.PERSON,
        probability=1.0,
        status=status,
        created_at=WHEN,
    )


def _suggestion(passage_id: str, code: str, p: float) -> Annotation:
    return Annotation(
        passage_id=passage_id,
        code=code,
        coder="lexicon.v1",
        probability=p,
        run_id=7,
        created_at=WHEN,
    )


def _team_corpus() -> Corpus:
    """The reference corpus with a second coder, a machine run, and a passage written with
    Windows line endings."""
    corpus = load_reference().corpus
    first, second = corpus.passages[0], corpus.passages[1]
    crlf = first.model_copy(update={"text": first.text.replace(". ", ".\r\n", 1)})
    assert "\r\n" in crlf.text
    passages = (crlf, *corpus.passages[1:])
    reference_code = next(a.code for a in corpus.annotations if a.passage_id == first.passage_id)
    ana, rejected = AnnotationStatus.ACCEPTED, AnnotationStatus.REJECTED
    added = (
        _person(first.passage_id, reference_code, ana),
        _person(second.passage_id, "brutality", rejected),
        _suggestion(second.passage_id, "brutality", 0.8),
        _suggestion(second.passage_id, "corruption", 0.55),
        _suggestion(second.passage_id, "quality_of_life", 0.61),
        _suggestion(first.passage_id, reference_code, 0.9),
    )
    return corpus.model_copy(
        update={"passages": passages, "annotations": (*corpus.annotations, *added)}
    )


def test_qdpx_is_a_valid_refi_qda_project(
    tmp_path: Path, codebook: Codebook, project_schema: etree.XMLSchema
) -> None:
    out = export_corpus(_team_corpus(), codebook, "qdpx", tmp_path / "p.qdpx")
    with zipfile.ZipFile(out) as archive:
        doc = etree.fromstring(archive.read("project.qde"))
    assert project_schema.validate(doc), project_schema.error_log
    assert len(doc.findall(f".//{Q}Sources/{Q}TextSource")) == 37
    assert len(doc.findall(f".//{Q}Cases/{Q}Case")) == 37


def test_qualcoder_reads_who_coded_what_with_machine_suggestions_as_their_own_user(
    tmp_path: Path, codebook: Codebook
) -> None:
    corpus = _team_corpus()
    project = read_like_qualcoder(export_corpus(corpus, codebook, "qdpx", tmp_path / "p.qdpx"))
    assert project.duplicates == 0
    owners = Counter(c[5] for c in project.codings)
    assert owners == {"reference": 108, "ana": 1, "machine (unreviewed suggestions)": 2}
    label = {c.id: c.label for c in codebook.codes}
    machine = sorted((c[0], c[6]) for c in project.codings if c[5].startswith("machine"))
    # ana rejected brutality there, and the reference coder accepted the third suggestion:
    # only what nobody has reviewed stays the machine's.
    memo = "machine suggestions (run 7), not reviewed: corruption p=0.550; quality_of_life p=0.610"
    assert machine == sorted([(label["quality_of_life"], memo), (label["corruption"], memo)])


def test_qualcoder_selects_each_passage_even_after_a_windows_line_ending(
    tmp_path: Path, codebook: Codebook
) -> None:
    corpus = _team_corpus()
    project = read_like_qualcoder(export_corpus(corpus, codebook, "qdpx", tmp_path / "p.qdpx"))
    texts = {p.passage_id: p.text.replace("\r\n", "\n") for p in corpus.passages}
    by_case: dict[str, set[str]] = {}
    for p in corpus.passages:
        by_case.setdefault(p.case_id, set()).add(texts[p.passage_id])
    for code, source, text, *_ in project.codings:
        assert text in by_case[source], (code, source, text[:40])
    d001 = [c for c in project.codings if c[1] == "D001"]
    assert {c[2] for c in d001} >= {
        texts[corpus.passages[0].passage_id],
        texts[corpus.passages[1].passage_id],
    }


def test_each_case_s_variables_are_on_its_text_source(tmp_path: Path, codebook: Codebook) -> None:
    corpus = _team_corpus()
    project = read_like_qualcoder(export_corpus(corpus, codebook, "qdpx", tmp_path / "p.qdpx"))
    case = next(c for c in corpus.cases if c.case_id == "D001")
    expected = {
        name: str(getattr(getattr(case, name), "value", getattr(case, name)))
        for name in VARIABLES
        if getattr(case, name) is not None
    }
    assert project.file_attributes["D001"] == expected
    assert len(project.file_attributes) == 37


def test_qdpx_is_stable_apart_from_its_timestamp(codebook: Codebook) -> None:
    corpus = _team_corpus()
    when = datetime(2025, 1, 1, tzinfo=UTC)
    assert project_xml(corpus, codebook, now=when) == project_xml(corpus, codebook, now=when)
