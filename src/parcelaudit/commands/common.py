"""Options and console helpers shared by every command module.

User text (names, paths, headers, error messages quoting them) goes through `rich_text` before it reaches a
rich markup string, table cell or progress description: `[/]` is data, not a tag, and control characters
are shown, not obeyed (parcelaudit.text_safety).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from parcelaudit.errors import ParcelAuditError
from parcelaudit.paths import DEFAULT_DB
from parcelaudit.text_safety import rich_text

__all__ = ["console", "err_console", "print_error", "progress_bar", "rich_text"]

console = Console()
err_console = Console(stderr=True)


def existing_store(target: str) -> str:
    """Refuse a --db that holds no store (a typo must not silently create an empty one): a file that does
    not exist, or a postgresql:// URL whose schema has no migrations table."""
    from parcelaudit.errors import StoreError
    from parcelaudit.store import is_url, shown_target, store_exists

    if not store_exists(target):
        raise StoreError(
            "no store in this PostgreSQL schema" if is_url(str(target)) else "no store at this path",
            file=shown_target(target),
            hint="check --db, or create the store with `parcelaudit ingest FILE --db TARGET` "
            "(or `parcelaudit store migrate --db TARGET`)",
        )
    return target


STORE_HELP = "a DuckDB file, or a postgresql://host/db?schema=NAME URL"
# Every command but ingest reads an existing store; ingest creates the store on first use.
DbOption = Annotated[
    str,
    typer.Option(
        "--db", help=f"Store ({STORE_HELP}); must exist.", envvar="PARCELAUDIT_DB", callback=existing_store
    ),
]
NewDbOption = Annotated[
    str,
    typer.Option("--db", help=f"Store ({STORE_HELP}); created on first use.", envvar="PARCELAUDIT_DB"),
]
DEFAULT_DB_PATH = str(DEFAULT_DB)


def print_error(error: ParcelAuditError) -> None:
    """Print a user error on one line, its text shown as data (it may quote a header, a name or a path)."""
    err_console.print(f"[bold red]error:[/] {rich_text(error)}", highlight=False, soft_wrap=True)


def progress_bar(transient: bool = True):
    """A rich progress bar with a spinner, counts, rate and elapsed time."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
    )
