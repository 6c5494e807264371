"""The export command: the store's canonical tables as Parquet partitioned by arrival day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import DEFAULT_DB_PATH, DbOption, console, progress_bar, rich_text
from parcelaudit.errors import InputError


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InputError(f"{option} {text!r} is not a date", field=option, hint="use YYYY-MM-DD") from error


def export(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet", help="Folder to write: TABLE/arrival_date=YYYY-MM-DD/part-0.parquet + manifest.json."
        ),
    ],
    db: DbOption = DEFAULT_DB_PATH,
    since: Annotated[str | None, typer.Option("--since", help="First arrival day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last arrival day (YYYY-MM-DD).")] = None,
) -> None:
    """Write shipments, lines, orders and payments as Parquet, one folder per arrival day (whole parcels per
    day: lines, orders and payments go with their shipment's day). Same store, byte-identical files."""
    from parcelaudit.partitioned.export import export_parquet, export_rows
    from parcelaudit.store import Store
    from parcelaudit.store.partitions import DayRange

    days = DayRange(_day(since, "--since"), _day(until, "--until"))
    if days.since and days.until and days.since > days.until:
        raise InputError(f"--since {since} is after --until {until}", field="--since", hint="swap them")
    with Store.open(db, read_only=True) as store, progress_bar() as progress:
        tasks = {
            name: progress.add_task(f"export {name}", total=rows)
            for name, rows in export_rows(store, days).items()
        }
        written = export_parquet(store, parquet, days, lambda name, rows: progress.advance(tasks[name], rows))
    summary = Table(title=f"Exported to {rich_text(parquet)}")
    for column in ("table", "days", "rows"):
        summary.add_column(column, justify="left" if column == "table" else "right")
    for name in tasks:
        parts = [part for part in written if part.table == name]
        summary.add_row(name, f"{len(parts):,}", f"{sum(part.rows for part in parts):,}")
    console.print(summary)
    console.print(f"manifest: {rich_text(parquet / 'manifest.json')}")


def register(app: typer.Typer) -> None:
    """Add the export command to the app."""
    app.command()(export)
