"""Shared by the whole-document formats: case fields from front matter or a sidecar file,
and the text cut into passages on sentence boundaries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from defectio.errors import InputError
from defectio.ingest.records import (
    Record,
    build_case,
    build_identity,
    build_passage,
    build_sources,
)
from defectio.text.segment import passages_from_text


def sidecar_path(path: Path) -> Path:
    """``interview.pdf`` takes its case fields from ``interview.case.yaml`` beside it."""
    return path.with_name(path.stem + ".case.yaml")


def read_sidecar(path: Path) -> dict[str, Any]:
    side = sidecar_path(path)
    if not side.is_file():
        return {}
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"the case sidecar is not valid YAML: {exc}", path=str(side)) from None
    if not isinstance(data, dict):
        raise InputError("the case sidecar must be a mapping of case fields", path=str(side))
    return data


def default_case_id(path: Path) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.")
    return slug or "case"


def document_record(
    path: Path,
    text: str,
    meta: dict[str, Any],
    *,
    title: str | None = None,
    url: str | None = None,
    default_voice: str = "third",
) -> Record:
    """A case from a whole document: fields from ``meta`` (front matter or sidecar), passages of
    one to five sentences from ``text``."""
    data = dict(meta)
    data.setdefault("case_id", default_case_id(path))
    data.setdefault("alias", title or data["case_id"])
    case = build_case(data, str(path), None)
    urls = data.get("source_urls") or data.get("source_url") or url or path.resolve().as_uri()
    sources = build_sources(urls, case.went_public_via, str(path), None)
    voice = data.get("voice") or default_voice
    chunks = passages_from_text(text)
    if not chunks:
        raise InputError("no text could be read from this document", path=str(path))
    passages = [
        build_passage(
            {"text": chunk, "voice": voice, "lang": data.get("lang")},
            f"passage[{i}]",
            str(path),
            None,
        )
        for i, chunk in enumerate(chunks)
    ]
    return Record(
        case=case,
        path=str(path),
        line=None,
        sources=sources,
        passages=passages,
        identity=build_identity(data, str(path), None),
    )
