"""Read a recruiting claim: which join narratives it carries (with probability and evidence),
which exit narratives answer them through the codebook's counter map, and what the claim
itself talks about in the exit codes' terms (a claim of equality is about discrimination)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from defectio.codebook import Codebook, Family
from defectio.coding.base import Coding
from defectio.text.lang import detect_languages

# With no join code above its threshold, a claim is read in two weaker ways, each flagged
# (``decided=False``): if it speaks to exit narratives itself ("there is no racism here"), it
# disputes them, and those narratives answer it, on behalf of the join narratives they answer
# in the counter map; otherwise the most probable join code answers if it reaches FALLBACK_P.
# The coders learnt from testimony, not from recruiting posts, so on a claim an exit code
# counts as disputed from DISPUTE_P even below the coder's own threshold.
FALLBACK_P = 0.1
DISPUTE_P = 0.25


@dataclass(frozen=True)
class JoinNarrative:
    code: str
    label: str
    p: float
    evidence: tuple[str, ...]
    decided: bool  # above the coder's threshold; False for an inferred or fallback reading
    via: str | None = None  # the disputed exit code a join was inferred from


@dataclass(frozen=True)
class ClaimReading:
    text: str
    lang: str | None
    joins: tuple[JoinNarrative, ...]
    answers: dict[str, float]  # answering exit code -> weight
    exit_p: dict[str, float]  # the claim's own probability for each exit code
    notices: tuple[str, ...] = ()


def _evidence(text: str, coding: Coding, code: str) -> tuple[str, ...]:
    s = coding.score(code)
    return tuple(text[a:b] for a, b in s.evidence) if s is not None else ()


def _p(coding: Coding, code: str) -> float:
    s = coding.score(code)
    return s.p if s is not None else 0.0


def read_coding(book: Codebook, text: str, coding: Coding, lang: str | None) -> ClaimReading:
    """One claim's join narratives and the exit narratives that answer them."""
    joins = book.family(Family.JOIN)
    exit_p = {c.id: _p(coding, c.id) for c in book.family(Family.EXIT)}
    notices = list(coding.notices)
    found = [
        JoinNarrative(c.id, c.label, _p(coding, c.id), _evidence(text, coding, c.id), True)
        for c in joins
        if (s := coding.score(c.id)) is not None and s.decision
    ]
    answers = answer_weights(book, found)
    if not found:
        answered = {a for c in joins for a in book.answers_for(c.id)}
        disputed = sorted(
            (
                s
                for s in coding.scores
                if s.code in answered and s.code in exit_p and (s.decision or s.p >= DISPUTE_P)
            ),
            key=lambda s: -s.p,
        )
        for s in disputed:
            answers[s.code] = max(answers.get(s.code, 0.0), s.p)
            for c in joins:
                if s.code in book.answers_for(c.id) and all(j.code != c.id for j in found):
                    ev = _evidence(text, coding, s.code)
                    found.append(JoinNarrative(c.id, c.label, s.p, ev, False, via=s.code))
        if disputed:
            notices.append(
                "no join narrative above threshold; the claim disputes "
                + ", ".join(s.code for s in disputed)
                + ", so that testimony answers it"
            )
    if not found:
        best = max(joins, key=lambda c: _p(coding, c.id), default=None)
        if best is not None and _p(coding, best.id) >= FALLBACK_P:
            found.append(JoinNarrative(best.id, best.label, _p(coding, best.id), (), False))
            answers = answer_weights(book, found)
            notices.append(f"no join narrative above threshold; the likeliest is {best.id}")
    return ClaimReading(
        text=text,
        lang=lang,
        joins=tuple(sorted(found, key=lambda j: -j.p)),
        answers=answers,
        exit_p=exit_p,
        notices=tuple(notices),
    )


def read_codings(
    book: Codebook, texts: Sequence[str], codings: Sequence[Coding]
) -> list[ClaimReading]:
    """Turn codings of claims into readings; languages the coder left open are detected."""
    langs: list[str | None] = [c.lang for c in codings]
    todo = [i for i, lang in enumerate(langs) if lang is None]
    if todo:
        for i, lang in zip(todo, detect_languages([texts[i] for i in todo]), strict=True):
            langs[i] = lang
    return [
        read_coding(book, text, coding, lang)
        for text, coding, lang in zip(texts, codings, langs, strict=True)
    ]


def answer_weights(book: Codebook, joins: Sequence[JoinNarrative]) -> dict[str, float]:
    """Exit code -> weight: the probability of the likeliest join narrative it answers."""
    out: dict[str, float] = {}
    for join in joins:
        for code in book.answers_for(join.code):
            out[code] = max(out.get(code, 0.0), join.p)
    return out


def answered_join(book: Codebook, joins: Sequence[JoinNarrative], exit_code: str) -> str | None:
    """The likeliest of the claim's join narratives that an exit code answers."""
    return next((j.code for j in joins if exit_code in book.answers_for(j.code)), None)
