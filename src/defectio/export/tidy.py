"""The tidy table: one row per passage and code, with the case's attributes on every row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from defectio.analysis.counts import Basis, passage_codes
from defectio.analysis.tables import country_of
from defectio.codebook import Codebook
from defectio.model import Corpus

COLUMNS = [
    "case_id",
    "alias",
    "gender",
    "region",
    "origin",
    "country",
    "role",
    "status_after",
    "joined",
    "left",
    "year_left",
    "went_public_via",
    "group",
    "passage_id",
    "position",
    "voice",
    "lang",
    "text",
    "source_url",
    "outlet",
    "code",
    "family",
    "label",
    "reviewed",
    "probability",
]


def tidy_table(corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED) -> pd.DataFrame:
    """One row per passage x code on ``basis`` (a passage with no code keeps one row with an
    empty code), so a passage is never lost. ``reviewed`` says whether a person's decision
    stands behind the code; an unreviewed one is a machine suggestion with its probability."""
    codes: dict[str, list[tuple[str, bool, float | None]]] = {}
    for pc in passage_codes(corpus, basis):
        if pc.code in codebook:
            codes.setdefault(pc.passage_id, []).append((pc.code, pc.reviewed, pc.probability))
    order = {c: i for i, c in enumerate(codebook.code_ids)}
    cases = {c.case_id: c for c in corpus.cases}
    sources = corpus.source_by_id
    rows = []
    for p in corpus.passages:
        case = cases.get(p.case_id)
        if case is None:
            continue
        sid = p.source_id or next(iter(corpus.case_sources.get(p.case_id, ())), None)
        source = sources.get(sid) if sid else None
        base = {
            "case_id": case.case_id,
            "alias": case.alias,
            "gender": case.gender.value,
            "region": case.region.value,
            "origin": case.origin,
            "country": country_of(case.origin),
            "role": case.role.value,
            "status_after": case.status_after.value,
            "joined": str(case.joined) if case.joined else None,
            "left": str(case.left) if case.left else None,
            "year_left": case.left.year if case.left else None,
            "went_public_via": case.went_public_via,
            "group": case.group,
            "passage_id": p.passage_id,
            "position": p.position,
            "voice": p.voice.value,
            "lang": p.lang,
            "text": p.text,
            "source_url": source.url if source else None,
            "outlet": (source.outlet if source else None) or case.went_public_via,
        }
        mine: list[tuple[str | None, bool | None, float | None]] = [
            *sorted(codes.get(p.passage_id, []), key=lambda c: order[c[0]])
        ]
        for code, reviewed, probability in mine or [(None, None, None)]:
            known = codebook.by_id.get(code) if code else None
            rows.append(
                {
                    **base,
                    "code": code,
                    "family": known.family.value if known else None,
                    "label": known.label if known else None,
                    "reviewed": reviewed,
                    "probability": probability,
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["year_left"] = frame["year_left"].astype("Int64")
    frame["reviewed"] = frame["reviewed"].astype("boolean")
    frame["probability"] = frame["probability"].astype("Float64")
    return frame


def write_csv(frame: pd.DataFrame, out: Path) -> Path:
    frame.to_csv(out, index=False)
    return out


def write_parquet(frame: pd.DataFrame, out: Path) -> Path:
    frame.to_parquet(out, index=False)
    return out
