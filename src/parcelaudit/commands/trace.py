"""`parcelaudit trace ...`: trace a product to raw material and write its verdict and dossier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import console, progress_bar, rich_text

_STYLE = {"clear": "green", "review": "dark_orange", "exposed": "red"}


def trace_command(
    files: Annotated[
        list[Path], typer.Argument(help="EPCIS 2.0 JSON/JSON-LD files and/or flows.csv, documents.csv.")
    ],
    product: Annotated[
        str, typer.Option("--product", help="Product to trace: GTIN, EPC class, lot id or CSV key.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for verdict.json, dossier.html and dossier.pdf.")
    ],
    facilities: Annotated[
        Path | None, typer.Option("--facilities", help="facilities.csv with the facilities' master data.")
    ] = None,
    yields: Annotated[
        Path | None, typer.Option("--yields", help="CSV of yield ranges overriding the bundled ones.")
    ] = None,
    sku: Annotated[
        list[str] | None, typer.Option("--sku", help="Seller SKU(s) this product is sold as (links parcels).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Also store the verdict in this store (a DuckDB file or a postgresql:// URL)."
        ),
    ] = None,
    no_schema: Annotated[
        bool, typer.Option("--no-schema", help="Skip the EPCIS JSON schema (built-in checks still run).")
    ] = False,
    documents: Annotated[
        Path | None,
        typer.Option("--documents", help="Folder of record copies, named by number (e.g. INV-2025-7.pdf)."),
    ] = None,
    require_copies: Annotated[
        bool,
        typer.Option(
            "--require-copies", help="A record referenced without a copy is a gap (CBP submission)."
        ),
    ] = False,
) -> None:
    """Trace a product back to raw material: verdict (clear / review / exposed), reasons and dossier."""
    from parcelaudit.reports.trace_outputs import trace_files

    with progress_bar() as progress:
        task = progress.add_task("tracing", total=2)
        result, written = trace_files(
            files,
            product,
            out,
            facilities=facilities,
            yields=yields,
            skus=sku,
            use_schema=not no_schema,
            documents_dir=documents,
            require_copies=require_copies,
        )
        progress.advance(task)
        if db:
            from parcelaudit.store import Store
            from parcelaudit.store.traces import save_trace_verdict

            with Store.open(db) as store:
                save_trace_verdict(store, result.verdict_json(), out)
        progress.advance(task)
    style = _STYLE[result.verdict]
    console.print(
        f"[bold {style}]{result.verdict.upper()}[/] {rich_text(product)}: coverage {result.coverage:.1%}, "
        f"{result.upstream.depth} tier(s), {len(result.facilities)} facilities"
    )
    if result.reasons:
        table = Table(title="Reasons")
        for column in ("code", "tier", "facility", "detail"):
            table.add_column(column, overflow="fold")
        for reason in result.reasons[:30]:
            table.add_row(
                reason.code,
                str(reason.tier),
                rich_text(reason.facility_id or ""),
                rich_text(reason.detail[:160]),
            )
        console.print(table)
        if len(result.reasons) > 30:
            console.print(f"... and {len(result.reasons) - 30} more in verdict.json")
    for path in written:
        console.print(f"wrote {rich_text(str(path))}")


def validate_command(
    files: Annotated[list[Path], typer.Argument(help="EPCIS 2.0 JSON / JSON-LD documents.")],
    no_schema: Annotated[bool, typer.Option("--no-schema", help="Only the built-in and CBV checks.")] = False,
) -> None:
    """Validate EPCIS documents (JSON schema + CBV vocabulary) and list every problem by event and field."""
    from parcelaudit.tracing.epcis_validate import validate_file

    table = Table(title="EPCIS validation")
    for column in ("file", "result", "event", "field", "problem"):
        table.add_column(column, overflow="fold")
    bad = 0
    for path in files:
        problems, schema_used, count = validate_file(path, use_schema=not no_schema)
        bad += bool(problems)
        checks = "schema + CBV" if schema_used else "built-in + CBV (no schema: run trace-fetch-schema)"
        if not problems:
            table.add_row(rich_text(Path(path).name), f"[green]valid[/] ({checks})", "", "", "")
        for problem in problems:
            table.add_row(
                rich_text(Path(path).name),
                "[red]invalid[/]",
                rich_text(problem.where),
                rich_text(problem.field),
                rich_text(problem.message),
            )
        if count > len(problems):
            table.add_row(
                rich_text(Path(path).name),
                "[red]invalid[/]",
                "",
                "",
                f"... and {count - len(problems):,} more",
            )
    console.print(table)
    if bad:
        raise typer.Exit(1)


def fetch_schema_command() -> None:
    """Download the official EPCIS 2.0 JSON schema from GS1 into the ParcelAudit cache."""
    from parcelaudit.tracing.epcis_validate import SCHEMA_URL, fetch_schema

    console.print(f"saved {fetch_schema()} (from {SCHEMA_URL})")


def templates_command(
    out: Annotated[
        Path, typer.Argument(help="Folder to write the example facilities/flows/documents CSVs into.")
    ],
) -> None:
    """Write the CSV template set (facilities.csv, flows.csv, documents.csv) with a worked example."""
    from parcelaudit.tracing.templates import write_templates

    for path in write_templates(out):
        console.print(f"wrote {rich_text(str(path))}")


def register(app: typer.Typer) -> None:
    """Add the tracing commands."""
    app.command("trace")(trace_command)
    app.command("trace-validate")(validate_command)
    app.command("trace-fetch-schema")(fetch_schema_command)
    app.command("trace-templates")(templates_command)
