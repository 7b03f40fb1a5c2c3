"""The stance gate: a case coded with a code the codebook marks ``counter_gate`` (someone who
still backs the cause) never becomes the face of a counter-message unless asked for."""

from __future__ import annotations

from collections.abc import Iterable

from defectio.analysis.counts import PassageCode
from defectio.codebook import Codebook, bundled_codebooks, load_codebook


def gate_codes(book: Codebook) -> tuple[tuple[str, ...], str | None]:
    """The codes that hold a case back, and a notice when they are not the codebook's own.

    A store keeps the codebook YAML it was created with; if that copy predates the
    ``counter_gate`` marker, the marker of the bundled codebook with the same id is used, so
    an older store is gated too rather than silently not at all."""
    marked = tuple(c.id for c in book.codes if c.counter_gate)
    if marked:
        return marked, None
    if book.id in bundled_codebooks():
        bundled = load_codebook(book.id)
        inherited = tuple(c.id for c in bundled.codes if c.counter_gate and c.id in book)
        if inherited:
            return inherited, (
                f"codebook {book.ref} marks no counter_gate code; using the bundled "
                f"{bundled.ref} marker ({', '.join(inherited)})"
            )
    return (), f"codebook {book.ref} marks no counter_gate code; no case is held back"


def gated_cases(codes: Iterable[PassageCode], gate: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Case id -> the gate codes it carries, from passage codes on the combined basis (a
    person's acceptance, or a machine suggestion above its threshold that nobody rejected)."""
    wanted = set(gate)
    out: dict[str, set[str]] = {}
    for pc in codes:
        if pc.code in wanted:
            out.setdefault(pc.case_id, set()).add(pc.code)
    return {case: tuple(sorted(found)) for case, found in out.items()}
