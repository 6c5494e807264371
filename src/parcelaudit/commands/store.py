"""CLI for the store itself: `store migrate`, `store info`, `store copy SRC DST` (on either engine)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import DEFAULT_DB_PATH, DbOption, NewDbOption, console, rich_text

store_app = typer.Typer(
    help="The store: bring its schema up to date, show what it holds, copy it to another engine.",
    no_args_is_help=True,
)


@store_app.command("migrate")
def migrate(db: NewDbOption = DEFAULT_DB_PATH) -> None:
    """Create the store if needed and apply every migration it lacks (safe to run while others use it)."""
    from parcelaudit.store import open_store, store_exists

    before = 0
    if store_exists(db):
        with open_store(db, read_only=True) as store:
            before = store.schema_version()
    with open_store(db) as store:
        after = store.schema_version()
        console.print(
            f"{rich_text(store.location)} ({store.engine}): schema version {after}"
            + (f" (was {before})" if after != before else " (up to date)"),
            highlight=False,
        )


@store_app.command("info")
def info(db: DbOption = DEFAULT_DB_PATH) -> None:
    """Print the store's engine, location and schema version, and each table's row count."""
    from parcelaudit.store import open_store

    with open_store(db, read_only=True) as store:
        console.print(f"engine: {store.engine}", highlight=False)
        console.print(f"location: {rich_text(store.location)}", highlight=False)
        console.print(f"schema version: {store.schema_version()}", highlight=False)
        table = Table("table", "rows")
        table.columns[1].justify = "right"
        for name, count in store.counts().items():
            table.add_row(name, f"{count:,}")
        console.print(table)


@store_app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(help="Store to copy from (DuckDB file or postgresql:// URL).")],
    destination: Annotated[str, typer.Argument(help="New store to copy into (created; must hold no rows).")],
) -> None:
    """Copy every table of SOURCE into DESTINATION, then compare row counts and an order-independent
    checksum per table; exits 1 when any table differs."""
    from parcelaudit.commands.common import existing_store
    from parcelaudit.store import open_store
    from parcelaudit.store.transfer import copy_store

    existing_store(source)
    with open_store(source, read_only=True) as src, open_store(destination) as dst:
        with console.status("copying") as status:
            copies = copy_store(src, dst, on_table=lambda name: status.update(f"copying {name}"))
        table = Table(
            "table", "source rows", "copied rows", "checksum", title=f"{src.engine} -> {dst.engine}"
        )
        for column in table.columns[1:3]:
            column.justify = "right"
        for item in copies:
            table.add_row(
                item.table,
                f"{item.source_rows:,}",
                f"{item.copied_rows:,}",
                "[green]same[/]" if item.matches else "[bold red]DIFFERENT[/]",
            )
        console.print(table)
    different = [item.table for item in copies if not item.matches]
    if different:
        console.print(f"[bold red]copy differs[/] in: {', '.join(different)}")
        raise typer.Exit(1)
    console.print(f"copied {len(copies)} tables, row counts and checksums equal")


def register(app: typer.Typer) -> None:
    """Add the `store` command group to the CLI."""
    app.add_typer(store_app, name="store")
