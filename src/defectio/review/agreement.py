"""Inter-coder agreement: Cohen's kappa for each pair of coders, Krippendorff's alpha per code,
and the list of units the coders disagree on. Pure: no database, no console, no request.

Definitions (the contract the command line and the web app rely on):

- **Unit.** A ``(passage_id, code)`` pair, for every passage of the corpus and every code of the
  codebook. Codes outside the codebook are ignored.
- **Coders.** Each distinct ``coder`` name of the annotations with ``coder_kind == PERSON`` is
  one coder, except a reviewer's rulings on disagreements (coder ``settled:NAME``), which are
  left out (a person who happens to be called ``machine`` is renamed ``machine (person)``).
  The machine is ONE coder, named ``machine``: the annotations with ``coder_kind == MACHINE``
  of the latest machine run (the largest ``run_id`` among machine annotations), whatever their
  review status: the status records what a person did with a suggestion, not what the machine
  said.
- **Judged.** A person judged a passage when they have any annotation on it. The machine judged
  the passages in the latest run's coverage (``machine_passages``, as read from
  ``Store.passages_coded_by_run``; with ``None``, every passage that has an annotation of that
  run), plus any passage it put a suggestion on.
- **Values.** On a passage a coder judged, its value for code k is 1 when it applied k (a person:
  an annotation on k with status ACCEPTED; the machine: a suggestion on k from that run), else 0.
  Units on a passage a coder did not judge are missing for that coder.
- **Cohen's kappa** for each pair of coders, pooled over every unit both judged (all codes
  together): ``n`` units, the observed agreement (share of units with the same value) and
  ``kappa = (p_o - p_e) / (1 - p_e)``, with ``p_e`` from each coder's own marginals. ``None``
  when undefined (no shared unit, or ``p_e == 1``: both coders gave one and the same value
  throughout).
- **Krippendorff's alpha**, nominal level, per code: the reliability data are coders x passages
  for that code, missing values allowed; only units with two or more values are pairable
  (the coincidence-matrix method, Krippendorff 2011, "Computing Krippendorff's alpha-
  reliability"). ``alpha = 1 - D_o / D_e``. ``n_units`` is the number of pairable units,
  ``n_coders`` the number of coders with a value on at least one of them. The overall alpha
  pools every unit (all codes) as the units of one reliability matrix. ``None`` when
  undefined: no pairable values, or a single category (``D_e == 0``).
- **Disagreements.** Units on which two or more coders judged the passage and their values
  differ, less the units in ``settled`` (``(passage_id, code)`` pairs a person has settled).
  Each names the coders that said present and those that said absent, and they are sorted by
  case id, passage position, code.

Reading the figures (Krippendorff): 0.8 or more is good; 0.667 to 0.8 allows tentative
conclusions; below 0.667, do not rely on the coding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from defectio.codebook import Codebook
from defectio.model import AnnotationStatus, CoderKind, is_settlement

MACHINE = "machine"
Unit = tuple[str, str]


class JudgedPassage(Protocol):
    """What agreement reads of a passage (a ``Passage`` has it)."""

    @property
    def passage_id(self) -> str: ...
    @property
    def case_id(self) -> str: ...
    @property
    def position(self) -> int: ...


class JudgedCode(Protocol):
    """What agreement reads of an annotation (an ``Annotation`` has it)."""

    @property
    def passage_id(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def coder(self) -> str: ...
    @property
    def coder_kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def run_id(self) -> int | None: ...


class Judgements(Protocol):
    """Passages in case order and the annotations on them: a ``Corpus``, or only the columns
    agreement needs, read straight from the store."""

    @property
    def passages(self) -> Sequence[JudgedPassage]: ...
    @property
    def annotations(self) -> Sequence[JudgedCode]: ...


def _latest_machine_run(corpus: Judgements) -> int | None:
    runs = [
        a.run_id
        for a in corpus.annotations
        if a.coder_kind == CoderKind.MACHINE and a.run_id is not None
    ]
    return max(runs) if runs else None


def judgements(
    corpus: Judgements,
    codebook: Codebook,
    machine_passages: Collection[str] | None = None,
    machine_run: int | None = None,
) -> dict[str, dict[Unit, int]]:
    """For each coder (``machine`` first, then people by name), its 0/1 value on every unit it
    judged, keyed by ``(passage_id, code)`` in passage then codebook order. ``machine_run``
    names the latest machine run when the corpus is a part of a store that may not show it."""
    judged, applied = _judged(corpus, codebook, machine_passages, machine_run)
    order = [p.passage_id for p in corpus.passages]
    out: dict[str, dict[Unit, int]] = {}
    for coder, passages in judged.items():
        yes = applied[coder]
        out[coder] = {
            (pid, code): int((pid, code) in yes)
            for pid in order
            if pid in passages
            for code in codebook.code_ids
        }
    return out


def _judged(
    corpus: Judgements,
    codebook: Codebook,
    machine_passages: Collection[str] | None,
    machine_run: int | None,
) -> tuple[dict[str, set[str]], dict[str, set[Unit]]]:
    """The passages each coder judged (``machine`` first, then people by name) and the units
    it valued 1: every other unit on a judged passage is a 0."""
    known = {p.passage_id for p in corpus.passages}
    in_book = set(codebook.code_ids)
    run = machine_run if machine_run is not None else _latest_machine_run(corpus)
    judged: dict[str, set[str]] = {}
    applied: dict[str, set[Unit]] = {}
    machine_seen: set[str] = set()
    machine_applied: set[Unit] = set()
    for a in corpus.annotations:
        if a.passage_id not in known:
            continue
        if a.coder_kind == CoderKind.PERSON and is_settlement(a.coder):
            continue  # a reviewer's ruling on a disagreement, not one more coder
        if a.coder_kind == CoderKind.PERSON:
            name = a.coder if a.coder != MACHINE else f"{MACHINE} (person)"
            judged.setdefault(name, set()).add(a.passage_id)
            mine = applied.setdefault(name, set())
            if a.status == AnnotationStatus.ACCEPTED and a.code in in_book:
                mine.add((a.passage_id, a.code))
        elif run is not None and a.run_id == run:
            machine_seen.add(a.passage_id)
            if a.code in in_book:
                machine_applied.add((a.passage_id, a.code))
    if run is not None:
        coverage = set(machine_passages) if machine_passages is not None else set()
        judged = {MACHINE: (coverage | machine_seen) & known, **dict(sorted(judged.items()))}
        applied[MACHINE] = machine_applied
    else:
        judged = dict(sorted(judged.items()))
    return judged, applied


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Cohen's kappa of two coders' values on the same units; ``None`` when undefined."""
    if len(a) != len(b):
        raise ValueError(f"the two coders have {len(a)} and {len(b)} values; expected as many")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha_nominal(data: Sequence[Sequence[int | None]]) -> float | None:
    """Krippendorff's alpha at the nominal level; rows are coders, columns units, ``None``
    missing. ``None`` when undefined (no pairable values, or a single category)."""
    counts = _pairable_counts(data)
    if counts is None:
        return None
    m = counts.sum(axis=1)
    n_c = counts.sum(axis=0)
    if np.count_nonzero(n_c) < 2:
        return None
    # Coincidences: o[c, k] = sum over units of (c-k pairs in the unit) / (m_u - 1).
    weighted = counts / (m - 1)[:, None]
    o = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n = float(n_c.sum())
    disagree_observed = float(o.sum() - np.trace(o))
    disagree_expected = n * n - float((n_c * n_c).sum())
    return 1.0 - (n - 1.0) * disagree_observed / disagree_expected


