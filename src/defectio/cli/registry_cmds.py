"""Commands for the registry: create a store, import testimony, codebooks, the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from defectio.cli.analysis_cmds import prevalence_table
from defectio.cli.app import (
    console,
    err_console,
    fail_cleanly,
    open_store,
    progress_bar,
    state,
)
from defectio.codebook import Codebook, Family, bundled_codebooks, load_codebook
from defectio.coding.training import reference_codebook
from defectio.ingest.importer import ImportReport, import_paths
from defectio.interchange.draft import FamilyChoice, load_family_map
from defectio.store.repo import Store, default_db_url
from defectio.workflow import run_demo


@fail_cleanly
def init(
    codebook: Annotated[
        str, typer.Option(help="A bundled codebook id or a path to a codebook YAML file.")
    ] = "icsr2015",
) -> None:
    """Create a store (or migrate an old one), choose its codebook, and create the identity key.

    The key seals identity fields (legal names, contacts) with AES-GCM. It is written beside a
    SQLite store as `NAME.key` with 0600 permissions, unless `DEFECTIO_SECRET_KEY` is set.
    """
    with open_store() as store:
        with store.unit_of_work() as uow:
            book = uow.set_codebook(codebook)
        created = store.ensure_key()
        console.print(f"store  {store.url} (schema {store.revision()})")
        console.print(f"codebook  {book.ref}: {len(book)} codes")
        if created:
            console.print(f"key  {store.key_file} (new, mode 0600: back it up; lost means sealed)")


@fail_cleanly
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files to import: .jsonl (reference format), .csv (a passage per row), "
            ".txt/.md (a case per file, YAML front matter), .html, .pdf, .docx; codebooks: "
            ".qdc (REFI-QDA) or a codebook .csv (tag, description: Taguette's).",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    family: Annotated[
        Family | None,
        typer.Option(help="Family for codebook codes the file does not group under one."),
    ] = None,
    family_map: Annotated[
        Path | None,
        typer.Option(help="YAML file mapping code (or parent code) names to families."),
    ] = None,
) -> None:
    """Import testimony in one transaction: an invalid record anywhere leaves the store as it was.

    Re-importing the same file changes nothing. For .html/.pdf/.docx files, case fields come
    from a sidecar `NAME.case.yaml` beside the file. A codebook file is merged with the
    store's codebook: matching codes keep their indicators, examples and rules.
    """
    mapping = load_family_map(family_map) if family_map is not None else {}
    choice = FamilyChoice(default=family, mapping=mapping)
    total = sum(p.stat().st_size for p in paths if p.is_file())
    with open_store() as store, progress_bar(total, "importing", in_bytes=True) as progress:
        task = progress.add_task("importing", total=total)
        report = import_paths(
            store, paths, progress=lambda n: progress.advance(task, n), families=choice
        )
    if as_json:
        print(json.dumps(report.as_dict()))
        return
    _print_codebooks(report)
    table = Table(title="import", show_edge=False)
    table.add_column("")
    for col in ("added", "updated", "unchanged"):
        table.add_column(col, justify="right")
    for kind, counts in report.counts.items():
        table.add_row(kind, *(str(counts[c]) for c in ("added", "updated", "unchanged")))
    console.print(table)


def _print_codebooks(report: ImportReport) -> None:
    for merged in report.codebooks:
        console.print(
            f"codebook  {merged.ref} from {merged.origin}: {len(merged.kept)} kept, "
            f"{len(merged.added)} added, {len(merged.dropped)} dropped"
            + (f" ({', '.join(merged.dropped)})" if merged.dropped else ""),
            soft_wrap=True,
        )
        if merged.named_definitions:
            console.print(
                f"note: {len(merged.named_definitions)} codes had no description; their names "
                "stand in as definitions",
                soft_wrap=True,
            )
        if merged.unsuggestable:
            err_console.print(
                f"[yellow]warning[/] {len(merged.unsuggestable)} codes arrived that no coder can "
                f"suggest (no indicator phrases or examples): {', '.join(merged.unsuggestable)}",
                highlight=False,
                soft_wrap=True,
            )


@fail_cleanly
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo store and brief.")] = Path("out"),
    codebook: Annotated[
        str | None, typer.Option(help="Codebook id or YAML path (default: icsr2015).")
    ] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option(help="Files to import instead of the bundled reference corpus."),
    ] = None,
) -> None:
    """The whole path on the bundled corpus: fresh store, import, code, brief, prevalence table."""
    with progress_bar(0, "coding") as progress:
        task = progress.add_task("coding", total=None)
        result = run_demo(
            out, codebook=codebook, data=data, progress=lambda n: progress.advance(task, n)
        )
    store = Store(f"sqlite:///{result.db_path}", create=False)
    try:
        console.print(prevalence_table(store))
        in_sample = data is None and store.codebook().id == reference_codebook()
    finally:
        store.dispose()
    if in_sample:
        console.print(
            "note: the default coder was trained on these passages among others, so its agreement "
            "with the people's codes here is in-sample; `python -m bench.quality` gives "
            "cross-validated figures."
        )
    counts = result.imported.counts
    console.print(
        f"imported {counts['cases']['added']} cases, {counts['passages']['added']} passages; "
        f"{result.run.coder} made {result.run.suggestions} suggestions (run {result.run.run_id})"
    )
    console.print(f"store  {result.db_path}")
    console.print(f"brief  {result.brief_path}")
    if result.brief_pdf is not None:
        console.print(f"brief  {result.brief_pdf}")


@fail_cleanly
def codebook_show(
    name: Annotated[
        str | None,
        typer.Argument(help="Codebook id or YAML path; default: the store's codebook, if any."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the codebook as JSON.")] = False,
) -> None:
    """Print a codebook as a table: codes, families, definitions and the counter map."""
    book = _codebook_for(name)
    if as_json:
        print(book.model_dump_json(indent=2))
        return
    table = Table(title=f"{book.name} ({book.ref})", show_lines=True)
    table.add_column("code", style="bold")
    table.add_column("family")
    table.add_column("definition")
    table.add_column("indicators", justify="right")
    for c in book.codes:
        n = sum(len(v) for v in c.indicators.values())
        table.add_row(c.id, c.family.value, c.definition, f"{n} ({', '.join(c.indicators)})")
    console.print(table)
    if book.counter_map:
        cm = Table(title="counter map: a join narrative is answered by", show_edge=False)
        cm.add_column("join")
        cm.add_column("answered by")
        for join, answers in book.counter_map.items():
            cm.add_row(join, ", ".join(answers))
        console.print(cm)


@fail_cleanly
def codebook_validate(path: Annotated[Path, typer.Argument(help="Codebook YAML file.")]) -> None:
    """Check a codebook file; prints the first problem with its key, or a one-line summary."""
    book = load_codebook(path)
    console.print(f"ok  {book.ref}: {len(book)} codes, {len(book.rules)} rules")


def codebook_list() -> None:
    """The codebooks that ship with defectio."""
    for name in bundled_codebooks():
        console.print(name)


def _codebook_for(name: str | None) -> Codebook:
    if name is not None:
        return load_codebook(name)
    url = state.db or default_db_url()
    if "://" not in url or url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[-1])
        if not path.exists():
            return load_codebook()
    with open_store() as store:
        return store.codebook()
