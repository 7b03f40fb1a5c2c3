"""Import files into a store: every file read, validated and written in one transaction.

Re-importing the same file changes nothing (passages are identified by case id plus a hash
of their text); any invalid record rolls the whole import back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from defectio.codebook import Codebook
from defectio.errors import InputError
from defectio.ingest import csvfile, docxfile, htmlfile, jsonl, pdffile, textfile
from defectio.ingest.records import Record
from defectio.interchange.codebook_import import import_codebook, is_codebook_file
from defectio.interchange.draft import FamilyChoice
from defectio.interchange.merge import MergeSummary
from defectio.model import Annotation, AnnotationStatus, Case, CoderKind, Passage, Source
from defectio.store import bulk
from defectio.store.repo import Change, Store, UnitOfWork
from defectio.text.lang import detect_languages

READERS: tuple[ModuleType, ...] = (jsonl, csvfile, textfile, htmlfile, pdffile, docxfile)
BATCH = 256
Progress = Callable[[int], None]


def reader_for(path: Path) -> ModuleType:
    suffix = path.suffix.lower()
    for module in READERS:
        if suffix in module.SUFFIXES:
            return module
    known = ", ".join(s for m in READERS for s in m.SUFFIXES)
    raise InputError(f"unknown file type '{suffix}'; defectio reads {known}", path=str(path))


def read_records(path: Path) -> Iterator[tuple[Record, int]]:
    """Records of one file, with the bytes read so far (for a progress bar)."""
    yield from reader_for(path).read(path)


@dataclass
class ImportReport:
    """What an import did, per kind of thing: how many were added, updated or unchanged."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            kind: {"added": 0, "updated": 0, "unchanged": 0}
            for kind in ("cases", "passages", "sources", "codes")
        }
    )
    files: list[str] = field(default_factory=list)
    codebooks: list[MergeSummary] = field(default_factory=list)

    def note(self, kind: str, change: Change) -> None:
        self.counts[kind][change] += 1

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"files": self.files, **self.counts}
        if self.codebooks:
            out["codebooks"] = [c.as_dict() for c in self.codebooks]
        return out


def _fields_digest(record: Record) -> str:
    payload = json.dumps(record.case.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class _Importer:
    def __init__(self, uow: UnitOfWork, codebook: Codebook, report: ImportReport) -> None:
        self.uow, self.codebook, self.report = uow, codebook, report
        self.seen_cases: dict[str, tuple[str, str]] = {}
        self.positions: dict[str, int] = {}
        self.source_positions: dict[str, int] = {}
        self.written_cases: set[str] = set()
        self.written_sources: set[str] = set()

    def check(self, record: Record) -> None:
        digest = _fields_digest(record)
        first = self.seen_cases.get(record.case.case_id)
        if first is None:
            self.seen_cases[record.case.case_id] = (digest, f"{record.path}:{record.line or 1}")
        elif first[0] != digest:
            raise InputError(
                f"case_id '{record.case.case_id}' appears again with different case fields "
                f"(first at {first[1]}); a case_id names one person",
                path=record.path,
                line=record.line,
                field="case_id",
            )
        for passage in record.passages:
            for label in passage.labels:
                if label not in self.codebook:
                    raise InputError(
                        f"unknown code '{label}'; codebook {self.codebook.ref} has "
                        f"{', '.join(self.codebook.code_ids)}",
                        path=record.path,
                        line=record.line,
                        field=f"{passage.field}.labels",
                    )

    def write(self, records: list[Record]) -> None:
        """One batch of records, written with a few statements per kind of row."""
        todo = [(r, i) for r in records for i, p in enumerate(r.passages) if p.lang is None]
        langs = detect_languages([r.passages[i].text for r, i in todo]) if todo else []
        detected = {(id(r), i): lang for (r, i), lang in zip(todo, langs, strict=True)}
        cases: list[Case] = []
        sources: list[Source] = []
        links: list[tuple[str, str, int]] = []
        passages: list[Passage] = []
        codes: list[Annotation] = []
        for record in records:
            case_id = record.case.case_id
            if case_id not in self.written_cases:
                cases.append(record.case)
                self.written_cases.add(case_id)
            for source in record.sources:
                if source.url not in self.written_sources:
                    sources.append(source)
                    self.written_sources.add(source.url)
                pos = self.source_positions.get(case_id, 0)
                links.append((case_id, source.source_id, pos))
                self.source_positions[case_id] = pos + 1
            mine = self._passages(record, detected)
            passages += mine
            for item, passage in zip(record.passages, mine, strict=True):
                codes += [self._label(record, passage, label) for label in item.labels]
        self._note("cases", bulk.upsert_cases(self.uow, cases))
        for record in records:  # sealed one at a time: identities are few
            if record.identity is not None:
                self.uow.put_identity(record.case.case_id, record.identity)
        self._note("sources", bulk.upsert_sources(self.uow, sources))
        bulk.link_sources(self.uow, links)
        self._note("passages", bulk.upsert_passages(self.uow, passages))
        self._note("codes", bulk.add_person_codes(self.uow, codes))

    def _note(self, kind: str, changes: list[Change]) -> None:
        for change in changes:
            self.report.note(kind, change)

    def _passages(
        self, record: Record, detected: dict[tuple[int, int], str | None]
    ) -> list[Passage]:
        case_id = record.case.case_id
        default_source = record.sources[0].source_id if record.sources else None
        out = []
        for i, item in enumerate(record.passages):
            position = self.positions.get(case_id, 0)
            self.positions[case_id] = position + 1
            source_id = default_source
            if item.source_url:
                source_id = next(
                    (s.source_id for s in record.sources if s.url == item.source_url),
                    default_source,
                )
            out.append(
                Passage(
                    case_id=case_id,
                    text=item.text,
                    voice=item.voice,
                    lang=item.lang or detected.get((id(record), i)),
                    source_id=source_id,
                    position=position,
                )
            )
        return out

    @staticmethod
    def _label(record: Record, passage: Passage, label: str) -> Annotation:
        return Annotation(
            passage_id=passage.passage_id,
            code=label,
            coder=f"import:{Path(record.path).name[-100:]}",
            coder_kind=CoderKind.PERSON,
            probability=1.0,
            status=AnnotationStatus.ACCEPTED,
        )


def import_paths(
    store: Store,
    paths: Sequence[Path],
    *,
    progress: Progress | None = None,
    actor: str | None = None,
    families: FamilyChoice | None = None,
) -> ImportReport:
    """Import every file in one transaction; ``progress`` receives bytes read as it goes.

    Codebook files (.qdc, codebook CSV) go first, each merged into the store's codebook;
    ``families`` gives families to codes such a file leaves without one."""
    codebook = store.codebook()
    report = ImportReport()
    with store.unit_of_work(actor) as uow:
        for path in [p for p in paths if is_codebook_file(p)]:
            codebook, merged = import_codebook(uow, path, codebook, families or FamilyChoice())
            report.codebooks.append(merged)
        importer = _Importer(uow, codebook, report)
        for path in paths:
            report.files.append(str(path))
            if is_codebook_file(path):
                continue
            batch: list[Record] = []
            last = 0
            for record, offset in read_records(path):
                importer.check(record)
                batch.append(record)
                if progress is not None:
                    progress(offset - last)
                last = offset
                if len(batch) >= BATCH:
                    importer.write(batch)
                    batch = []
            importer.write(batch)
        uow.append_event("import", "files", None, report.as_dict())
    return report
