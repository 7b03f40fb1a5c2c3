"""The ``defectio`` command line: thin wrappers over the core and the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from defectio import __version__
from defectio.analysis.counts import Basis, code_counts, stats_summary
from defectio.codebook import Codebook, bundled_codebooks, load_codebook
from defectio.coding.evaluate import evaluate
from defectio.coding.files import code_file as code_jsonl
from defectio.coding.registry import REGISTRY, build_coder
from defectio.coding.training import read_examples
from defectio.errors import DefectioError
from defectio.ingest.importer import import_paths
from defectio.store.repo import Store, default_db_url
from defectio.workflow import (
    code_store,
    coder_for_store,
    run_demo,
    train_for_store,
    write_brief,
)

CODER_HELP = (
    "Registered coder: " + ", ".join(sorted(REGISTRY)) + ". Default: ensemble.v1, trained on "
    "the bundled data on first use and cached."
)

app = typer.Typer(
    help=(
        "defectio: turn the testimony of people who left violent extremist groups "
        "into evidence.\n\n"
        "Start with `defectio demo --out out` to see the whole path on the bundled 2014-2015 "
        "reference corpus, or `defectio init` then `defectio import FILE...` for your own."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
codebook_app = typer.Typer(help="Show and check codebooks.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


class State:
    db: str | None = None


state = State()


def _version(value: bool) -> None:
    if value:
        console.print(f"defectio {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (sqlite:///path.db, postgresql+psycopg://...) or a SQLite path. "
            "Default: $DEFECTIO_DB, else ./defectio.db.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state.db = db


def fail_cleanly(func: Callable[..., T]) -> Callable[..., T]:
    """Print a defectio error as one clear line and exit 1, instead of a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except DefectioError as exc:
            err_console.print(f"[bold red]error[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


@contextmanager
def open_store(create: bool = True) -> Iterator[Store]:
    store = Store(state.db or default_db_url(), create=create)
    try:
        yield store
    finally:
        store.dispose()


def _bar(total: int, description: str, *, in_bytes: bool = False) -> Progress:
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns.append(DownloadColumn() if in_bytes else MofNCompleteColumn())
    columns.append(TimeRemainingColumn())
    return Progress(
        *columns, console=err_console, transient=True, disable=not err_console.is_terminal
    )


@app.command()
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


@app.command("import")
@fail_cleanly
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files to import: .jsonl (reference format), .csv (a passage per row), "
            ".txt/.md (a case per file, YAML front matter), .html, .pdf, .docx.",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import testimony in one transaction: an invalid record anywhere leaves the store as it was.

    Re-importing the same file changes nothing. For .html/.pdf/.docx files, case fields come
    from a sidecar `NAME.case.yaml` beside the file.
    """
    total = sum(p.stat().st_size for p in paths if p.is_file())
    with open_store() as store, _bar(total, "importing", in_bytes=True) as bar:
        task = bar.add_task("importing", total=total)
        report = import_paths(store, paths, progress=lambda n: bar.advance(task, n))
    if as_json:
        print(json.dumps(report.as_dict()))
        return
    table = Table(title="import", show_edge=False)
    table.add_column("")
    for col in ("added", "updated", "unchanged"):
        table.add_column(col, justify="right")
    for kind, counts in report.counts.items():
        table.add_row(kind, *(str(counts[c]) for c in ("added", "updated", "unchanged")))
    console.print(table)


@app.command()
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
    console.print(_prevalence_table(store))


def _prevalence_table(store: Store) -> Table:
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


@app.command()
@fail_cleanly
def code(
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    only_uncoded: Annotated[
        bool, typer.Option("--only-uncoded", help="Skip passages this coder has already coded.")
    ] = False,
) -> None:
    """Code the store's passages; suggestions are stored with the run's id, for people to review."""
    with open_store(create=False) as store:
        built = coder_for_store(store, coder)
        total = len(store.passages(only_uncoded_by=built.name if only_uncoded else None))
        with _bar(total, "coding") as bar:
            task = bar.add_task(f"coding with {built.name}.{built.version}", total=total)
            report = code_store(
                store, built, only_uncoded=only_uncoded, progress=lambda n: bar.advance(task, n)
            )
    _notify(report.notices)
    console.print(
        f"run {report.run_id}: {report.coder} coded {report.passages} passages, "
        f"{report.suggestions} suggestions"
    )


def _notify(notices: Iterable[str]) -> None:
    for notice in sorted(set(notices)):
        err_console.print(f"[yellow]notice[/] {notice}", highlight=False, soft_wrap=True)


@app.command("code-file")
@fail_cleanly
def code_file(
    source: Annotated[Path, typer.Argument(help="JSONL input; each line needs 'text'.")],
    out: Annotated[Path, typer.Option("--out", help="JSONL output; '-' for stdout.")],
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    codebook: Annotated[str, typer.Option(help="Codebook id or YAML path.")] = "icsr2015",
) -> None:
    """Code a JSONL file without a store, streaming: each output line adds
    `codes: [{code, p, evidence: [[start, end], ...]}]` and `lang`."""
    built = build_coder(coder, load_codebook(codebook))
    size = source.stat().st_size if source.is_file() else 0
    with _bar(size, "coding") as bar:
        task = bar.add_task("coding", total=None)
        if str(out) == "-":
            n, notices = code_jsonl(
                built, source, sys.stdout, progress=lambda k: bar.advance(task, k)
            )
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as handle:
                n, notices = code_jsonl(
                    built, source, handle, progress=lambda k: bar.advance(task, k)
                )
    _notify(notices)
    if str(out) != "-":
        err_console.print(f"coded {n} lines with {built.name}.{built.version} -> {out}")


@app.command()
@fail_cleanly
def train(
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    from_: Annotated[
        str,
        typer.Option(
            "--from",
            help="reference: the bundled reference and training passages; store: those plus the "
            "codes people accepted in the store (the trained coder then codes that store).",
        ),
    ] = "reference",
) -> None:
    """Train a coder (deterministic; seconds) and cache it for the commands that use it."""
    if from_ not in ("reference", "store"):
        raise DefectioError(f"--from must be 'reference' or 'store', not '{from_}'")
    if from_ == "store":
        with open_store(create=False) as store:
            built, n = train_for_store(store, coder, from_)
    else:
        built, n = train_for_store(None, coder, from_)
    _notify(getattr(built, "notices", ()))
    console.print(f"trained {built.name}.{built.version} on {n} examples ({from_})")


@app.command("eval")
@fail_cleanly
def eval_(
    gold: Annotated[
        Path,
        typer.Option(help="JSONL with 'text' and 'labels' (codes); 'lang' and 'id' optional."),
    ],
    coder: Annotated[str | None, typer.Option(help=CODER_HELP)] = None,
    codebook: Annotated[str, typer.Option(help="Codebook id or YAML path.")] = "icsr2015",
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
) -> None:
    """Score a coder against gold codes: per code support, precision, recall, F1 and Cohen's
    kappa; micro and macro F1; macro F1 per language."""
    book = load_codebook(codebook)
    examples = list(read_examples(gold, book))
    if not examples:
        raise DefectioError(f"{gold}: no examples to evaluate")
    built = build_coder(coder, book)
    codings = built.predict([e.text for e in examples], [e.lang for e in examples])
    langs = [e.lang or c.lang for e, c in zip(examples, codings, strict=True)]
    result = evaluate(
        [e.labels for e in examples],
        [[s.code for s in c.codes] for c in codings],
        book.code_ids,
        langs=langs,
        coder=f"{built.name}.{built.version}",
    )
    if as_json:
        print(json.dumps(result))
        return
    _notify(n for c in codings for n in c.notices)
    table = Table(title=f"{result['coder']} on {gold.name} (n={result['n']})", show_edge=False)
    for col in ("code", "support", "precision", "recall", "F1", "kappa"):
        table.add_column(col, justify="left" if col == "code" else "right")
    for code_id, m in result["per_code"].items():
        table.add_row(
            code_id,
            str(m["support"]),
            f"{m['precision']:.2f}",
            f"{m['recall']:.2f}",
            f"{m['f1']:.2f}",
            f"{m['kappa']:.2f}",
        )
    console.print(table)
    console.print(f"macro F1 {result['macro_f1']:.3f} · micro F1 {result['micro_f1']:.3f}")
    for lang, m in result["per_lang"].items():
        console.print(f"  {lang}: n={m['n']} macro F1 {m['macro_f1']:.3f}")


@app.command()
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


@app.command()
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
    with _bar(0, "coding") as bar:
        task = bar.add_task("coding", total=None)
        result = run_demo(
            out, codebook=codebook, data=data, progress=lambda n: bar.advance(task, n)
        )
    store = Store(f"sqlite:///{result.db_path}", create=False)
    try:
        console.print(_prevalence_table(store))
    finally:
        store.dispose()
    counts = result.imported.counts
    console.print(
        f"imported {counts['cases']['added']} cases, {counts['passages']['added']} passages; "
        f"{result.run.coder} made {result.run.suggestions} suggestions (run {result.run.run_id})"
    )
    console.print(f"store  {result.db_path}")
    console.print(f"brief  {result.brief_path}")


@codebook_app.command("show")
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


@codebook_app.command("validate")
@fail_cleanly
def codebook_validate(path: Annotated[Path, typer.Argument(help="Codebook YAML file.")]) -> None:
    """Check a codebook file; prints the first problem with its key, or a one-line summary."""
    book = load_codebook(path)
    console.print(f"ok  {book.ref}: {len(book)} codes, {len(book.rules)} rules")


@codebook_app.command("list")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
