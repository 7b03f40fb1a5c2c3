"""What every reader yields: one case with its sources and passages, and where it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from defectio.errors import InputError
from defectio.model import Case, Identity, Source, Voice

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
CASE_FIELDS = (
    "case_id",
    "alias",
    "gender",
    "origin",
    "region",
    "joined",
    "left",
    "role",
    "status_after",
    "went_public_via",
    "group",
)
IDENTITY_FIELDS = ("legal_name", "contact")


@dataclass(frozen=True)
class PassageIn:
    text: str
    voice: Voice = Voice.FIRST
    labels: tuple[str, ...] = ()
    lang: str | None = None
    source_url: str | None = None
    field: str = "passages"


@dataclass
class Record:
    """One case as read from one place in one file (a JSONL line, a CSV row, a document)."""

    case: Case
    path: str
    line: int | None
    sources: list[Source] = field(default_factory=list)
    passages: list[PassageIn] = field(default_factory=list)
    identity: Identity | None = None


def _pydantic_field(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "enum" and "expected" in err.get("ctx", {}):
        msg = f"got {err['input']!r}; expected one of {err['ctx']['expected']}"
    elif err["type"] == "missing":
        msg = "is required"
    return (prefix + loc) if loc else prefix.rstrip("."), msg


def build_case(data: dict[str, Any], path: str, line: int | None) -> Case:
    """Validate case fields; a problem names the file, the line and the field."""
    if not str(data.get("case_id") or "").strip():
        raise InputError(
            "missing case_id; every record needs one", path=path, line=line, field="case_id"
        )
    fields = {k: data[k] for k in CASE_FIELDS if k in data and data[k] is not None}
    try:
        return Case.model_validate(fields)
    except ValidationError as exc:
        name, msg = _pydantic_field(exc)
        raise InputError(msg, path=path, line=line, field=name) from None


def build_identity(data: dict[str, Any], path: str, line: int | None) -> Identity | None:
    raw = data.get("identity")
    if raw is None:
        raw = {k: data[k] for k in IDENTITY_FIELDS if data.get(k)}
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise InputError(
            "expected an object with legal_name and contact", path=path, line=line, field="identity"
        )
    try:
        return Identity.model_validate(raw)
    except ValidationError as exc:
        name, msg = _pydantic_field(exc, "identity.")
        raise InputError(msg, path=path, line=line, field=name) from None


def build_sources(
    urls: Any, outlet: str | None, path: str, line: int | None, field_name: str = "source_urls"
) -> list[Source]:
    if urls is None:
        return []
    if isinstance(urls, str):
        urls = [u for u in urls.split(";")]
    if not isinstance(urls, list):
        raise InputError("expected a list of URLs", path=path, line=line, field=field_name)
    out = []
    for i, url in enumerate(urls):
        if not isinstance(url, str):
            raise InputError(
                f"item {i} is not a URL string", path=path, line=line, field=field_name
            )
        url = url.strip()
        if url:
            out.append(Source(url=url, outlet=outlet if i == 0 else None))
    return out


def build_passage(raw: Any, where: str, path: str, line: int | None) -> PassageIn:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise InputError(
            "expected an object with text, voice and labels", path=path, line=line, field=where
        )
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            "passage text is missing or empty", path=path, line=line, field=f"{where}.text"
        )
    voice_raw = raw.get("voice") or "first"
    try:
        voice = Voice(voice_raw)
    except ValueError:
        raise InputError(
            f"got {voice_raw!r}; expected 'first' or 'third'",
            path=path,
            line=line,
            field=f"{where}.voice",
        ) from None
    labels = raw.get("labels") or []
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.replace(",", ";").split(";") if x.strip()]
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise InputError(
            "expected a list of code ids", path=path, line=line, field=f"{where}.labels"
        )
    if "\x00" in text:
        raise InputError(
            "the text contains a NUL character", path=path, line=line, field=f"{where}.text"
        )
    lang = raw.get("lang") or None
    if lang is not None and not (isinstance(lang, str) and _LANG.match(lang)):
        raise InputError(
            f"got {lang!r}; expected a language code such as 'en' or 'pt-BR'",
            path=path,
            line=line,
            field=f"{where}.lang",
        )
    return PassageIn(
        text=text.strip(),
        voice=voice,
        labels=tuple(labels),
        lang=lang,
        source_url=raw.get("source_url") or None,
        field=where,
    )


def record_from_dict(data: Any, path: str, line: int | None) -> Record:
    """A record from the reference JSONL shape (``../shared/data/defectors_2014_2015.jsonl``)."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object for one case", path=path, line=line)
    case = build_case(data, path, line)
    sources = build_sources(data.get("source_urls"), case.went_public_via, path, line)
    raw_passages = data.get("passages") or []
    if not isinstance(raw_passages, list):
        raise InputError("expected a list of passages", path=path, line=line, field="passages")
    passages = [build_passage(p, f"passages[{i}]", path, line) for i, p in enumerate(raw_passages)]
    return Record(
        case=case,
        path=path,
        line=line,
        sources=sources,
        passages=passages,
        identity=build_identity(data, path, line),
    )
