"""Answer a recruiting claim with the testimony that contradicts it: ``counter(claim)``.

Without a corpus it answers from the bundled reference corpus, coded once per process by the
default coder, with the passages' relevance vectors computed once too."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace

from defectio.codebook import Codebook, Family, load_codebook
from defectio.coding.base import Coder
from defectio.counter.audience import Audience, parse_audience
from defectio.counter.detect import ClaimReading, answered_join, read_codings
from defectio.counter.index import CounterIndex, build_index
from defectio.counter.pack import Answer, JoinHit, MessagePack, themes_for, why_line
from defectio.counter.rank import DEFAULT_WEIGHTS, Weights, rank
from defectio.counter.relevance import dense
from defectio.errors import DefectioError
from defectio.model import Corpus

AudienceSpec = Audience | Mapping[str, str | None] | str | None
# In the fallback every exit code answers with at least this weight (see answering_codes).
FALLBACK_FLOOR = 0.5
_LOCK = threading.Lock()
_INDEXES: dict[tuple[str, ...], CounterIndex] = {}
_CODERS: dict[tuple[str, str], Coder] = {}


def _book_key(book: Codebook) -> str:
    return hashlib.sha256(book.model_dump_json().encode("utf-8")).hexdigest()[:16]


def default_coder(book: Codebook, name: str | None = None) -> Coder:
    """The registered coder for a codebook, built (or trained) once per process."""
    from defectio.coding.registry import build_coder, resolve_name

    key = (resolve_name(name), _book_key(book))
    with _LOCK:
        if key not in _CODERS:
            _CODERS[key] = build_coder(name, book)
        return _CODERS[key]


def reference_index(codebook: Codebook | None = None) -> CounterIndex:
    """The bundled reference corpus indexed for counter-messaging, once per process."""
    from defectio.coding.training import reference_codebook
    from defectio.counter.relevance import relevance_status
    from defectio.reference import load_reference

    status = relevance_status()
    if codebook is None:
        with _LOCK:
            cached = _INDEXES.get(("reference", "default", status))
        if cached is not None:
            return cached
    book = codebook or load_codebook(reference_codebook())
    if book.id != reference_codebook():
        raise DefectioError(
            f"the bundled corpus is coded with codebook {reference_codebook()}, not {book.ref}; "
            "pass a corpus coded with your codebook (or use --db)"
        )
    key = ("reference", _book_key(book), status)
    with _LOCK:
        cached = _INDEXES.get(key)
    if cached is None:
        cached = build_index(load_reference().corpus, book, default_coder(book))
    with _LOCK:
        index = _INDEXES.setdefault(key, cached)
        if codebook is None:
            _INDEXES[("reference", "default", status)] = index
        return index


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread while a single claim is read: a multi-threaded BLAS spends longer
    handing tiny matrices between threads than computing them, worst on a busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn, a dependency, brings it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def read_claim(index: CounterIndex, claim: str) -> ClaimReading:
    """The claim's join narratives, answering exit narratives and language."""
    if not claim.strip():
        raise DefectioError("the claim is empty; give the text of a recruiting claim")
    return read_codings(index.codebook, [claim], index.coder.predict([claim]))[0]


