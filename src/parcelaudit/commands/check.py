"""CLI for the checks: `check` (rules, duty, decisions, report), `explain` (one parcel), `reference update`."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import (
    DEFAULT_DB_PATH,
    STORE_HELP,
    DbOption,
    console,
    existing_store,
    progress_bar,
    rich_text,
)

RatesOption = Annotated[
    Path | None,
    typer.Option(
        "--rates",
        help="Exchange rates CSV date,currency,usd_per_unit (CBP certified rates); "
        "default: ECB reference rates, an approximation.",
    ),
]


def check(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for findings.csv, decisions.csv and report.html (--engine spark: for the results as "
            "Parquet, default DIR/_check).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=f"Store ({STORE_HELP}); must exist. Default {DEFAULT_DB_PATH}; --engine spark: only when given.",
            envvar="PARCELAUDIT_DB",
        ),
    ] = None,
    date_from: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First arrival date to check (YYYY-MM-DD)."),
    ] = None,
    date_to: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last arrival date to check (YYYY-MM-DD)."),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Severity policy TOML (default: bundled).")
    ] = None,
    screening: Annotated[
        bool, typer.Option("--screening/--no-screening", help="Screen party names against restricted lists.")
    ] = True,
    rates: RatesOption = None,
    dispositions: Annotated[
        Path | None,
        typer.Option(
            "--dispositions",
            help="Analysts' decisions CSV (screen-dispose): a false positive is no finding while its entry is unchanged.",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="duckdb: the store, in this process; spark: a folder written by export --parquet, on Spark.",
        ),
    ] = "duckdb",
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="--engine spark: the partitioned folder to check.")
    ] = None,
    master: Annotated[
        str | None,
        typer.Option(
            "--master", help="--engine spark: Spark master (default: spark-submit's, else local[*])."
        ),
    ] = None,
) -> None:
    """Judge every parcel by the rules in force on its arrival date: findings, duty, release/review/hold."""
    if engine == "spark":
        _check_on_spark(parquet, out, db, policy, screening, rates, dispositions, master)
        return
    if engine != "duckdb" or out is None or parquet is not None or master is not None:
        raise typer.BadParameter(
            "--engine is duckdb or spark; duckdb needs --out and takes no --parquet or --master"
        )
    db = existing_store(db or DEFAULT_DB_PATH)
    from parcelaudit.pipeline import run_check
    from parcelaudit.reports.check_outputs import write_outputs
    from parcelaudit.rules.registry import all_rules
    from parcelaudit.store import Store

    steps = ["reading", *all_rules(), "screening", "duty and decisions"]
    with Store.open(db) as store, progress_bar() as progress:
        task = progress.add_task("checking", total=len(steps))

        def advance(step: str) -> None:
            progress.update(task, description=f"checking: {step}", completed=steps.index(step))

        result = run_check(
            store,
            date_from.date() if date_from else None,
            date_to.date() if date_to else None,
            policy,
            screening=screening,
            progress=advance,
            rates=rates,
            dispositions=dispositions,
        )
        progress.update(task, description="writing report", completed=len(steps))
        paths = write_outputs(result, out, store=store)
    _summary(result)
    for path in paths:
        console.print(f"wrote {rich_text(path)}")


def _check_on_spark(parquet, out, db, policy, screening, rates, dispositions, master) -> None:
    """`check --engine spark`: the folder judged on Spark, results as Parquet and, with --db, a stored run."""
    from parcelaudit.engines.spark import check_with_spark
    from parcelaudit.store import Store

    if parquet is None:
        raise typer.BadParameter("--engine spark needs --parquet DIR (a folder written by export --parquet)")
    out = out or parquet / "_check"  # a `_` folder: ingest and Spark readers skip it
    opened = Store.open(existing_store(db)) if db is not None else contextlib.nullcontext()
    with opened as store, progress_bar() as progress:
        task = progress.add_task("spark check", total=None)
        check, result = check_with_spark(
            parquet,
            out,
            store=store,
            policy=policy,
            rates=rates,
            dispositions=dispositions,
            screening=screening,
            master=master,
            progress=lambda step: progress.update(task, description=f"spark check: {step}"),
        )
    _summary(result)
    console.print(f"{check.days:,} days judged on Spark ({check.master}); results under {rich_text(out)}")


def _summary(result) -> None:
    summary = result.summary()
    counts = summary.decisions
    table = Table(title=f"Check run {result.run_id}: {summary.shipments:,} parcels")
    for column in ("decision", "parcels", "share"):
        table.add_column(column, justify="right" if column != "decision" else "left")
    total = max(1, summary.shipments)
    for decision, style in (("hold", "red"), ("review", "yellow"), ("release", "green")):
        table.add_row(
            f"[{style}]{decision}[/]", f"{counts[decision]:,}", f"{100 * counts[decision] / total:.2f}%"
        )
    console.print(table)
    rules = Table(title="Findings by rule")
    rules.add_column("rule")
    rules.add_column("findings", justify="right")
    for rule_id, n in summary.findings_per_rule.items():
        rules.add_row(rule_id, f"{n:,}")
    console.print(rules)
    console.print(
        f"duty owed ${summary.duty_owed:,.2f}; duty at risk ${summary.duty_at_risk:,.2f}; "
        f"rules took {result.rules_seconds:.2f} s"
        + ("" if result.hts_complete else " (bundled HTS subset: unknown codes are unverified)")
    )


def explain(
    shipment_id: Annotated[str, typer.Argument(help="The parcel to explain.")],
    db: DbOption = DEFAULT_DB_PATH,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Severity policy TOML (default: bundled).")
    ] = None,
    rates: RatesOption = None,
) -> None:
    """Print the whole reasoning for one parcel: rules in force on its date, findings, duty, decision."""
    from parcelaudit.pipeline import explain_shipment
    from parcelaudit.store import Store

    with Store.open(db) as store:
        info = explain_shipment(store, shipment_id, policy, rates)
    s, decision = info["shipment"], info["decision"]
    console.rule(f"[bold]{rich_text(shipment_id)}")
    console.print(
        f"arrived {s['arrival_date']} · entry type {s['entry_type']} · shipped from {s['country_of_shipment']}"
        f" · declared {s['currency'] or 'USD'} {s['declared_value']:,.2f}{' · gift' if s['gift'] else ''}"
        f" · seller {rich_text(s['seller_name'] or '(none given)')} · consignee {rich_text(s['consignee_name'] or '(none given)')}",
        highlight=False,
    )
    money = info["money"]
    if money["usd_per_unit"] is None:
        console.print(
            f"[yellow]no exchange rate for {money['currency_original']} on {s['arrival_date']}: "
            "no dollar value, so no threshold or duty is judged[/]",
            highlight=False,
        )
    elif money["rate_date"] is not None:
        console.print(
            f"value in USD {money['declared_value']:,.2f} at {money['usd_per_unit']:.6f} USD per "
            f"{money['currency_original']} of {money['rate_date']} ({money['rate_source']})",
            highlight=False,
        )
    if money["value_basis"] != "line":
        how = "by quantity" if money["value_basis"] == "allocated-by-quantity" else "evenly"
        console.print(
            f"line values: the parcel-level value allocated to the lines {how} (no line values given)"
        )
    source = (
        f"check run {info['run_id']}" if info["run_id"] else "checked now (no stored run judged this parcel)"
    )
    style = {"hold": "red", "review": "yellow", "release": "green"}[decision["decision"]]
    console.print(
        f"[bold {style}]{decision['decision'].upper()}[/] ({source}); reasons: "
        f"{decision['reasons'] or 'none'}; duty owed ${decision['duty_owed']:,.2f}, "
        f"at risk ${decision['duty_at_risk']:,.2f}"
    )
    policy_table = Table(title=f"Policy in force on {s['arrival_date']}", show_lines=False)
    for column in ("table", "row", "citation"):
        policy_table.add_column(column)
    for name, rows in info["in_force"].items():
        for row in rows:
            label = ", ".join(
                f"{k}={row[k]}"
                for k in ("kind", "measure_id", "sector", "country", "hts_prefix", "threshold_usd", "rate")
                if k in row and row[k] is not None
            )
            policy_table.add_row(name, label, row.get("citation", ""))
    console.print(policy_table)
    findings = Table(title=f"Findings ({len(info['findings'])})")
    for column in ("rule", "line", "severity", "message", "citation", "evidence"):
        findings.add_column(column, overflow="fold")
    for f in info["findings"]:
        findings.add_row(
            f["rule_id"],
            "" if f["line_no"] is None else str(f["line_no"]),
            f["severity"],
            rich_text(f["message"]),
            rich_text(f["citation"]),
            rich_text(f["evidence"]),
        )
    console.print(findings)
    duty = Table(title="Duty by line")
    for column in ("line", "hts", "origin", "rate", "duty", "verified", "components"):
        duty.add_column(column, overflow="fold")
    for line in info["duty"]:
        parts = (
            "; ".join(f"{p['measure_id']} {100 * p['rate']:.1f}% ${p['amount']}" for p in line["parts"])
            or "MFN only"
        )
        duty.add_row(
            str(line["line_no"]),
            rich_text(line["hts"] or ""),
            rich_text(line["origin"] or ""),
            f"{100 * line['rate']:.2f}%",
            f"{line['duty']:,.2f}",
            "yes" if line["verified"] else "no",
            parts,
        )
    console.print(duty)
    rules = Table(title="Rules evaluated")
    for column in ("rule", "scope", "what it finds", "citation"):
        rules.add_column(column, overflow="fold")
    for rule_id, scope, title, citation in info["rules"]:
        rules.add_row(rule_id, scope, title, citation)
    console.print(rules)
    _print_screening_sources(info)


def _print_screening_sources(info: dict) -> None:
    """The lists the run screened against (source, date, SHA-256) and the dispositions it applied."""
    if not info["run_id"]:
        return
    if info["list_snapshots"]:
        console.print(f"[bold]Lists screened against in check run {info['run_id']}[/]")
        for snap in info["list_snapshots"]:
            console.print(
                f"{snap['list']}: {rich_text(snap['source'])}, published {snap['snapshot_date'] or 'unknown'}"
                f" ({rich_text(snap['date_basis'] or 'basis unknown')}), sha256 {snap['sha256'] or 'unknown'},"
                f" {snap['entries']} entries",
                highlight=False,
            )
    else:
        console.print(f"check run {info['run_id']} did not screen parties against restricted lists")
    used = info["dispositions"]
    if used:
        console.print(
            f"dispositions applied: {rich_text(used['source'])} (sha256 {used['sha256']}, "
            f"{used['decisions']} decisions)",
            highlight=False,
        )
    else:
        console.print(f"check run {info['run_id']} applied no analysts' dispositions")


def update(
    url: Annotated[
        str | None, typer.Option("--url", help="Tariff database URL (default: USITC 2025 file).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to cache the file.")] = None,
) -> None:
    """Download the full USITC tariff database and cache it, so HTS codes can be validated and rated."""
    from parcelaudit.reference.hts import download_hts, load_hts

    with console.status("downloading the USITC tariff database"):
        path = download_hts(url, out)
    schedule = load_hts(str(path))
    console.print(json.dumps({"cached": str(path), "lines": len(schedule.lines)}))


def register(app: typer.Typer) -> None:
    """Add `check`, `explain` and `reference update` to the app."""
    app.command("check")(check)
    app.command("explain")(explain)
    reference = typer.Typer(help="Reference data: the tariff schedule.", no_args_is_help=True)
    reference.command("update")(update)
    app.add_typer(reference, name="reference")
