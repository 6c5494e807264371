"""Foundation commands: generate, ingest, status, demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import (
    DEFAULT_DB_PATH,
    DbOption,
    console,
    err_console,
    progress_bar,
    rich_text,
)
from parcelaudit.errors import InputError


def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV files.")] = Path("generated"),
    parcels: Annotated[int, typer.Option("--parcels", min=1, help="Number of parcels.")] = 10_000,
    days: Annotated[int, typer.Option("--days", min=1, help="Number of arrival days.")] = 240,
    start: Annotated[str, typer.Option("--start", help="First arrival date (YYYY-MM-DD).")] = "2025-03-01",
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same files.")] = 7,
    rate: Annotated[
        float, typer.Option("--rate", min=0.0, max=0.05, help="Share of parcels per injected kind.")
    ] = 0.001,
) -> None:
    """Write a realistic dataset (shipments, lines, orders, payments) and truth.csv of injected problems."""
    from parcelaudit.generate import generate_dataset

    try:
        first_day = date.fromisoformat(start)
    except ValueError as error:
        raise InputError(
            f"--start {start!r} is not a date", field="--start", hint="use YYYY-MM-DD"
        ) from error
    with console.status(f"generating {parcels:,} parcels"):
        summary = generate_dataset(out, parcels=parcels, days=days, start=first_day, seed=seed, rate=rate)
    table = Table(
        title=f"Generated {summary['start']} to {summary['end']} in {summary['seconds']} s -> {out}"
    )
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, count in summary["rows"].items():
        table.add_row(f"{name}.csv", f"{count:,}")
    console.print(table)
    injected = ", ".join(f"{kind} {count}" for kind, count in summary["injected"].items() if count)
    console.print(f"injected problems: {injected}")
    for kind, reason in summary["skipped"].items():
        console.print(f"[yellow]not injected[/]: {kind}: {reason}")


def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV, JSON Lines or Parquet files.")],
    db: DbOption = DEFAULT_DB_PATH,
    table: Annotated[
        str | None,
        typer.Option(
            "--table", help="Force the table: shipments, lines, orders, payments or flat (shipments + lines)."
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Force the format: csv, jsonl or parquet.")
    ] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding if not UTF-8.")] = None,
    rejects_dir: Annotated[Path, typer.Option("--rejects-dir", help="Where rejects CSVs go.")] = Path(
        "rejects"
    ),
) -> None:
    """Validate and store files; rejected rows go to a rejects CSV with file, row, field, value and reason."""
    from parcelaudit.ingest import ingest_file
    from parcelaudit.store import Store

    summary = Table(title=f"Ingested into {rich_text(db)}")
    for column in ("file", "tables", "read", "stored", "duplicates", "rejected", "rejects file"):
        summary.add_column(
            column, justify="right" if column in ("read", "stored", "duplicates", "rejected") else "left"
        )
    with Store.open(db) as store, progress_bar() as progress:
        for path in files:
            task = progress.add_task(rich_text(path.name), total=None)
            result = ingest_file(
                store,
                path,
                table=table,
                fmt=fmt,
                encoding=encoding,
                rejects_dir=rejects_dir,
                on_progress=lambda n, t=task: progress.advance(t, n),
            )
            progress.remove_task(task)
            if result.already_imported:
                summary.add_row(
                    rich_text(path.name),
                    ",".join(result.tables),
                    "-",
                    "0",
                    "all",
                    "0",
                    f"already imported (import {result.import_id})",
                )
                continue
            summary.add_row(
                rich_text(path.name),
                ",".join(result.tables),
                f"{result.rows_read:,}",
                f"{result.rows_stored:,}",
                f"{result.rows_duplicate:,}",
                f"{result.rows_rejected:,}",
                rich_text(result.rejects_path or ""),
            )
    console.print(summary)


def status(db: DbOption = DEFAULT_DB_PATH) -> None:
    """Show what the store holds: rows per table, date range, imports and rejects."""
    from parcelaudit.store import Store

    with Store.open(db, read_only=True) as store:
        counts = store.counts()
        table = Table(title=f"{rich_text(db)} (schema version {store.schema_version()})")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, count in counts.items():
            if name != "schema_migrations":
                table.add_row(name, f"{count:,}")
        console.print(table)
        if counts.get("shipments"):
            low, high = store.con.execute(
                "SELECT min(arrival_date), max(arrival_date) FROM shipments"
            ).fetchone()
            console.print(f"arrivals from {low} to {high}")
        recent = store.con.execute(
            "SELECT import_id, source_path, finished_at, rows_read, rows_stored, rows_duplicate, rows_rejected "
            "FROM imports ORDER BY import_id DESC LIMIT 10"
        ).fetchall()
        if recent:
            imports = Table(title="Latest imports")
            for column in ("id", "file", "finished (UTC)", "read", "stored", "dupl.", "rejected"):
                imports.add_column(column)
            for row in recent:
                imports.add_row(*[rich_text(v) for v in row])
            console.print(imports)


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's data, store and reports.")] = Path(
        "demo-out"
    ),
    parcels: Annotated[int, typer.Option("--parcels", min=100, help="Parcels to generate.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Run the main job end to end on generated data: generate, ingest, check, and every report."""
    from parcelaudit.demo import run_demo

    run_demo(out, parcels=parcels, seed=seed, console=console, err_console=err_console)


def register(app: typer.Typer) -> None:
    """Add the foundation commands to the CLI."""
    app.command()(generate)
    app.command()(ingest)
    app.command()(status)
    app.command()(demo)
