"""The tidy table: one row per passage and code, with the case's attributes on every row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from defectio.analysis.counts import Basis, passage_codes
from defectio.analysis.tables import country_of
from defectio.codebook import Codebook
from defectio.model import Corpus

_TEXT, _INT, _BOOL, _FLOAT = pa.string(), pa.int32(), pa.bool_(), pa.float64()
# The table's columns and their types, written as the Parquet schema whatever the data holds
# (a column with no value in one export has the same type as in another); docs/exports.md
# describes each column and a test keeps it in step with this list.
SCHEMA = pa.schema(
    [
        pa.field("case_id", _TEXT, nullable=False),
        pa.field("alias", _TEXT, nullable=False),
        pa.field("gender", _TEXT, nullable=False),
        pa.field("region", _TEXT, nullable=False),
        pa.field("origin", _TEXT),
        pa.field("country", _TEXT),
        pa.field("role", _TEXT, nullable=False),
        pa.field("status_after", _TEXT, nullable=False),
        pa.field("joined", _TEXT),
        pa.field("year_joined", _INT),
        pa.field("left", _TEXT),
        pa.field("year_left", _INT),
        pa.field("month_left", _INT),
        pa.field("went_public_via", _TEXT),
        pa.field("group", _TEXT),
        pa.field("passage_id", _TEXT, nullable=False),
        pa.field("position", _INT, nullable=False),
        pa.field("voice", _TEXT, nullable=False),
        pa.field("lang", _TEXT),
        pa.field("text", _TEXT, nullable=False),
        pa.field("source_url", _TEXT),
        pa.field("outlet", _TEXT),
        pa.field("code", _TEXT),
        pa.field("family", _TEXT),
        pa.field("label", _TEXT),
        pa.field("reviewed", _BOOL),
        pa.field("probability", _FLOAT),
    ]
)
COLUMNS = list(SCHEMA.names)
_INTEGERS = [f.name for f in SCHEMA if f.type == _INT]


def tidy_table(corpus: Corpus, codebook: Codebook, basis: Basis = Basis.COMBINED) -> pd.DataFrame:
    """One row per passage x code on ``basis`` (a passage with no code keeps one row with an
    empty code), so a passage is never lost. ``reviewed`` says whether a person's decision
    stands behind the code; an unreviewed one is a machine suggestion with its probability
    (a person's code has none)."""
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
            "year_joined": case.joined.year if case.joined else None,
            "left": str(case.left) if case.left else None,
            "year_left": case.left.year if case.left else None,
            "month_left": case.left.month or None if case.left else None,
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
                    "probability": None if reviewed else probability,
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in _INTEGERS:
        frame[column] = frame[column].astype("Int32")
    frame["reviewed"] = frame["reviewed"].astype("boolean")
    frame["probability"] = frame["probability"].astype("Float64")
    return frame


def write_csv(frame: pd.DataFrame, out: Path) -> Path:
    """UTF-8 CSV; ``reviewed`` as ``true``/``false`` (R and Stata read it as logical), an
    empty cell where a value is missing."""
    flags = frame["reviewed"].map({True: "true", False: "false"})
    frame.assign(reviewed=flags).to_csv(out, index=False)
    return out


def write_parquet(frame: pd.DataFrame, out: Path) -> Path:
    """Parquet with ``SCHEMA``, so every export has the same column types."""
    table = pa.Table.from_pandas(frame[COLUMNS], schema=SCHEMA, preserve_index=False)
    pq.write_table(table, out)
    return out
