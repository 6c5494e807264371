"""Foundation commands: generate, ingest, status, demo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import (
    DEFAULT_DB_PATH,
    STORE_HELP,
    DbOption,
    NewDbOption,
    console,
    err_console,
    progress_bar,
    rich_text,
)
from parcelaudit.errors import InputError

if TYPE_CHECKING:
    from parcelaudit.ingest.importer import ImportResult


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
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV, JSON Lines, Parquet or .xlsx files, or folders of Parquet files in arrival_date=YYYY-MM-DD folders (as `export --parquet` writes)."
        ),
    ],
    db: NewDbOption = DEFAULT_DB_PATH,
    table: Annotated[
        str | None,
        typer.Option(
            "--table", help="Force the table: shipments, lines, orders, payments or flat (shipments + lines)."
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Force the format: csv, jsonl, parquet or xlsx.")
    ] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding if not UTF-8.")] = None,
    rejects_dir: Annotated[Path, typer.Option("--rejects-dir", help="Where rejects CSVs go.")] = Path(
        "rejects"
    ),
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Mapping file (TOML): [columns], date_format, currency...")
    ] = None,
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest-map", help="Write a proposed mapping file for each FILE instead of importing."
        ),
    ] = False,
    map_out: Annotated[
        Path | None, typer.Option("--map-out", help="Where --suggest-map writes (default FILE.map.toml).")
    ] = None,
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="strftime format of the dates, e.g. %m/%d/%Y.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Worksheet of an .xlsx (default: first).")
    ] = None,
    max_reject_rate: Annotated[
        float,
        typer.Option(
            "--max-reject-rate", min=0.0, max=1.0, help="Share of rejected records that still exits 0."
        ),
    ] = 0.0,
) -> None:
    """Validate and store files; rejected rows go to a rejects CSV with file, row, field, value and reason.

    Exits 1 when the share of rejected records of any file is above --max-reject-rate (default 0).
    """
    from parcelaudit.ingest.mapping import check_date_format, load_map
    from parcelaudit.store import Store, shown_target

    if suggest:
        _suggest_maps(files, fmt, encoding, sheet, map_out)
        return
    column_map = load_map(map_file) if map_file else None
    if date_format:
        check_date_format(date_format, "--date-format", "")
    summary = Table(title=f"Ingested into {rich_text(shown_target(db))}")
    for column in ("file", "tables", "read", "shipments", "lines", "duplicates", "rejected", "rejects file"):
        summary.add_column(
            column, justify="left" if column in ("file", "tables", "rejects file") else "right"
        )
    over_limit: list[str] = []
    notes: list[str] = []
    options = {"table": table, "encoding": encoding, "rejects_dir": rejects_dir}
    options.update(column_map=column_map, date_format=date_format, sheet=sheet)
    rows: dict[tuple[str, str], _SummaryRow] = {}
    with Store.open(db) as store, progress_bar() as progress:
        for name, group, result in _imports(store, files, fmt, options, progress):
            rows.setdefault(group, _SummaryRow(group[0])).add(result)
            notes.extend(f"{name}: {note}" for note in result.notes if f"{name}: {note}" not in notes)
            rate = result.rows_rejected / result.rows_read if result.rows_read else 0.0
            if result.rows_rejected and rate > max_reject_rate:
                over_limit.append(
                    f"{name}: {result.rows_rejected:,} of {result.rows_read:,} records rejected "
                    f"({rate:.1%}, --max-reject-rate {max_reject_rate:.1%}); see {result.rejects_path}"
                )
    for row in rows.values():
        summary.add_row(*row.cells())
    console.print(summary)
    for note in notes:
        err_console.print(f"note: {rich_text(note)}", highlight=False, soft_wrap=True)
    for line in over_limit:
        err_console.print(f"[bold red]rejected:[/] {rich_text(line)}", highlight=False, soft_wrap=True)
    if over_limit:
        raise typer.Exit(1)


class _SummaryRow:
    """One row of the ingest summary: a file, or one table of a partitioned folder (its files added up)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tables: list[str] = []
        self.files = self.already = 0
        self.read = self.shipments = self.lines = self.duplicates = self.rejected = 0
        self.rejects: list[str] = []
        self.import_id: int | None = None

    def add(self, result: ImportResult) -> None:
        """Count one file's import."""
        self.files += 1
        self.tables = self.tables or result.tables
        if result.already_imported:
            self.already += 1
            self.import_id = result.import_id
            return
        self.read += result.rows_read
        self.shipments += result.shipments_stored
        self.lines += result.lines_stored
        self.duplicates += result.rows_duplicate
        self.rejected += result.rows_rejected
        if result.rejects_path:
            self.rejects.append(str(result.rejects_path))

    def cells(self) -> list[str]:
        """The row's cells: file, tables, read, shipments, lines, duplicates, rejected, rejects file."""
        name = rich_text(self.name if self.files == 1 else f"{self.name} ({self.files:,} files)")
        if self.already == self.files:
            said = f"import {self.import_id}" if self.files == 1 else "every file"
            return [name, ",".join(self.tables), "-", "0", "0", "all", "0", f"already imported ({said})"]
        rejects = (
            self.rejects[0]
            if len(self.rejects) == 1
            else f"{len(self.rejects)} files"
            if self.rejects
            else ""
        )
        if self.already:
            rejects = f"{rejects} ({self.already:,} files already imported)".strip()
        counts = (self.read, self.shipments, self.lines, self.duplicates, self.rejected)
        return [name, ",".join(self.tables), *(f"{n:,}" for n in counts), rich_text(rejects)]


