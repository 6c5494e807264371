"""Options and console helpers shared by every command module.

User text (names, paths, headers, error messages quoting them) goes through `rich_text` before it reaches a
rich markup string, table cell or progress description: `[/]` is data, not a tag, and control characters
are shown, not obeyed (parcelaudit.text_safety).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parcelaudit.errors import ParcelAuditError
from parcelaudit.paths import DEFAULT_DB
from parcelaudit.text_safety import rich_text

__all__ = ["console", "err_console", "print_error", "progress_bar", "rich_text"]

console = Console()
err_console = Console(stderr=True)


def existing_store(path: Path) -> Path:
    """Refuse a --db path that holds no store (a typo must not silently create an empty one)."""
    from parcelaudit.errors import StoreError

    if not path.exists():
        raise StoreError(
            "no store at this path",
            file=str(path),
            hint="check the --db path, or create the store with `parcelaudit ingest FILE --db PATH`",
        )
    return path


# Every command but ingest reads an existing store; ingest creates the store on first use.
DbOption = Annotated[
    Path,
    typer.Option(
        "--db", help="DuckDB store file (must exist).", envvar="PARCELAUDIT_DB", callback=existing_store
    ),
]
NewDbOption = Annotated[
    Path,
    typer.Option("--db", help="DuckDB store file (created on first use).", envvar="PARCELAUDIT_DB"),
]
DEFAULT_DB_PATH = DEFAULT_DB


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
