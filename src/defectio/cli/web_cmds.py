"""Commands for the team web app: serve it, manage its users and API tokens."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from defectio.accounts import service
from defectio.accounts.roles import Role
from defectio.cli.app import console, err_console, fail_cleanly, open_store, state
from defectio.errors import InputError
from defectio.store import accounts as rows
from defectio.store.repo import Store, default_db_url

ROLE_HELP = (
    "viewer (reads everything but identities), coder (also codes: accept, reject, add), "
    "reviewer (also agreement and settling disagreements), admin (also users, audit log, "
    "identities)."
)


@fail_cleanly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 exposes it.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite path (default: the global --db).",
            show_default=False,
        ),
    ] = None,
    coder: Annotated[
        str | None,
        typer.Option(
            help="Coder behind POST /api/v1/code and counter search (default: the "
            "store's own, else ensemble.v1; linear.v1 is fastest).",
            show_default=False,
        ),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark the session cookie Secure even without https in sight.")
    ] = False,
    proxy_headers: Annotated[
        bool,
        typer.Option(help="Trust X-Forwarded-Proto/For from a reverse proxy on this machine."),
    ] = False,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log each request's method, path and status (off by default: paths name "
            "cases and carry search terms, and logging every request costs throughput)."
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (one per core helps under load; sessions live in the store, "
            "so any process serves any user).",
        ),
    ] = 1,
) -> None:
    """Run the team web app and the REST API (/api/v1, spec at /api/v1/openapi.json) over a
    store. Create the first user with `defectio user add NAME --role admin --password-stdin`,
    then open http://HOST:PORT/ and sign in."""
    import uvicorn

    from defectio.web import WebSettings, create_app
    from defectio.web.app import prepare_for_serving

    url = db or state.db or default_db_url()
    store = Store(url, create=False)
    if not rows.count_users(store):
        err_console.print(
            "[yellow]notice[/] no users yet: create one with "
            "`defectio user add NAME --role admin --password-stdin`"
        )
    settings = WebSettings(db_url=url, coder=coder, secure_cookies=secure_cookies)
    console.print(
        f"defectio serving {url.split('@')[-1]} on http://{host}:{port}/"
        + (f" with {workers} processes" if workers > 1 else "")
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": "127.0.0.1" if proxy_headers else None,
        "server_header": False,
        "log_level": "info",
        "access_log": access_log,
    }
    if workers == 1:
        uvicorn.run(prepare_for_serving(create_app(settings, store)), **options)
        return
    store.dispose()
    os.environ.update(settings.to_env())  # each worker builds its app from these
    uvicorn.run("defectio.web.app:app_from_env", factory=True, workers=workers, **options)


@fail_cleanly
def user_add(
    name: Annotated[str, typer.Argument(help="Login name (an alias, never a legal name).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "viewer",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
) -> None:
    """Create a user of the web app with a role; the password is read from stdin (so it stays
    out of the shell history) and stored only as an argon2id hash."""
    parsed = Role.parse(role)
    if not password_stdin:
        raise InputError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with open_store() as store:
        user = service.add_user(store, name, parsed, password)
    console.print(f"added user [bold]{user.name}[/] ({user.role.value})")


@fail_cleanly
def user_list() -> None:
    """List the web app's users: name, role, whether active or locked (never a password)."""
    with open_store(create=False) as store:
        found = rows.users(store)
    table = Table(show_edge=False)
    for column in ("name", "role", "active", "locked until", "created"):
        table.add_column(column)
    for u in found:
        table.add_row(
            u.name,
            u.role,
            "yes" if u.active else "no",
            u.locked_until.isoformat(timespec="minutes") if u.locked_until else "",
            u.created_at.date().isoformat(),
        )
    console.print(table)


@fail_cleanly
def user_role(
    name: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
) -> None:
    """Change a user's role (logged in the audit trail)."""
    parsed = Role.parse(role)
    with open_store(create=False) as store, store.unit_of_work() as uow:
        rows.set_role(uow, name, parsed.value)
    console.print(f"{name} is now {parsed.value}")


@fail_cleanly
def user_disable(name: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Disable a user: their sessions end and their tokens stop working (logged)."""
    with open_store(create=False) as store, store.unit_of_work() as uow:
        rows.set_active(uow, name, False)
    console.print(f"{name} is disabled")


@fail_cleanly
def token_create(
    user: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[
        str | None, typer.Option(help="What the token is for.", show_default=False)
    ] = None,
) -> None:
    """Create an API token for a user and print it once: scripts send it as
    `Authorization: Bearer TOKEN`. Only its hash is stored; revoke it with `token revoke`."""
    with open_store(create=False) as store:
        token, record = service.create_token(store, user, label)
    err_console.print(f"token {record.token_id} for {user} (shown once; store it safely):")
    print(token)


@fail_cleanly
def token_list(
    user: Annotated[str | None, typer.Option(help="Only this user's.", show_default=False)] = None,
) -> None:
    """List API tokens by id, user, prefix and whether revoked (never the token itself)."""
    with open_store(create=False) as store:
        found = rows.tokens(store, user)
    table = Table(show_edge=False)
    for column in ("id", "user", "prefix", "label", "created", "revoked"):
        table.add_column(column)
    for t in found:
        table.add_row(
            str(t.token_id),
            t.user,
            t.prefix + "…",
            t.label or "",
            t.created_at.isoformat(timespec="minutes"),
            t.revoked_at.isoformat(timespec="minutes") if t.revoked_at else "",
        )
    console.print(table)


@fail_cleanly
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token by id (see `token list`); requests with it get 401 from now on."""
    with open_store(create=False) as store:
        service.revoke_token(store, token_id)
    console.print(f"token {token_id} revoked")
