"""The testimony a counter-message can draw on: every passage with its codes (people's
decisions first, then the latest machine run), its case, source, credibility and the stance
gate, plus one relevance vector per passage. Built once, then asked many claims."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from defectio.analysis.counts import Basis, latest_machine_run, passage_codes
from defectio.codebook import Codebook, Family
from defectio.coding.base import Coder, suggestion
from defectio.counter.gate import gate_codes, gated_cases
from defectio.counter.relevance import Matrix, Relevance, default_relevance
from defectio.model import (
    Case,
    Corpus,
    Voice,
)

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")


@dataclass(frozen=True)
class Testimony:
    """One passage as a possible answer."""

    passage_id: str
    case: Case
    text: str
    lang: str | None
    voice: Voice
    source_url: str
    codes: dict[str, float]  # code -> confidence: 1.0 when a person accepted it, else p
    reviewed: frozenset[str]
    credibility: float
    gated_by: tuple[str, ...] = ()

    @property
    def case_id(self) -> str:
        return self.case.case_id


@dataclass(frozen=True)
class CounterIndex:
    """Passages ready to answer claims, with the coder that reads the claims."""

    codebook: Codebook
    coder: Coder
    relevance: Relevance
    items: tuple[Testimony, ...]
    vectors: Matrix  # one unit row per item, in the relevance model's space
    gate: tuple[str, ...]
    notices: tuple[str, ...] = field(default=())


def detail_score(text: str) -> float:
    """How concrete a passage is, in [0, 1]: numbers, names of places or people, and enough
    words to say what happened."""
    words = len(_WORD.findall(text))
    names = len(_NAME.findall(text))
    has_number = 1.0 if _DIGIT.search(text) else 0.0
    return round(0.35 * has_number + 0.35 * min(names, 3) / 3 + 0.30 * min(words, 50) / 50, 4)


def credibility(voice: Voice, reviewed_share: float, detail: float) -> float:
    """First-hand voice counts most, then codes a person has reviewed, then concrete detail."""
    first = 1.0 if voice == Voice.FIRST else 0.0
    return round(0.45 * first + 0.30 * reviewed_share + 0.25 * detail, 4)


def code_in_memory(corpus: Corpus, coder: Coder, codebook: Codebook) -> Corpus:
    """The corpus with a machine run's suggestions added (not stored anywhere): what the
    reference corpus, or a store nobody has coded yet, is answered from."""
    codings = coder.predict([p.text for p in corpus.passages], [p.lang for p in corpus.passages])
    run_id = (latest_machine_run(corpus) or 0) + 1
    ref = f"{coder.name}.{coder.version}"
    known = set(codebook.code_ids)
    added = tuple(
        suggestion(p.passage_id, s, ref, run_id)
        for p, coding in zip(corpus.passages, codings, strict=True)
        for s in coding.codes
        if s.code in known
    )
    return corpus.model_copy(update={"annotations": corpus.annotations + added})


def _source_urls(corpus: Corpus) -> dict[str, str]:
    """Passage id -> the URL of its source, else of its case's first source."""
    by_id = corpus.source_by_id
    out: dict[str, str] = {}
    for p in corpus.passages:
        sid = p.source_id
        if sid is None or sid not in by_id:
            sid = next((s for s in corpus.case_sources.get(p.case_id, ()) if s in by_id), None)
        out[p.passage_id] = by_id[sid].url if sid is not None else ""
    return out


def build_index(
    corpus: Corpus,
    codebook: Codebook,
    coder: Coder,
    *,
    relevance: Relevance | None = None,
    code_if_uncoded: bool = True,
) -> CounterIndex:
    """Index a corpus for counter-messaging. A corpus with no machine run is coded in memory
    by ``coder`` first, so unlabelled testimony can answer too."""
    notices: list[str] = []
    if code_if_uncoded and corpus.passages and latest_machine_run(corpus) is None:
        corpus = code_in_memory(corpus, coder, codebook)
    gate, gate_notice = gate_codes(codebook)
    if gate_notice:
        notices.append(gate_notice)
    codes = passage_codes(corpus, Basis.COMBINED)
    held = gated_cases(codes, gate)
    conf: dict[str, dict[str, float]] = {}
    reviewed: dict[str, set[str]] = {}
    for pc in codes:
        mine = conf.setdefault(pc.passage_id, {})
        value = 1.0 if pc.reviewed else float(pc.probability or 0.0)
        mine[pc.code] = max(mine.get(pc.code, 0.0), value)
        if pc.reviewed:
            reviewed.setdefault(pc.passage_id, set()).add(pc.code)
    exit_codes = {c.id for c in codebook.family(Family.EXIT)}
    cases = {c.case_id: c for c in corpus.cases}
    urls = _source_urls(corpus)
    items: list[Testimony] = []
    for p in corpus.passages:
        case = cases.get(p.case_id)
        if case is None:
            continue
        pid = p.passage_id
        mine = conf.get(pid, {})
        exits = [c for c in mine if c in exit_codes]
        share = sum(c in reviewed.get(pid, set()) for c in exits) / len(exits) if exits else 0.0
        items.append(
            Testimony(
                passage_id=pid,
                case=case,
                text=p.text,
                lang=p.lang,
                voice=p.voice,
                source_url=urls.get(pid, ""),
                codes=dict(mine),
                reviewed=frozenset(reviewed.get(pid, set())),
                credibility=credibility(p.voice, share, detail_score(p.text)),
                gated_by=held.get(p.case_id, ()),
            )
        )
    texts: Sequence[str] = [t.text for t in items]
    relevance = relevance or default_relevance(texts)
    if relevance.notice:
        notices.append(relevance.notice)
    return CounterIndex(
        codebook=codebook,
        coder=coder,
        relevance=relevance,
        items=tuple(items),
        vectors=relevance.encode(texts),
        gate=gate,
        notices=tuple(notices),
    )
