"""The message pack: what a claim carries, the testimony that answers it, why each passage
answers, and a theme line per exit narrative; every word of explanation comes from the
codebook."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from defectio.codebook import Codebook, Family

UNRENOUNCED = "UNRENOUNCED"
_FIRST_SENTENCE = re.compile(r"^(.+?[.;:])(\s|$)")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JoinHit(_Frozen):
    code: str
    label: str
    p: float
    evidence: tuple[str, ...] = ()
    decided: bool = True  # False: inferred from a disputed exit narrative, or a weak guess
    via: str | None = None


class Answer(_Frozen):
    passage_id: str
    case_id: str
    alias: str
    text: str
    codes: tuple[str, ...]  # the exit codes the passage carries
    why: str
    source_url: str
    score: float
    lang: str | None = None
    unrenounced: tuple[str, ...] = ()  # gate codes of the case, when it was asked for


class Theme(_Frozen):
    code: str
    label: str
    theme: str


class MessagePack(_Frozen):
    claim: str
    lang: str | None = None
    join: tuple[JoinHit, ...] = ()
    answers: tuple[Answer, ...] = ()
    themes: tuple[Theme, ...] = ()
    notices: tuple[str, ...] = ()
    # True when the counter map gave nothing to answer with (no join narrative read, as a rule)
    # and the answers are the most relevant testimony across every exit narrative.
    fallback: bool = False

    @property
    def fallback_note(self) -> str:
        """What the page and the CLI say of a fallback answer ("" when it is none)."""
        if not self.fallback:
            return ""
        why = (
            "The counter map gives no exit narrative for the join narratives read"
            if self.join
            else "No join narrative was read in the claim"
        )
        return f"{why}: the answers are the most relevant testimony across the exit narratives."

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape, and nothing else."""
        return {
            "claim": self.claim,
            "join": [{"code": j.code, "p": round(j.p, 4)} for j in self.join],
            "fallback": self.fallback,
            "answers": [
                {
                    "passage_id": a.passage_id,
                    "case_id": a.case_id,
                    "alias": a.alias,
                    "text": a.text,
                    "codes": list(a.codes),
                    "why": a.why,
                    "source_url": a.source_url,
                    "score": a.score,
                }
                for a in self.answers
            ],
            "themes": [{"code": t.code, "label": t.label, "theme": t.theme} for t in self.themes],
        }


def first_sentence(text: str, limit: int = 160) -> str:
    """The definition's first sentence (or clause), shortened to ``limit`` characters."""
    flat = " ".join(text.split())
    m = _FIRST_SENTENCE.match(flat)
    out = m.group(1).rstrip(".;:") if m else flat
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


def why_line(
    book: Codebook, exit_code: str, join_code: str | None, gated_by: tuple[str, ...] = ()
) -> str:
    """One line from the codebook: which pitch this testimony answers, and with what."""
    answer = book.by_id[exit_code]
    line = f"{answer.label}: {first_sentence(answer.definition)}"
    if join_code is not None:
        line = f"Answers the pull of {book.by_id[join_code].label.lower()} with " + line
    if gated_by:
        labels = ", ".join(book.by_id[c].label.lower() for c in gated_by if c in book)
        line = f"{UNRENOUNCED} (case coded {labels}): " + line
    return line


def themes_for(book: Codebook, exit_codes: list[str]) -> tuple[Theme, ...]:
    """A theme line per exit narrative, in the order given; a code without a theme in the
    codebook falls back to its definition's first sentence."""
    out = []
    for code_id in exit_codes:
        code = book.by_id.get(code_id)
        if code is None or code.family != Family.EXIT:
            continue
        out.append(
            Theme(
                code=code.id, label=code.label, theme=code.theme or first_sentence(code.definition)
            )
        )
    return tuple(out)
