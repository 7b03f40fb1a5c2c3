"""The lexicon coder: the codebook's indicator phrases, per language, with negation, hedges and
exclusions. Transparent by design: every code it gives points at the words that triggered it."""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from defectio.codebook import Codebook, parse_codebook
from defectio.coding.base import CodeScore, Coding, Span
from defectio.errors import CoderError
from defectio.text.segment import sentence_spans

_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_TOKEN = re.compile(r"\w+")


_NEEDS_CHAR_MAP = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


def normalise(text: str) -> tuple[str, Sequence[int]]:
    """Lower-case, strip Arabic diacritics and unify letter forms; returns the normalised text
    and, for each of its characters, the offset of the original character it came from."""
    low = text.lower()
    if len(low) == len(text) and not _NEEDS_CHAR_MAP.search(text):
        return low.translate(_AR_MAP), range(len(text))  # the common case: offsets unchanged
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if _AR_DIACRITICS.match(ch) or unicodedata.category(ch) == "Mn":
            continue
        low = ch.lower()
        if len(low) != 1:
            low = ch.casefold()[:1] or ch
        low = low.translate(_AR_MAP)
        out.append(low)
        index.append(i)
    return "".join(out), index


def normalise_phrase(phrase: str) -> str:
    return normalise(phrase)[0]


def _token_pattern(token: str, last: bool) -> str:
    lead = "\\w*" if token.startswith("*") else ""
    core = re.escape(token.strip("*"))
    if not token.endswith("*"):
        return lead + core + ("(?!\\w)" if last else "")
    # A match stops at the end of a final stem, so the rest of the word can be read for a
    # negating suffix; the evidence span is widened to the whole word afterwards.
    return lead + core + ("" if last else "\\w*")


