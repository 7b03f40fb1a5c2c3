"""The aggregate table of a batch job: posts per day x source x code, with the day's total
for that source, so a share can be read off each row. Each partition of the posts is counted
on the workers with every code listed for each (day, source) it holds, zeros included, so the
partial counts simply add up."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from defectio.scale.coding import to_pandas

AGGREGATE_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("source", pa.string()),
        ("code", pa.string()),
        ("posts", pa.int64()),
        ("total", pa.int64()),
    ]
)
KEYS = ["day", "source", "code"]


def empty_counts() -> pd.DataFrame:
    return to_pandas(AGGREGATE_SCHEMA.empty_table())


def partial_counts(frame: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Counts for one partition of the posts (columns day, source, codes)."""
    table = pa.Table.from_pandas(frame[["day", "source", "codes"]], preserve_index=False)
    totals = table.group_by(["day", "source"], use_threads=False).aggregate([([], "count_all")])
    flat = table["codes"].combine_chunks()
    parents = pc.list_parent_indices(flat)
    hits = pa.table(
        {
            "day": pc.take(table["day"], parents),
            "source": pc.take(table["source"], parents),
            "code": pc.list_flatten(flat),
        }
    )
    coded = hits.group_by(KEYS, use_threads=False).aggregate([([], "count_all")])
    seen = {
        (d, s, c): n
        for d, s, c, n in zip(*(coded[k].to_pylist() for k in [*KEYS, "count_all"]), strict=True)
    }
    rows: dict[str, list[object]] = {name: [] for name in AGGREGATE_SCHEMA.names}
    for day, source, total in zip(
        *(totals[k].to_pylist() for k in ["day", "source", "count_all"]), strict=True
    ):
        for code in codes:
            rows["day"].append(day)
            rows["source"].append(source)
            rows["code"].append(code)
            rows["posts"].append(seen.get((day, source, code), 0))
            rows["total"].append(total)
    return to_pandas(pa.table(rows, schema=AGGREGATE_SCHEMA))


def finish_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Summed counts in a stable order (day, source, code), typed as the table's schema."""
    ordered = frame.sort_values(KEYS, na_position="last", ignore_index=True)
    table = pa.Table.from_pandas(ordered[AGGREGATE_SCHEMA.names], preserve_index=False)
    return to_pandas(table.cast(AGGREGATE_SCHEMA))