def _pairable_counts(data: Sequence[Sequence[int | None]]) -> NDArray[np.float64] | None:
    """Units x categories: how many coders gave each value, for the units with >= 2 values."""
    rows = [list(r) for r in data]
    if not rows:
        return None
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("every coder needs a value or None for every unit")
    categories = sorted({v for r in rows for v in r if v is not None})
    if not categories or width == 0:
        return None
    index = {c: i for i, c in enumerate(categories)}
    counts: NDArray[np.float64] = np.zeros((width, len(categories)), dtype=np.float64)
    for r in rows:
        for u, v in enumerate(r):
            if v is not None:
                counts[u, index[v]] += 1.0
    keep = counts.sum(axis=1) >= 2
    if not keep.any():
        return None
    pairable: NDArray[np.float64] = counts[keep]
    return pairable


@dataclass(frozen=True)
class PairAgreement:
    coder_a: str
    coder_b: str
    n: int
    observed: float | None
    kappa: float | None


@dataclass(frozen=True)
class CodeAgreement:
    code: str
    label: str
    alpha: float | None
    n_units: int
    n_coders: int


@dataclass(frozen=True)
class Disagreement:
    passage_id: str
    case_id: str
    code: str
    present: tuple[str, ...]
    absent: tuple[str, ...]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class AgreementReport:
    coders: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    codes: tuple[CodeAgreement, ...]
    alpha_overall: float | None
    disagreements: tuple[Disagreement, ...]

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-ready; floats rounded to 4 places; at most ``limit`` disagreement items."""
        items = self.disagreements if limit is None else self.disagreements[:limit]
        return {
            "coders": list(self.coders),
            "pairs": [
                {
                    "coder_a": p.coder_a,
                    "coder_b": p.coder_b,
                    "n": p.n,
                    "observed": _round(p.observed),
                    "kappa": _round(p.kappa),
                }
                for p in self.pairs
            ],
            "codes": [
                {
                    "code": c.code,
                    "label": c.label,
                    "alpha": _round(c.alpha),
                    "n_units": c.n_units,
                    "n_coders": c.n_coders,
                }
                for c in self.codes
            ],
            "alpha_overall": _round(self.alpha_overall),
            "disagreements": {
                "count": len(self.disagreements),
                "items": [
                    {
                        "passage_id": d.passage_id,
                        "case_id": d.case_id,
                        "code": d.code,
                        "present": list(d.present),
                        "absent": list(d.absent),
                    }
                    for d in items
                ],
            },
        }


def agreement(
    corpus: Judgements,
    codebook: Codebook,
    *,
    machine_passages: Collection[str] | None = None,
    settled: Collection[tuple[str, str]] = (),
    machine_run: int | None = None,
) -> AgreementReport:
    """Kappa for each pair of coders, alpha per code and overall, and the open disagreements.

    Counted, not tabulated: a unit no coder valued 1 is a 0 for every coder that judged its
    passage, so the figures come from how many coders judged each passage and the units valued
    1, and the work grows with the codes given, not with passages x codes."""
    judged, applied = _judged(corpus, codebook, machine_passages, machine_run)
    coders = tuple(judged)
    n_codes = len(codebook.code_ids)
    pairs = []
    for a, b in combinations(coders, 2):
        shared = judged[a] & judged[b]
        n = len(shared) * n_codes
        ones_a = sum(1 for u in applied[a] if u[0] in shared)
        ones_b = sum(1 for u in applied[b] if u[0] in shared)
        both = len(applied[a] & applied[b])
        same = n - ones_a - ones_b + 2 * both
        observed = same / n if n else None
        pairs.append(PairAgreement(a, b, n, observed, _kappa(n, same, ones_a, ones_b)))

    # How many coders judged each passage; units on passages judged by two or more pair up.
    judges: Counter[str] = Counter(p for c in coders for p in judged[c])
    pairable = {p for p, m in judges.items() if m >= 2}
    n_coders = sum(1 for c in coders if judged[c] & pairable)
    ones: Counter[Unit] = Counter(u for c in coders for u in applied[c] if u[0] in pairable)
    by_code: dict[str, dict[Unit, int]] = {}
    for unit, k in ones.items():
        by_code.setdefault(unit[1], {})[unit] = k
    code_rows = []
    for entry in codebook.codes:
        mine = by_code.get(entry.id, {})
        alpha = _alpha(len(pairable), sum(judges[p] for p in pairable), mine, judges)
        n_units = len(pairable)
        code_rows.append(
            CodeAgreement(entry.id, entry.label, alpha, n_units, n_coders if n_units else 0)
        )
    values = n_codes * sum(judges[p] for p in pairable)
    overall = _alpha(len(pairable) * n_codes, values, ones, judges)

    closed = {(str(pid), str(code)) for pid, code in settled}
    where = {p.passage_id: p for p in corpus.passages}
    found = []
    for unit in sorted({u for c in coders for u in applied[c]}):
        pid, code = unit
        said = [c for c in coders if pid in judged[c]]
        present = tuple(c for c in said if unit in applied[c])
        if len(said) < 2 or len(present) == len(said) or unit in closed:
            continue
        p = where[pid]
        disagreement = Disagreement(
            passage_id=pid,
            case_id=p.case_id,
            code=code,
            present=present,
            absent=tuple(c for c in said if unit not in applied[c]),
        )
        found.append((p.case_id, p.position, pid, code, disagreement))
    found.sort(key=lambda row: row[:4])
    return AgreementReport(
        coders=coders,
        pairs=tuple(pairs),
        codes=tuple(code_rows),
        alpha_overall=overall,
        disagreements=tuple(row[4] for row in found),
    )


def _kappa(n: int, same: int, ones_a: int, ones_b: int) -> float | None:
    """``cohen_kappa`` from the counts of two coders' 0/1 values on ``n`` shared units."""
    if n == 0:
        return None
    observed = same / n
    expected = ((n - ones_a) * (n - ones_b) + ones_a * ones_b) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def _alpha(
    n_units: int, n_values: int, ones: Mapping[Unit, int], judges: Mapping[str, int]
) -> float | None:
    """Nominal alpha of 0/1 values over ``n_units`` pairable units holding ``n_values`` values,
    of which ``ones[u]`` are 1 on unit u (``judges[passage]`` values there): the coincidence
    method of ``krippendorff_alpha_nominal``, summed over the units that hold a 1."""
    n_ones = sum(ones.values())
    n_zeros = n_values - n_ones
    if n_units == 0 or n_ones == 0 or n_zeros == 0:
        return None
    mixed = 0.0  # o[0, 1] = o[1, 0]: pairs of a 0 and a 1 within a unit, weighted 1 / (m - 1)
    for (pid, _), k in ones.items():
        m = judges[pid]
        mixed += (m - k) * k / (m - 1)
    n = float(n_values)
    disagree_expected = n * n - float(n_zeros * n_zeros + n_ones * n_ones)
    return 1.0 - (n - 1.0) * (2.0 * mixed) / disagree_expected
