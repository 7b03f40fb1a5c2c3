"""Merge a codebook read from another tool's file into the store's codebook, so that importing
one never silently breaks coding.

A code in the file whose id (or name) matches a code of the store's codebook keeps its coding
data (indicators, exclusions, examples, meets / does not meet, theme, counter gate) and takes
its name and definition from the file; a new code arrives with what the file has (its name
standing in for a missing definition); a code the file lacks is dropped. The merged codebook
keeps the store codebook's id, languages and rules (so trained coders and their training data
still apply). When no code matches, the file is a new codebook of its own, named after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from defectio.codebook import Code, Codebook, Family, parse_codebook
from defectio.errors import CodebookError
from defectio.interchange.draft import Draft, DraftCode, FamilyChoice, slug


@dataclass
class MergeSummary:
    """What a codebook import did, by code id."""

    origin: str
    ref: str = ""
    kept: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    named_definitions: list[str] = field(default_factory=list)
    unsuggestable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "ref": self.ref,
            "kept": self.kept,
            "added": self.added,
            "dropped": self.dropped,
            "definitions_from_names": self.named_definitions,
            "no_coder_can_suggest": self.unsuggestable,
        }


def cannot_be_suggested(code: Code) -> bool:
    """No coder can suggest a code without indicator phrases (the lexicon's evidence) or
    examples (what the trained coders and the semantic coder learn a new code from)."""
    return not any(code.indicators.values()) and not code.examples


def _match(active: Codebook, code: DraftCode, taken: set[str]) -> Code | None:
    for key in (code.code_id, slug(code.name)):
        if key and key in active.by_id and key not in taken:
            return active.by_id[key]
    name = code.name.casefold()
    return next((c for c in active.codes if c.label.casefold() == name and c.id not in taken), None)


def _family(code: DraftCode, choice: FamilyChoice, kept: Code | None, origin: str) -> Family:
    family = code.family or choice.lookup(code)
    if family is not None:
        return family
    if kept is not None:
        return kept.family
    if choice.default is not None:
        return choice.default
    known = ", ".join(f.value for f in Family)
    raise CodebookError(
        f"{origin}: code '{code.name}' has no family: the file does not group it under a "
        f"top-level code named {known}; give one with --family or a mapping file (--family-map)"
    )


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def merge_codebook(
    active: Codebook, draft: Draft, choice: FamilyChoice
) -> tuple[Codebook, str, MergeSummary]:
    """The merged codebook, the YAML the store keeps for it, and what the merge did."""
    if not draft.codes:
        raise CodebookError(f"{draft.origin}: the file holds no codable code")
    summary = MergeSummary(origin=draft.origin)
    taken: set[str] = set()
    matched: dict[int, Code] = {}
    for i, code in enumerate(draft.codes):
        found = _match(active, code, taken)
        if found is not None:
            matched[i] = found
            taken.add(found.id)
    fresh = not matched
    kept_rows: dict[str, dict[str, Any]] = {}
    new_rows: list[dict[str, Any]] = []
    final_id: dict[int, str] = {}
    used = set(taken)
    for i, code in enumerate(draft.codes):
        old = matched.get(i)
        family = _family(code, choice, old, draft.origin)
        if old is not None:
            row = old.model_dump(mode="json", exclude_defaults=True)
            row.update(family=family.value, label=code.name or old.label)
            if code.definition:
                row["definition"] = code.definition
            kept_rows[old.id] = row
            final_id[i] = old.id
            continue
        code_id = _unique(slug(code.code_id or code.name), used)
        used.add(code_id)
        final_id[i] = code_id
        if not code.definition:
            summary.named_definitions.append(code_id)
        new_rows.append(
            {
                "id": code_id,
                "family": family.value,
                "label": code.name,
                "definition": code.definition or code.name,
            }
        )
    rows = [kept_rows[c.id] for c in active.codes if c.id in kept_rows] + new_rows
    ids = {row["id"]: Family(row["family"]) for row in rows}
    counter = _counter_map(active, draft, final_id, ids)
    families = {} if fresh else {f.value: t for f, t in active.families.items()}
    families.update({f.value: t for f, t in draft.families.items()})
    data: dict[str, Any] = {
        "id": slug(Path(draft.origin).stem) if fresh else active.id,
        "name": Path(draft.origin).stem if fresh else active.name,
        "version": "",
        "description": f"Read from {draft.origin}." if fresh else active.description,
        "languages": ["en"] if fresh else list(active.languages),
        "families": families,
        "codes": rows,
        "rules": [] if fresh else _rules(active, set(ids)),
        "counter_map": counter,
    }
    data["version"] = _version(active, data, fresh)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    book = parse_codebook(text, draft.origin)
    summary.ref = book.ref
    summary.kept = [c for c in book.code_ids if c in kept_rows]
    summary.added = [row["id"] for row in new_rows]
    summary.dropped = [c.id for c in active.codes if c.id not in kept_rows]
    summary.unsuggestable = [c for c in summary.added if cannot_be_suggested(book.by_id[c])]
    return book, text, summary


def _counter_map(
    active: Codebook, draft: Draft, final_id: dict[int, str], ids: dict[str, Family]
) -> dict[str, list[str]]:
    """The file's counter sets where it has them, else the store's map; either way only join
    codes answered by exit codes that are in the merged codebook."""
    index = {id(code): final_id[i] for i, code in enumerate(draft.codes)}
    if draft.counter_map:
        by_name = {
            key: final_id[i]
            for i, c in enumerate(draft.codes)
            for key in (c.name, slug(c.name), c.code_id)
            if key
        }
        source = {
            by_name.get(join, join): [index[id(m)] for m in members]
            for join, members in draft.counter_map.items()
        }
    else:
        source = {join: list(answers) for join, answers in active.counter_map.items()}
    out: dict[str, list[str]] = {}
    for join, answers in source.items():
        if ids.get(join) != Family.JOIN:
            continue
        kept = [a for a in answers if ids.get(a) == Family.EXIT]
        if kept:
            out[join] = kept
    return out


def _rules(active: Codebook, ids: set[str]) -> list[dict[str, Any]]:
    """The store's rules, each naming only codes that remain; a rule about codes that all
    went is dropped with them."""
    out = []
    for rule in active.rules:
        codes = [c for c in rule.codes if c in ids]
        if rule.codes and not codes:
            continue
        out.append({"id": rule.id, "text": rule.text, "codes": codes})
    return out


def _version(active: Codebook, data: dict[str, Any], fresh: bool) -> str:
    """The store codebook's version when nothing changed; else a version naming the content,
    so importing the same file twice gives the same codebook."""
    payload = json.dumps({k: v for k, v in data.items() if k != "version"}, sort_keys=True)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:10]
    if fresh:
        return f"qdc-{digest}"
    same = {k: v for k, v in data.items() if k != "version"}
    current = {k: v for k, v in _as_data(active).items() if k != "version"}
    if json.dumps(same, sort_keys=True) == json.dumps(current, sort_keys=True):
        return active.version
    return f"{active.version.split('+')[0]}+{digest}"


def _as_data(book: Codebook) -> dict[str, Any]:
    """The codebook in the shape ``merge_codebook`` builds, to tell whether anything
    changed."""
    return {
        "id": book.id,
        "name": book.name,
        "description": book.description,
        "languages": list(book.languages),
        "families": {f.value: t for f, t in book.families.items()},
        "codes": [c.model_dump(mode="json", exclude_defaults=True) for c in book.codes],
        "rules": [{"id": r.id, "text": r.text, "codes": list(r.codes)} for r in book.rules],
        "counter_map": {j: list(a) for j, a in book.counter_map.items()},
    }
