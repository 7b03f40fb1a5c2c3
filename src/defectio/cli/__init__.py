"""The ``defectio`` command line. Every command is registered here, in one place; the
commands themselves live in modules by area and stay thin over the core and the store."""

from __future__ import annotations

import typer

from defectio.cli import analysis_cmds, coding_cmds, counter_cmds, registry_cmds, scale_cmds
from defectio.cli.app import app

codebook_app = typer.Typer(
    help="Show, check and list codebooks: the codes, their definitions and the counter map.",
    no_args_is_help=True,
)
app.add_typer(codebook_app, name="codebook")

app.command()(registry_cmds.init)
app.command("import")(registry_cmds.import_)
app.command()(registry_cmds.demo)
codebook_app.command("show")(registry_cmds.codebook_show)
codebook_app.command("validate")(registry_cmds.codebook_validate)
codebook_app.command("list")(registry_cmds.codebook_list)

app.command()(coding_cmds.code)
app.command("code-file")(coding_cmds.code_file)
app.command()(coding_cmds.train)
app.command("eval")(coding_cmds.eval_)

app.command()(analysis_cmds.stats)
app.command()(analysis_cmds.brief)
app.command()(analysis_cmds.export)

app.command()(counter_cmds.counter)
app.command("counter-batch")(counter_cmds.counter_batch)

app.command()(scale_cmds.batch)

__all__ = ["app"]
