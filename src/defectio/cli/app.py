"""The shared parts of the command line: the Typer app, the global ``--db`` option, consoles,
progress bars, and the one place errors are turned into a clear line and exit code 1."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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

from defectio import __version__
from defectio.coding.registry import REGISTRY
from defectio.errors import DefectioError
from defectio.store.repo import Store, default_db_url

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


def progress_bar(total: int, description: str, *, in_bytes: bool = False) -> Progress:
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns.append(DownloadColumn() if in_bytes else MofNCompleteColumn())
    columns.append(TimeRemainingColumn())
    return Progress(
        *columns, console=err_console, transient=True, disable=not err_console.is_terminal
    )


def notify(notices: Iterable[str]) -> None:
    """Print each distinct notice once, on stderr."""
    for notice in sorted(set(notices)):
        err_console.print(f"[yellow]notice[/] {notice}", highlight=False, soft_wrap=True)
