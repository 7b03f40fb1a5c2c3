"""Commands for analysis and outputs: statistics and the brief."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from defectio.analysis.counts import Basis, code_counts, stats_summary
from defectio.cli.app import console, fail_cleanly, open_store
from defectio.store.repo import Store
from defectio.workflow import write_brief


@fail_cleanly
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Counts of cases by gender, region and year of leaving, and of codes by case."""
    with open_store(create=False) as store:
        summary = stats_summary(store.corpus(), store.codebook())
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    console.print(f"[bold]{summary['cases']}[/] cases, {summary['passages']} passages")
    for key in ("by_gender", "by_region", "by_year_left"):
        table = Table(title=key.replace("_", " "), show_edge=False)
        table.add_column("value")
        table.add_column("cases", justify="right")
        for value, n in summary[key].items():
            table.add_row(value, str(n))
        console.print(table)
    console.print(prevalence_table(store))


def prevalence_table(store: Store) -> Table:
    corpus, book = store.corpus(), store.codebook()
    n = len(corpus.cases)
    people = {c.code: c for c in code_counts(corpus, book, Basis.PEOPLE)}
    machine = {c.code: c for c in code_counts(corpus, book, Basis.MACHINE)}
    table = Table(title=f"cases carrying each code (N={n})", show_edge=False)
    for col, justify in (
        ("code", "left"),
        ("family", "left"),
        ("people", "right"),
        ("machine", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for code in book.codes:
        p, m = people[code.id].cases, machine[code.id].cases
        table.add_row(
            code.id,
            code.family.value,
            f"{p} ({100 * p / max(n, 1):.0f}%)",
            f"{m} ({100 * m / max(n, 1):.0f}%)",
        )
    return table


@fail_cleanly
def brief(
    out: Annotated[Path, typer.Option(help="Where to write the brief (.html).")] = Path(
        "brief.html"
    ),
) -> None:
    """Write the analyst brief as one self-contained HTML file (no external request)."""
    with open_store(create=False) as store:
        path = write_brief(store, out)
    console.print(f"brief  {path}")
