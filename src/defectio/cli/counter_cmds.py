"""Commands for counter-messaging: answer one recruiting claim, or plan a week-by-week
response to a stream of recruiting posts."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from defectio.analysis.counts import latest_machine_run
from defectio.cli.app import console, err_console, fail_cleanly, notify, progress_bar, state
from defectio.counter import CounterIndex, MessagePack, answer, build_index, reference_index
from defectio.counter.monitor import CSV_COLUMNS, csv_rows, plan
from defectio.store.repo import Store
from defectio.workflow import coder_for_store

DB_HELP = (
    "Answer from this store (a database URL or SQLite path) instead of the bundled reference "
    "corpus; overrides the global --db. Default: the global --db, else $DEFECTIO_DB, else the "
    "bundled 2014-2015 corpus coded by the default coder."
)
AUDIENCE_HELP = (
    "Who the message is for, as region=...,gender=...,lang=... (any subset), e.g. "
    "'region=Western Europe,gender=f,lang=fr'. Matching speakers rank first; lang defaults to "
    "the claim's language."
)
UNRENOUNCED_HELP = (
    "Also use testimony from cases coded as still backing the cause (the codebook's "
    "counter_gate code); such answers are flagged UNRENOUNCED."
)


def _store_url(db: str | None) -> str | None:
    return db or state.db or os.environ.get("DEFECTIO_DB") or None


@contextmanager
def counter_index(db: str | None) -> Iterator[CounterIndex]:
    """The store's testimony indexed for this command, or the cached reference index."""
    url = _store_url(db)
    if url is None:
        with err_console.status("indexing the reference corpus", spinner="dots"):
            yield reference_index()
        return
    store = Store(url, create=False)
    try:
        with err_console.status("indexing the store's testimony", spinner="dots"):
            corpus, coder = store.corpus(), coder_for_store(store, None)
            index = build_index(corpus, store.codebook(), coder)
        if latest_machine_run(corpus) is None and corpus.passages:
            notify(
                [
                    f"the store has no coding run: its passages were coded in memory with "
                    f"{coder.name}.{coder.version} for this answer; `defectio code` keeps "
                    "them for people to review"
                ]
            )
        yield index
    finally:
        store.dispose()


def _print_pack(pack: MessagePack) -> None:
    console.print(f"[bold]claim[/] {escape(pack.claim)}  [dim]({pack.lang or 'language?'})[/]")
    if pack.fallback:
        console.print(f"[yellow]{escape(pack.fallback_note)}[/]", soft_wrap=True)
    for j in pack.join:
        how = "" if j.decided else f" [yellow](inferred{' via ' + j.via if j.via else ''})[/]"
        ev = f'  evidence: "{escape(" … ".join(j.evidence))}"' if j.evidence else ""
        console.print(f"  pulls: [bold]{j.code}[/] ({escape(j.label)}) p={j.p:.2f}{how}{ev}")
    for k, a in enumerate(pack.answers, start=1):
        flag = " [bold red]UNRENOUNCED[/]" if a.unrenounced else ""
        console.print(
            f"\n[bold]{k}.[/] {a.case_id} · {escape(a.alias)}{flag}  "
            f"[dim]score {a.score:.3f} · {', '.join(a.codes)}[/]"
        )
        console.print(f"   {escape(a.text)}", soft_wrap=True)
        console.print(f"   [italic]why[/] {escape(a.why)}", soft_wrap=True)
        if a.source_url:
            console.print(f"   [dim]source {escape(a.source_url)}[/]", soft_wrap=True)
    if pack.themes:
        console.print("\n[bold]themes[/]")
    for t in pack.themes:
        console.print(f"  {t.code}: {escape(t.theme)}", soft_wrap=True)


@fail_cleanly
def counter(
    claim: Annotated[
        str, typer.Argument(help="The recruiting claim, in any of the codebook's languages.")
    ],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
    audience: Annotated[
        str | None, typer.Option("--audience", help=AUDIENCE_HELP, show_default=False)
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, max=100, help="How many answers.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    include_unrenounced: Annotated[
        bool, typer.Option("--include-unrenounced", help=UNRENOUNCED_HELP)
    ] = False,
) -> None:
    """Answer a recruiting claim with the testimony that contradicts it: the join narratives
    it carries, passages from several cases that answer them (with why, from the codebook)
    and a theme line per answering narrative. When no join narrative is read, the most
    relevant testimony across the exit narratives answers, and the pack says so ("fallback")."""
    with counter_index(db) as index:
        pack = answer(index, claim, audience=audience, n=n, include_unrenounced=include_unrenounced)
    notify(pack.notices)
    if as_json:
        print(json.dumps(pack.as_json(), ensure_ascii=False))
        return
    _print_pack(pack)


@fail_cleanly
def counter_batch(
    posts: Annotated[
        Path,
        typer.Argument(
            help="JSONL, one post a line: 'text', a date in 'date' or 'created_at' "
            "(YYYY-MM-DD, ISO 8601, 'Wed Oct 10 20:19:24 +0000 2018' or Unix seconds), "
            "optional 'lang'."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the plan (CSV).")],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
    date_field: Annotated[
        str | None,
        typer.Option(
            "--date-field", help="Read the date from this field instead.", show_default=False
        ),
    ] = None,
    per_theme: Annotated[
        int, typer.Option("--per-theme", min=1, max=20, help="Passages per theme and week.")
    ] = 3,
    include_unrenounced: Annotated[
        bool, typer.Option("--include-unrenounced", help=UNRENOUNCED_HELP)
    ] = False,
) -> None:
    """Monitor mode: code a stream of recruiting posts for join narratives and write, for each
    ISO week, the counter-themes to push (most answered first) and the testimony to push them
    with (passage ids, case ids, aliases)."""
    size = posts.stat().st_size if posts.is_file() else 0
    with counter_index(db) as index, progress_bar(size, "coding posts") as bar:
        task = bar.add_task("coding posts", total=None)
        result = plan(
            index,
            posts,
            date_field=date_field,
            per_theme=per_theme,
            include_unrenounced=include_unrenounced,
            progress=lambda k: bar.advance(task, k),
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(result))
    notify(result.notices)
    err_console.print(
        f"{result.posts} posts over {result.weeks} weeks, {result.posts_with_join} carrying a "
        f"join narrative; {len(result.rows)} theme-weeks -> {out}",
        highlight=False,
        soft_wrap=True,
    )
