"""The ``defectio`` command line. Every command is registered here, in one place; the
commands themselves live in modules by area and stay thin over the core and the store."""

from __future__ import annotations

import typer

from defectio.cli import (
    analysis_cmds,
    coding_cmds,
    counter_cmds,
    registry_cmds,
    review_cmds,
    scale_cmds,
    web_cmds,
)
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
app.command()(review_cmds.agreement)

app.command()(counter_cmds.counter)
app.command("counter-batch")(counter_cmds.counter_batch)

app.command()(scale_cmds.batch)

user_app = typer.Typer(
    help="Users of the web app: add (the first admin too), list, change role, disable.",
    no_args_is_help=True,
)
token_app = typer.Typer(
    help="API tokens for scripts (Authorization: Bearer TOKEN): create, list, revoke.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.command()(web_cmds.serve)
user_app.command("add")(web_cmds.user_add)
user_app.command("list")(web_cmds.user_list)
user_app.command("role")(web_cmds.user_role)
user_app.command("disable")(web_cmds.user_disable)
token_app.command("create")(web_cmds.token_create)
token_app.command("list")(web_cmds.token_list)
token_app.command("revoke")(web_cmds.token_revoke)

__all__ = ["app"]
