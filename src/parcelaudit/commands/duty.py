"""CLI for the duty API: `duty HTS` (a quote with its components, sources and statuses) and
`policy coverage` (what the duty tables cover by program, country and date range)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import console


def _pct(rate) -> str:
    return f"{(rate * 100).normalize():f}%"


policy_app = typer.Typer(help="What the policy tables cover.", no_args_is_help=True)


def duty(
    hts: Annotated[str, typer.Argument(help="HTS code, 6, 8 or 10 digits (dots allowed).")],
    origin: Annotated[str, typer.Option("--origin", help="Country of origin, ISO 3166 alpha-2 (e.g. CN).")],
    on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Entry date (YYYY-MM-DD).")],
    value: Annotated[
        float, typer.Option("--value", help="Line value in USD (convert other currencies first).")
    ],
    mode: Annotated[str, typer.Option("--mode", help="express, postal or cargo.")] = "express",
    quantity: Annotated[int, typer.Option("--quantity", help="Items (for per-item postal duties).")] = 1,
    preference: Annotated[
        str | None,
        typer.Option("--preference", help="Preference claimed, e.g. USMCA (schedule's special column)."),
    ] = None,
    entry_type: Annotated[
        str | None,
        typer.Option("--entry-type", help="321, 86, 11, 01 or postal (default: from value and mode)."),
    ] = None,
    postal_method: Annotated[
        str, typer.Option("--postal-method", help="ad_valorem or specific (per-item postal duty).")
    ] = "ad_valorem",
    metal_value: Annotated[
        float | None,
        typer.Option(
            "--metal-value", help="USD value of the steel/aluminum content (Section 232 derivatives)."
        ),
    ] = None,
    shipment_value: Annotated[
        float | None,
        typer.Option(
            "--shipment-value",
            help="USD value of the whole parcel (default: the line's): de minimis and the $800 postal limit.",
        ),
    ] = None,
    transport: Annotated[
        str,
        typer.Option(
            "--transport", help="Cargo's conveyance: ocean, air, truck or rail (only ocean pays HMF)."
        ),
    ] = "ocean",
    as_json: Annotated[bool, typer.Option("--json", help="Print the quote as JSON.")] = False,
) -> None:
    """Quote the duty and fees on one line: every component with its rate, amount, source and status."""
    from parcelaudit.duty import quote

    q = quote(
        hts,
        origin,
        on.date(),
        value,
        mode=mode,
        quantity=quantity,
        preference=preference,
        entry_type=entry_type,
        postal_method=postal_method,
        metal_value=metal_value,
        shipment_value=shipment_value,
        transport=transport,
    )
    if as_json:
        payload = q.to_dict()
        console.print_json(json.dumps(payload))
        return
    table = Table(
        title=f"Duty on HTS {q.hts}, origin {q.origin}, {q.on}, ${q.value:,.2f} ({q.mode}, entry {q.entry_type})"
    )
    for column in ("measure", "rate", "USD", "status", "source", "note"):
        table.add_column(column, overflow="fold")
    for c in q.components:
        table.add_row(c.measure, _pct(c.rate), f"{c.amount:,.2f}", c.status, c.citation, c.note)
    for f in q.fees:
        table.add_row(f.fee, "", f"{f.amount:,.2f}", f.status, f.citation, f.note)
    console.print(table)
    console.print(
        f"duty {_pct(q.rate)} = ${q.amount:,.2f} (refundable ${q.refundable_amount:,.2f}); "
        f"fees ${q.fees_amount:,.2f}; "
        + ("verified" if q.verified else f"NOT verified: {', '.join(q.unverified)}")
    )


@policy_app.command("coverage")
def coverage(
    detail: Annotated[
        bool, typer.Option("--detail", help="One row per measure, exemption, postal method, fee.")
    ] = False,
) -> None:
    """Print what the duty tables cover by program, country and date range, and what they leave out."""
    from parcelaudit.duty import coverage_rows, coverage_summary

    rows = coverage_rows() if detail else coverage_summary()
    table = Table(title="Duty tables: coverage" + (" (detail)" if detail else " by program"))
    for column in rows[0]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row.values())
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `duty` command and the `policy` group."""
    app.command("duty")(duty)
    app.add_typer(policy_app, name="policy")
