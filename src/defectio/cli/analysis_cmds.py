"""Commands for analysis and outputs: statistics, the brief and exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from defectio import service
from defectio.analysis.catalog import TABLES, AnalysisTable, analysis_table
from defectio.analysis.counts import Basis
from defectio.cli.app import console, fail_cleanly, open_store
from defectio.errors import InputError
from defectio.export.formats import export_corpus
from defectio.report.brief import BriefOptions
from defectio.store.repo import Store
from defectio.workflow import write_brief

FORMATS = ("table", "csv", "json")
BY_HELP = (
    "Group by a case field (gender, region, role, year, status_after, origin: codes by level, "
    "with a chi-square or Fisher test per code) or `code` (prevalence with Wilson intervals)."
)
TABLE_HELP = "Another table: " + ", ".join(TABLES) + "."


@fail_cleanly
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    by: Annotated[str | None, typer.Option("--by", help=BY_HELP, show_default=False)] = None,
    table: Annotated[
        str | None, typer.Option("--table", help=TABLE_HELP, show_default=False)
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, csv or json (for --by and --table).")
    ] = "table",
) -> None:
    """Counts of cases by gender, region and year of leaving, and of codes by case; with --by
    or --table, one analysis table (every table says how many counts rest on unreviewed
    machine codes)."""
    if by is not None or table is not None:
        _print_analysis(by, table, "json" if as_json else fmt)
        return
    with open_store(create=False) as store:
        summary = service.stats_summary(store, store.codebook())
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    console.print(f"[bold]{summary['cases']}[/] cases, {summary['passages']} passages")
    for key in ("by_gender", "by_region", "by_year_left"):
        rich_table = Table(title=key.replace("_", " "), show_edge=False)
        rich_table.add_column("value")
        rich_table.add_column("cases", justify="right")
        for value, n in summary[key].items():
            rich_table.add_row(value, str(n))
        console.print(rich_table)
    console.print(prevalence_table(store))


def _print_analysis(by: str | None, table: str | None, fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'; use {', '.join(FORMATS)}", field="--format")
    with open_store(create=False) as store:
        result = analysis_table(store.corpus(), store.codebook(), by=by, table=table)
    if fmt == "json":
        print(json.dumps(result.as_json(), ensure_ascii=False))
    elif fmt == "csv":
        print(result.frame.to_csv(index=False), end="")
    else:
        console.print(rich_frame(result))


def rich_frame(result: AnalysisTable) -> Table:
    """An analysis table for the terminal; shares and intervals as percentages."""
    frame = result.frame
    attrs = frame.attrs
    title = f"{result.name}" + (f" by {result.by}" if result.by else "")
    title += f" (N={attrs.get('n_cases')}, unreviewed counts {attrs.get('unreviewed', 0)})"
    table = Table(title=title, show_edge=False)
    columns = [
        str(c) for c in frame.columns if c not in ("by", "note") or result.name == "timeline"
    ]
    for col in columns:
        text = frame[col].dtype == object
        table.add_column(col, justify="left" if text else "right", no_wrap=text)
    for row in frame.itertuples(index=False):
        values = row._asdict()
        table.add_row(*(_cell(col, values[col]) for col in columns))
    if result.tests is not None:
        console.print(table)
        tests = Table(title=f"association with {result.by}", show_edge=False)
        for col in ("code", "test", "p_value", "levels", "small_cells", "note"):
            tests.add_column(col)
        for row in result.tests.itertuples(index=False):
            values = row._asdict()
            tests.add_row(
                *(
                    _cell(c, values[c])
                    for c in ("code", "test", "p_value", "levels", "small_cells", "note")
                )
            )
        return tests
    return table


def _cell(column: str, value: object) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        if column in ("share", "ci_low", "ci_high"):
            return f"{100 * value:.0f}%"
        return f"{value:.3g}"
    return str(value)


def prevalence_table(store: Store) -> Table:
    book = store.codebook()
    n = store.counts()["cases"]
    people = {c.code: c for c in service.code_counts(store, book, Basis.PEOPLE)}
    machine = {c.code: c for c in service.code_counts(store, book, Basis.MACHINE)}
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
    out: Annotated[
        Path, typer.Option(help="Where to write the brief: .html, .md (Markdown) or .pdf.")
    ] = Path("brief.html"),
    since: Annotated[
        int | None, typer.Option(help="Only cases that left in this year or later.")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Only cases from this region (e.g. 'Western Europe').")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(
            help="Issuing organisation, shown in the header and footer.",
            envvar="DEFECTIO_BRIEF_ORG",
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(help="Contact line for the footer.", envvar="DEFECTIO_BRIEF_CONTACT"),
    ] = None,
) -> None:
    """Write the analyst bulletin (2-4 pages): bottom line, key findings, narratives with
    representative testimony, stance, timeline and demographics, counter-messaging themes,
    recommendations, methods. HTML is one self-contained file; PDF is laid out by WeasyPrint."""
    options = BriefOptions(org=org, contact=contact, since=since, region=region)
    with open_store(create=False) as store:
        path = write_brief(store, out, options=options)
    console.print(f"brief  {path}")


@fail_cleanly
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv, parquet, jsonl, qdpx (REFI-QDA project), qdc or codebook-csv (Taguette).",
        ),
    ],
    out: Annotated[Path, typer.Option(help="The file to write.")],
) -> None:
    """Export the store: csv/parquet (one row per passage x code, with the case's attributes),
    jsonl (reads back with `defectio import`), qdpx (a REFI-QDA project for NVivo, ATLAS.ti,
    MAXQDA, QualCoder), qdc (the codebook as REFI-QDA) or codebook-csv (the codebook as the CSV
    Taguette imports); `defectio import` reads either codebook back. Columns: docs/exports.md."""
    with open_store(create=False) as store:
        path = export_corpus(store.corpus(), store.codebook(), fmt, out)
    console.print(f"{fmt}  {path}")
