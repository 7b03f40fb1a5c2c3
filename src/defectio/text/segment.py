"""Sentence boundaries and passages of one to five sentences, for any supported language."""

from __future__ import annotations

import re

MAX_SENTENCES = 5
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st no vs etc e.g i.e u.s u.k u.n approx fig jan feb mar apr jun jul aug "  # noqa: SIM905
    "sep sept oct nov dec gen col lt sgt capt prof bzw z.b usw vgl m mme mlle cf".split()
)
_BOUNDARY = re.compile(r"[.!?؟。…]+[\"'”’»)\]]*(?=\s+|$)")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) offsets of each sentence, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        before = _WORD_BEFORE.search(text, 0, match.start() + 1)
        word = before.group(1).lower().rstrip(".") if before else ""
        nxt = text[end : end + 3].lstrip()
        if match.group(0).startswith(".") and (
            word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or nxt[:1].islower()
        ):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines, with inner line breaks joined."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [" ".join(b.split()) for b in blocks if b.strip()]


def passages_from_text(text: str, max_sentences: int = MAX_SENTENCES) -> list[str]:
    """Cut text into passages on sentence boundaries: a paragraph stays whole when it has at most
    ``max_sentences`` sentences, and a longer one is split into near-equal runs of sentences."""
    out: list[str] = []
    for para in paragraphs(text):
        sents = sentences(para)
        if len(sents) <= max_sentences:
            out.append(para)
            continue
        n_chunks = -(-len(sents) // max_sentences)
        size = -(-len(sents) // n_chunks)
        for i in range(0, len(sents), size):
            out.append(" ".join(sents[i : i + size]))
    return out
