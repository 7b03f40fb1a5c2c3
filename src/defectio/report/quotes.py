"""Representative passages for each narrative: strong evidence, first-hand voice, and a spread
of cases, each with the case's public alias and a link to the source that reported it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from defectio.analysis.counts import Basis, passage_codes
from defectio.model import Corpus, Source, Voice

FIRST_HAND = 0.3  # a speaker's own words outweigh a report about them
FRESH_CASE = 0.5  # prefer a case not yet quoted elsewhere in the brief
MAX_CHARS = 340
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Quote:
    passage_id: str
    case_id: str
    alias: str
    text: str
    first_hand: bool
    reviewed: bool
    strength: float  # 1.0 for a person's code, else the machine's probability
    outlet: str
    url: str | None


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """Whole sentences up to ``limit`` characters; a single long sentence is cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    if kept:
        return kept + " […]"
    return text[:limit].rsplit(" ", 1)[0] + " […]"


def _source(corpus: Corpus, case_id: str, source_id: str | None) -> Source | None:
    sources = corpus.source_by_id
    if source_id and source_id in sources:
        return sources[source_id]
    for sid in corpus.case_sources.get(case_id, ()):
        if sid in sources:
            return sources[sid]
    return None


def choose_quotes(
    corpus: Corpus,
    codes: Iterable[str],
    *,
    per_code: int = 3,
    basis: Basis = Basis.COMBINED,
) -> dict[str, list[Quote]]:
    """Up to ``per_code`` passages per code, no two from one case, preferring a person's code
    or a high machine probability, first-hand voice, and cases not yet quoted for another code."""
    passages = {p.passage_id: p for p in corpus.passages}
    cases = {c.case_id: c for c in corpus.cases}
    by_code: dict[str, list[tuple[str, bool, float]]] = {}
    for pc in passage_codes(corpus, basis):
        strength = 1.0 if pc.reviewed else (pc.probability or 0.5)
        by_code.setdefault(pc.code, []).append((pc.passage_id, pc.reviewed, strength))
    quoted: set[str] = set()
    used: set[str] = set()  # a passage is quoted once in a brief, under its first narrative
    out: dict[str, list[Quote]] = {}
    for code in codes:
        ranked = sorted(
            by_code.get(code, []),
            key=lambda item: (
                -(
                    item[2]
                    + FIRST_HAND * (passages[item[0]].voice == Voice.FIRST)
                    + FRESH_CASE * (passages[item[0]].case_id not in quoted)
                ),
                passages[item[0]].case_id,
                passages[item[0]].position,
            ),
        )
        chosen: list[Quote] = []
        for pid, reviewed, strength in ranked:
            passage = passages[pid]
            if pid in used or any(q.case_id == passage.case_id for q in chosen):
                continue
            case = cases[passage.case_id]
            source = _source(corpus, case.case_id, passage.source_id)
            chosen.append(
                Quote(
                    passage_id=pid,
                    case_id=case.case_id,
                    alias=case.alias,
                    text=shorten(passage.text),
                    first_hand=passage.voice == Voice.FIRST,
                    reviewed=reviewed,
                    strength=strength,
                    outlet=(source.outlet if source and source.outlet else None)
                    or case.went_public_via
                    or "source",
                    url=source.url if source else None,
                )
            )
            if len(chosen) == per_code:
                break
        quoted.update(q.case_id for q in chosen)
        used.update(q.passage_id for q in chosen)
        out[code] = chosen
    return out