def compile_phrases(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for a list of indicator phrases: tokens in order, any non-word gap between."""
    alternatives = []
    for phrase in sorted(
        {normalise_phrase(p) for p in phrases if p.strip()}, key=len, reverse=True
    ):
        tokens = [t for t in re.split(r"[^\w*]+", phrase) if t.strip("*")]
        if tokens:
            parts = [_token_pattern(t, i == len(tokens) - 1) for i, t in enumerate(tokens)]
            alternatives.append(r"\W+".join(parts))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")")


@dataclass(frozen=True)
class LanguageCues:
    negation: frozenset[str]
    hedge: frozenset[str]
    negation_suffix: re.Pattern[str] | None


@lru_cache(maxsize=1)
def load_cues() -> dict[str, LanguageCues]:
    raw = yaml.safe_load((resources.files("defectio") / "data/cues.yaml").read_text("utf-8"))
    cues = {}
    for lang, entry in raw.items():
        suffix = entry.get("negation_suffix")
        cues[lang] = LanguageCues(
            negation=frozenset(normalise_phrase(w) for w in entry.get("negation", [])),
            hedge=frozenset(normalise_phrase(w) for w in entry.get("hedge", [])),
            negation_suffix=re.compile(suffix) if suffix else None,
        )
    return cues


class LexiconConfig(BaseModel):
    """Settings of ``lexicon.v1``; stored with every coding run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match_weight: float = Field(0.7, gt=0, lt=1, description="evidence weight of one clean match")
    hedge_weight: float = Field(0.35, gt=0, lt=1, description="weight of a hedged match")
    threshold: float = Field(0.5, gt=0, lt=1, description="probability at which a code is given")
    window: int = Field(4, ge=1, le=12, description="tokens before a match searched for negation")


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    sentence: int
    hedged: bool


class LexiconCoder:
    """Indicator phrases from the codebook, per language; negated matches and sentences that
    meet a code's exclusion are dropped, hedged ones count for less."""

    name = "lexicon"
    version = "v1"

    def __init__(self, codebook: Codebook, config: LexiconConfig | None = None) -> None:
        self.codebook = codebook
        self.settings = config or LexiconConfig()
        self.cues = load_cues()
        self._indicators: dict[tuple[str, str], re.Pattern[str]] = {}
        self._exclusions: dict[tuple[str, str], re.Pattern[str]] = {}
        for code in codebook.codes:
            for lang, phrases in code.indicators.items():
                pattern = compile_phrases(phrases)
                if pattern is not None:
                    self._indicators[(code.id, lang)] = pattern
            for lang, phrases in code.exclusions.items():
                pattern = compile_phrases(phrases)
                if pattern is not None:
                    self._exclusions[(code.id, lang)] = pattern

    @property
    def config(self) -> dict[str, Any]:
        return {**self.settings.model_dump(), "codebook": self.codebook.ref}

    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> LexiconCoder:
        """Nothing to learn: the phrases are the codebook's. Kept for the protocol."""
        return self

    def _langs_for(self, lang: str | None) -> tuple[list[str], str | None]:
        supported = list(self.codebook.languages)
        if lang is None:
            return supported, None
        if lang in supported:
            return [lang], None
        return supported, (
            f"language '{lang}' has no indicator phrases in codebook {self.codebook.ref} "
            f"(it covers {', '.join(supported)}); every list was tried"
        )

    def _negated(self, norm: str, start: int, tail: str, lang: str, floor: int) -> bool:
        """A negation cue among the few tokens before the match, or a negating suffix after it."""
        cues = self.cues.get(lang)
        if cues is None:
            return False
        before = [m.group(0) for m in _TOKEN.finditer(norm, floor, start)][-self.settings.window :]
        if any(tok in cues.negation for tok in before):
            return True
        return bool(tail and cues.negation_suffix is not None and cues.negation_suffix.match(tail))

    def _hedged(self, norm: str, floor: int, ceil: int, langs: list[str]) -> bool:
        tokens = {m.group(0) for m in _TOKEN.finditer(norm, floor, ceil)}
        return any(tokens & self.cues[lang].hedge for lang in langs if lang in self.cues)

    def code_one(self, text: str, lang: str | None = None) -> Coding:
        langs, notice = self._langs_for(lang)
        norm, index = normalise(text)
        # Sentences are found in the original text (case matters there) and mapped onto the
        # normalised one.
        sentences = [
            (bisect_left(index, a), bisect_left(index, b)) for a, b in sentence_spans(text)
        ]
        scores = []
        for code in self.codebook.codes:
            hits: list[_Hit] = []
            for li in langs:
                pattern = self._indicators.get((code.id, li))
                if pattern is None:
                    continue
                for m in pattern.finditer(norm):
                    s_idx = next((k for k, (a, b) in enumerate(sentences) if a <= m.start() < b), 0)
                    s_start, s_end = sentences[s_idx] if sentences else (0, len(norm))
                    word_end = m.end()
                    while word_end < len(norm) and (
                        norm[word_end].isalnum() or norm[word_end] == "_"
                    ):
                        word_end += 1
                    if self._negated(norm, m.start(), norm[m.end() : word_end], li, s_start):
                        continue
                    excl = self._exclusions.get((code.id, li))
                    if excl is not None and excl.search(norm, s_start, s_end):
                        continue
                    hedged = self._hedged(norm, s_start, s_end, [li])
                    hits.append(_Hit(m.start(), word_end, s_idx, hedged))
            scores.append(self._score(code.id, hits, index))
        return Coding(tuple(scores), lang=lang, notices=(notice,) if notice else ())

    def _score(self, code_id: str, hits: list[_Hit], index: Sequence[int]) -> CodeScore:
        miss = 1.0
        seen: set[tuple[int, int]] = set()
        for hit in hits:
            if (hit.start, hit.end) in seen:
                continue
            seen.add((hit.start, hit.end))
            weight = self.settings.hedge_weight if hit.hedged else self.settings.match_weight
            miss *= 1.0 - weight
        p = 1.0 - miss
        evidence: tuple[Span, ...] = tuple(sorted({(index[a], index[b - 1] + 1) for a, b in seen}))
        return CodeScore(code_id, p, p >= self.settings.threshold, evidence)

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Coding]:
        langs = langs if langs is not None else [None] * len(texts)
        return [self.code_one(t, lang) for t, lang in zip(texts, langs, strict=True)]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"coder": f"{self.name}.{self.version}", "config": self.settings.model_dump()}
        (directory / "coder.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        (directory / "codebook.yaml").write_text(
            yaml.safe_dump(
                self.codebook.model_dump(mode="json"), allow_unicode=True, sort_keys=False
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> LexiconCoder:
        try:
            meta = json.loads((directory / "coder.json").read_text(encoding="utf-8"))
            book_text = (directory / "codebook.yaml").read_text(encoding="utf-8")
        except (OSError, json.JSONDecodeError) as exc:
            raise CoderError(f"{directory}: not a saved lexicon coder ({exc})") from None
        if meta.get("coder") != f"{cls.name}.{cls.version}":
            raise CoderError(
                f"{directory}: holds {meta.get('coder')}, not {cls.name}.{cls.version}"
            )
        book = parse_codebook(book_text, str(directory / "codebook.yaml"))
        return cls(book, LexiconConfig.model_validate(meta["config"]))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