def answer(
    index: CounterIndex,
    claim: str,
    *,
    audience: AudienceSpec = None,
    n: int = 5,
    include_unrenounced: bool = False,
    weights: Weights = DEFAULT_WEIGHTS,
) -> MessagePack:
    """The message pack for one claim, from an index built beforehand."""
    if n < 1:
        raise DefectioError(f"n must be at least 1, not {n}")
    who = parse_audience(audience)
    with one_blas_thread():
        reading = read_claim(index, claim)
        query = dense(index.relevance.encode([claim]))[0]
    if who.lang is None and reading.lang is not None:
        who = who.model_copy(update={"lang": reading.lang})
    book = index.codebook
    notices = list(index.notices) + list(reading.notices)
    answers, fallback = answering_codes(book, reading)
    if fallback and reading.joins:
        notices.append(
            f"the counter map of {book.ref} gives no exit narrative for "
            + ", ".join(j.code for j in reading.joins)
        )
    picked = []
    if answers:
        picked = rank(
            index,
            query,
            answers,
            reading.exit_p,
            who,
            n,
            include_unrenounced=include_unrenounced,
            weights=weights,
        )
    if include_unrenounced and any(index.items[r.item].gated_by for r in picked):
        notices.append("answers from cases that still back the cause are flagged UNRENOUNCED")
    out = []
    for r in picked:
        item = index.items[r.item]
        out.append(
            Answer(
                passage_id=item.passage_id,
                case_id=item.case_id,
                alias=item.case.alias,
                text=item.text,
                codes=exit_codes_of(book, item.codes, answers),
                why=why_line(
                    book, r.code, answered_join(book, reading.joins, r.code), item.gated_by
                ),
                source_url=item.source_url,
                score=r.score,
                lang=item.lang,
                unrenounced=item.gated_by,
            )
        )
    if fallback:  # every exit code answered: a theme for each one the answers drew on
        order = list(dict.fromkeys(r.code for r in picked))
    else:
        order = sorted((c for c in book.code_ids if c in answers), key=lambda c: -answers[c])
    return MessagePack(
        claim=claim,
        lang=reading.lang,
        join=tuple(
            JoinHit(
                code=j.code,
                label=j.label,
                p=j.p,
                evidence=j.evidence,
                decided=j.decided,
                via=j.via,
            )
            for j in reading.joins
        ),
        answers=tuple(out),
        themes=themes_for(book, order),
        notices=tuple(dict.fromkeys(notices)),
        fallback=fallback,
    )


def answering_codes(book: Codebook, reading: ClaimReading) -> tuple[dict[str, float], bool]:
    """Exit code -> weight for the testimony that may answer, and whether that is the fallback.

    The counter map chooses them from the join narratives read. When it gives none (as a rule
    because no join narrative was read) a counter-message is still owed: every exit narrative
    of the codebook may answer, those the claim itself speaks to weighing more (from
    FALLBACK_FLOOR for none to 1 for the claim's likeliest exit code), and relevance to what
    the claim says decides among the passages."""
    if reading.answers:
        return dict(reading.answers), False
    exits = [c.id for c in book.family(Family.EXIT)]
    top = max((reading.exit_p.get(c, 0.0) for c in exits), default=0.0)
    share = {c: reading.exit_p.get(c, 0.0) / top if top > 0 else 0.0 for c in exits}
    return {c: FALLBACK_FLOOR + (1 - FALLBACK_FLOOR) * share[c] for c in exits}, True


def exit_codes_of(
    book: Codebook, codes: Mapping[str, float], answers: Mapping[str, float]
) -> tuple[str, ...]:
    """The exit codes a passage carries, those answering the claim first."""
    mine = [c.id for c in book.family(Family.EXIT) if codes.get(c.id, 0.0) > 0]
    return tuple(sorted(mine, key=lambda c: c not in answers))


def counter(
    claim: str,
    *,
    audience: AudienceSpec = None,
    n: int = 5,
    include_unrenounced: bool = False,
    corpus: Corpus | None = None,
    codebook: Codebook | None = None,
    coder: Coder | None = None,
) -> MessagePack:
    """Answer a recruiting claim with the testimony that contradicts it.

    ``audience`` is ``"region=...,gender=...,lang=..."``, a mapping or an ``Audience``. Without
    ``corpus`` the bundled reference corpus answers (indexed once per process); with one (say
    ``store.corpus()`` and ``store.codebook()``) it is indexed for this call."""
    if corpus is None:
        index = reference_index(codebook)
        if coder is not None:
            index = replace(index, coder=coder)
    else:
        book = codebook or load_codebook()
        index = build_index(corpus, book, coder or default_coder(book))
    return answer(index, claim, audience=audience, n=n, include_unrenounced=include_unrenounced)
