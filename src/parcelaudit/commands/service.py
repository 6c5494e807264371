"""Workbench commands: serve, users add, log export / verify / checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from parcelaudit.commands.common import console, err_console, rich_text
from parcelaudit.errors import StoreError
from parcelaudit.store import default_target, is_url

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Store: a DuckDB file (must exist) or a postgresql:// URL.", envvar="PARCELAUDIT_DB"
    ),
]
PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Workbench policy TOML (SLAs, four-eyes, batch size).")
]
KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Checkpoint signing key (default $PARCELAUDIT_LOG_KEY_FILE or ~/.parcelaudit/workbench-log.key).",
    ),
]

users_app = typer.Typer(help="Workbench users, roles and API keys.", no_args_is_help=True)
log_app = typer.Typer(help="The workbench's tamper-evident log.", no_args_is_help=True)


def _target(db: str | None) -> str:
    target = db or default_target()
    if not is_url(target) and not Path(target).exists():
        raise StoreError(
            "no store at this path",
            file=target,
            hint="check the --db path, or create the store with `parcelaudit ingest FILE --db PATH`",
        )
    return target


def _settings(policy: Path | None, key_file: Path | None = None):
    from parcelaudit.service.settings import load_settings

    return load_settings(policy, key_file=key_file)


def serve(
    db: StoreOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    policy: PolicyOption = None,
    key_file: KeyOption = None,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Send the session cookie over HTTPS only (behind TLS).")
    ] = False,
    demo_logins: Annotated[
        bool,
        typer.Option(
            "--demo-logins", help="Create one user per role with a new random password and print them."
        ),
    ] = False,
    trusted_proxy: Annotated[
        str | None,
        typer.Option(
            "--trusted-proxy",
            help="Address of a reverse proxy whose X-Forwarded-For/-Proto headers name the client "
            "(default: none; the client is the connection's address, so no one can choose theirs).",
        ),
    ] = None,
) -> None:
    """Run the review workbench: pages at /, the API under /api/v1, OpenAPI at /openapi.json."""
    run_server(
        _target(db),
        host,
        port,
        _settings(policy, key_file),
        secure_cookies=secure_cookies,
        demo=demo_logins,
        trusted_proxy=trusted_proxy,
    )


def run_server(
    target: str,
    host: str,
    port: int,
    settings,
    *,
    secure_cookies: bool = False,
    demo: bool = False,
    trusted_proxy: str | None = None,
) -> None:
    """Serve the workbench over target until interrupted (printing the demo sign-ins first when asked).
    Forwarding headers are honoured only from trusted_proxy: uvicorn's default trusts them from 127.0.0.1, which
    would let any local client pick the address the sign-in limit counts."""
    from dataclasses import replace

    import uvicorn

    from parcelaudit.service import create_app

    if secure_cookies:
        settings = replace(settings, secure_cookies=True)
    if demo:
        from rich.table import Table

        from parcelaudit.service.demo import demo_logins
        from parcelaudit.store import open_store

        with open_store(target) as store:
            logins = demo_logins(store)
        table = Table(title="Demo sign-ins (new passwords every start)")
        for column in ("name", "role", "password"):
            table.add_column(column)
        for row in logins:
            table.add_row(*row)
        console.print(table)
    app = create_app(target, settings)
    console.print(f"workbench on http://{host}:{port}/ (store {rich_text(target)}); Ctrl-C stops it")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=trusted_proxy is not None,
        forwarded_allow_ips=trusted_proxy or "",
    )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help="viewer | analyst | supervisor | admin")],
    db: StoreOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a browser-login password from standard input.")
    ] = False,
) -> None:
    """Add a user; prints the API key once (only its hash is stored)."""
    from parcelaudit.service import ledger
    from parcelaudit.service.accounts import add_user
    from parcelaudit.store import open_store

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    with open_store(_target(db)) as store:
        user, key = add_user(store, name, role, password)
        ledger.append(
            store,
            _settings(None),
            actor="cli",
            role="admin",
            action="add_user",
            subject=f"user:{user.name}",
            detail={"role": user.role, "password": password is not None},
        )
    console.print(f"user {rich_text(user.name)} ({user.role}) added; API key (shown once, keep it):")
    print(key)


CLI_ACTOR = ("cli", "admin")  # who the log names for changes made from the command line


@users_app.command("revoke-key")
def users_revoke_key(
    name: Annotated[str, typer.Argument(help="The user whose keys to revoke.")],
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="Revoke only this key (the part after `pa_`).")
    ] = None,
    db: StoreOption = None,
) -> None:
    """Revoke a user's API keys (all active ones, or --key-id); recorded in the log. A running server on a
    PostgreSQL store refuses the key within 5 s (on DuckDB, use POST /api/v1/users/NAME/revoke-key)."""
    from parcelaudit.service.accounts import User, revoke_keys
    from parcelaudit.store import open_store

    with open_store(_target(db)) as store:
        revoked = revoke_keys(store, _settings(None), User(0, *CLI_ACTOR), name, key_id)
    console.print(f"revoked {len(revoked)} key(s) of {rich_text(name)}: {', '.join(revoked)}")


@users_app.command("rotate-key")
def users_rotate_key(
    name: Annotated[str, typer.Argument(help="The user to give a new key.")],
    db: StoreOption = None,
) -> None:
    """Give a user a new API key and revoke the older ones; prints the new key once; recorded in the log."""
    from parcelaudit.service.accounts import User, rotate_key
    from parcelaudit.store import open_store

    with open_store(_target(db)) as store:
        key, revoked = rotate_key(store, _settings(None), User(0, *CLI_ACTOR), name)
    console.print(
        f"new key for {rich_text(name)} (shown once, keep it); revoked: {', '.join(revoked) or 'none'}"
    )
    print(key)


def _set_disabled(name: str, db: str | None, disabled: bool) -> None:
    from parcelaudit.service.accounts import User, set_disabled
    from parcelaudit.store import open_store

    with open_store(_target(db)) as store:
        changed = set_disabled(store, _settings(None), User(0, *CLI_ACTOR), name, disabled)
    state = "disabled" if disabled else "enabled"
    console.print(f"{rich_text(name)} {state}" if changed else f"{rich_text(name)} was already {state}")


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    db: StoreOption = None,
) -> None:
    """Disable a user: their API keys and browser sessions stop working (a running server on a PostgreSQL
    store within 5 s; on DuckDB use POST /api/v1/users/NAME/disable); nothing is deleted; logged."""
    _set_disabled(name, db, True)


@users_app.command("enable")
def users_enable(
    name: Annotated[str, typer.Argument(help="The user to enable again.")],
    db: StoreOption = None,
) -> None:
    """Enable a disabled user again (their unrevoked keys work again; they sign in anew); logged."""
    _set_disabled(name, db, False)


@log_app.command("export")
def log_export(
    out: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")],
    db: StoreOption = None,
    key_file: KeyOption = None,
    checkpoint: Annotated[
        bool, typer.Option("--checkpoint/--no-checkpoint", help="Sign the newest entry before exporting.")
    ] = True,
) -> None:
    """Write every log entry and checkpoint to a JSON Lines file (signing the newest entry first)."""
    from parcelaudit.outputs import atomic_path
    from parcelaudit.service import ledger
    from parcelaudit.store import open_store

    with open_store(_target(db)) as store:
        if checkpoint:
            ledger.checkpoint(store, _settings(None, key_file))
        count = 0
        with atomic_path(out) as temporary, temporary.open("w", encoding="utf-8", newline="\n") as handle:
            for line in ledger.export_lines(store):
                handle.write(line + "\n")
                count += 1
    console.print(f"{count} line(s) -> {rich_text(out)}")


@log_app.command("verify")
def log_verify(
    file: Annotated[
        Path | None, typer.Option("--file", help="An exported log (default: the store's own log).")
    ] = None,
    db: StoreOption = None,
    key_file: KeyOption = None,
) -> None:
    """Check the hash chain and the signed checkpoints; exit 0 when intact, 1 naming the first bad entry."""
    from parcelaudit.service import ledger
    from parcelaudit.store import open_store

    settings = _settings(None, key_file)
    key = ledger.load_key(settings.key_file)
    if file is not None:
        entries, marks = ledger.read_export(file)
        verdict = ledger.verify_entries(entries, marks, key)
        where = str(file)
    else:
        with open_store(_target(db), read_only=not is_url(_target(db))) as store:
            verdict = ledger.verify_store(store, key)
        where = _target(db)
    for note in verdict.notes:
        err_console.print(f"note: {rich_text(note)}", highlight=False)
    if not verdict.ok:
        err_console.print(
            f"[bold red]log damaged[/]: {rich_text(where)}: {rich_text(verdict.problem)}", highlight=False
        )
        raise typer.Exit(1)
    console.print(
        f"log intact: {verdict.entries} entries, {verdict.checkpoints} checkpoint(s), "
        f"{verdict.signed} signature(s) checked ({rich_text(where)})"
    )


@log_app.command("dispositions")
def log_dispositions(
    out: Annotated[Path, typer.Option("--out", help="Dispositions CSV to write (screen-dispose format).")],
    db: StoreOption = None,
) -> None:
    """Write the analysts' verdicts on hits recorded in the workbench as a dispositions CSV, for
    `parcelaudit check --dispositions FILE` and `parcelaudit screen --dispositions FILE`."""
    from parcelaudit.service.dispositions import write_dispositions
    from parcelaudit.store import open_store

    with open_store(_target(db), read_only=not is_url(_target(db))) as store:
        count = write_dispositions(store, out)
    console.print(f"{count} disposition(s) -> {rich_text(out)}")


@log_app.command("checkpoint")
def log_checkpoint(db: StoreOption = None, key_file: KeyOption = None) -> None:
    """Sign the newest log entry now."""
    from parcelaudit.service import ledger
    from parcelaudit.store import open_store

    with open_store(_target(db)) as store:
        row = ledger.checkpoint(store, _settings(None, key_file))
    console.print(f"checkpoint at entry {row['seq']}" if row else "nothing new to sign")


def register(app: typer.Typer) -> None:
    """Add the workbench commands to the CLI."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(log_app, name="log")


__all__ = ["register"]