def _imports(
    store, files: list[Path], fmt: str | None, options: dict, progress
) -> Iterator[tuple[str, tuple[str, str], ImportResult]]:
    """Import each FILE (a folder: every part file of its hive arrival_date= layout), yielding (file name,
    summary row it adds to as (label, identity), result), with a progress bar per file."""
    from parcelaudit.ingest import ingest_file
    from parcelaudit.ingest.partitioned import is_partitioned

    for index, path in enumerate(files):
        if is_partitioned(path):
            yield from _folder_imports(store, path, options, progress)
            continue
        task = progress.add_task(rich_text(path.name), total=None)
        result = ingest_file(
            store, path, fmt=fmt, on_progress=lambda n, t=task: progress.advance(t, n), **options
        )
        progress.remove_task(task)
        yield path.name, (path.name, f"file {index}"), result


def _folder_imports(store, folder: Path, options: dict, progress):
    """Import the part files of one folder with one progress bar counting files."""
    from parcelaudit.ingest.partitioned import ingest_partitioned, partition_sources

    task = progress.add_task(rich_text(folder.name), total=len(partition_sources(folder)))
    for source, result in ingest_partitioned(store, folder, **options):
        progress.advance(task, 1)
        yield (
            f"{folder.name}/{source.name}",
            (f"{folder.name}/{source.table or 'parts'}", str(folder)),
            result,
        )
    progress.remove_task(task)


def _suggest_maps(
    files: list[Path], fmt: str | None, encoding: str | None, sheet: str | None, map_out: Path | None
) -> None:
    from parcelaudit.ingest.readers import inspect_source
    from parcelaudit.ingest.suggest import write_suggestion

    if map_out is not None and len(files) > 1:
        raise InputError("--map-out names one file; pass one FILE with it", field="--map-out")
    for path in files:
        info = inspect_source(path, fmt, encoding, sheet)
        out, unplaced = write_suggestion(info, map_out or Path(f"{path.stem}.map.toml"))
        console.print(
            f"wrote {rich_text(out)}: edit it, then `parcelaudit ingest {rich_text(path.name)} --map {rich_text(out)}`"
        )
        if unplaced:
            console.print(
                f"columns not placed ({len(unplaced)}): {rich_text(', '.join(repr(c) for c in unplaced))}",
                highlight=False,
            )


def status(db: DbOption = DEFAULT_DB_PATH) -> None:
    """Show what the store holds: shipments and lines, date range, imports and rejects (verifies the file)."""
    from parcelaudit.store import Store, storage_failure
    from parcelaudit.store.ingest import arrival_range, recent_imports

    with Store.open(db, read_only=True) as store:
        try:
            counts = store.counts()
            store.verify()
        except Exception as error:
            failure = storage_failure(error, db)
            if failure is None:
                raise
            raise failure from error
        table = Table(title=f"{rich_text(store.location)} (schema version {store.schema_version()})")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, count in counts.items():
            if name != "schema_migrations":
                table.add_row(name, f"{count:,}")
        console.print(table)
        if counts.get("shipments"):
            low, high = arrival_range(store)
            console.print(f"arrivals from {low} to {high}")
        recent = recent_imports(store, 10)
        if recent:
            imports = Table(title="Latest imports")
            for column in ("id", "file", "finished (UTC)", "read", "shipments", "lines", "dupl.", "rejected"):
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
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Then start the review workbench on the demo store (prints sign-ins)."),
    ] = False,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Workbench port (with --serve).")
    ] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help=f"Store for the demo ({STORE_HELP}); default OUT/parcelaudit.duckdb. Use a new one."
        ),
    ] = None,
) -> None:
    """Run the main job end to end on generated data: generate, ingest, check, and every report."""
    from parcelaudit.demo import run_demo

    target = db or str(out / "parcelaudit.duckdb")
    run_demo(out, parcels=parcels, seed=seed, console=console, err_console=err_console, target=target)
    if serve:
        from parcelaudit.commands.service import run_server
        from parcelaudit.service.settings import load_settings

        run_server(target, "127.0.0.1", port, load_settings(), demo=True)


def register(app: typer.Typer) -> None:
    """Add the foundation commands to the CLI."""
    app.command()(generate)
    app.command()(ingest)
    app.command()(status)
    app.command()(demo)
