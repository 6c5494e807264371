"""Options and console helpers shared by every command module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parcelaudit.paths import DEFAULT_DB

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    Path,
    typer.Option("--db", help="DuckDB store file (created on first use).", envvar="PARCELAUDIT_DB"),
]
DEFAULT_DB_PATH = DEFAULT_DB


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
