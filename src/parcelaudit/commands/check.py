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
    NewDbOption,
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
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Judge only parcels imported after: 'last' (the latest run), a run id, or a UTC timestamp "
            "(2025-03-01T12:00:00); the consignee-days and orders they join are judged again, and every "
            "decision that changes is reported (changed_decisions.csv).",
        ),
    ] = None,
    row_budget: Annotated[
        int | None,
        typer.Option(
            "--row-budget", min=1, help="Parcels judged per partition (memory follows it); default 200,000."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="duckdb: the store (DuckDB or PostgreSQL), in this process; spark: a folder written by export --parquet, on Spark.",
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
        if since is not None or row_budget is not None or date_from or date_to:
            raise typer.BadParameter(
                "--since, --row-budget, --from and --to are for the duckdb engine (Spark checks the whole folder)"
            )
        _check_on_spark(parquet, out, db, policy, screening, rates, dispositions, master)
        return
    if engine != "duckdb" or out is None or parquet is not None or master is not None:
        raise typer.BadParameter(
            "--engine is duckdb or spark; duckdb needs --out and takes no --parquet or --master"
        )
    db = existing_store(db or DEFAULT_DB_PATH)
    from parcelaudit.store import Store

    with Store.open(db) as store:
        check_store(
            store,
            out,
            date_from.date() if date_from else None,
            date_to.date() if date_to else None,
            policy=policy,
            screening=screening,
            rates=rates,
            dispositions=dispositions,
            since=since,
            **({"row_budget": row_budget} if row_budget else {}),
        )


def check_store(store, out: Path, date_from=None, date_to=None, **options) -> object | None:
    """One check run over an open store with a progress bar, its files written to out and its summary
    printed; None (and a warning, nothing stored) when an incremental run finds nothing new."""
    from parcelaudit.pipeline import run_check
    from parcelaudit.reports.check_outputs import write_outputs
    from parcelaudit.rules.registry import all_rules

    steps = [*all_rules(), "screening", "duty and decisions"]
    with progress_bar() as progress:
        task = progress.add_task("checking", total=None)

        def advance(step: str) -> None:
            if step.startswith("partition "):
                done, total = (int(n) for n in step.removeprefix("partition ").split("/"))
                progress.update(task, total=total * len(steps), completed=(done - 1) * len(steps))
            elif step in steps:
                progress.advance(task)
            progress.update(task, description=f"checking: {step}")

        result = run_check(store, date_from, date_to, progress=advance, keep_results=False, **options)
        if result.run_id is None:
            console.print(
                f"[yellow]no parcels imported since {rich_text(options['since'])}: nothing judged, no run stored[/]"
            )
            return None
        progress.update(task, description="writing report")
        paths = write_outputs(result, out, store=store)
    _summary(result)
    _changes(store, result)
    for path in paths:
        console.print(f"wrote {rich_text(path)}")
    return result


WATCHED = (".csv", ".tsv", ".txt", ".jsonl", ".parquet", ".xlsx")


def watch(
    folder: Annotated[Path, typer.Argument(help="Folder to watch for new data files.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for each run's outputs (one sub-folder a run).")],
    db: NewDbOption = DEFAULT_DB_PATH,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between looks.")] = 10.0,
    once: Annotated[bool, typer.Option("--once", help="Look once, then stop.")] = False,
    screening: Annotated[
        bool, typer.Option("--screening/--no-screening", help="Screen party names against restricted lists.")
    ] = True,
) -> None:
    """Ingest every new file that appears in FOLDER (oldest first), then check what it brought
    (`check --since last`; the first run checks everything). Move finished files in (a rename), so that
    no half-written file is read; a file already imported (same SHA-256) adds nothing."""
    import time

    from parcelaudit.ingest import ingest_file
    from parcelaudit.store import Store, utc_now
    from parcelaudit.store.checks import last_marked_run

    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder", param_hint="FOLDER")
    seen: set[Path] = set()
    with Store.open(db) as store:
        while True:
            new = sorted(
                (
                    p
                    for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() in WATCHED and p not in seen
                ),
                key=lambda p: (p.stat().st_mtime, p.name),
            )
            stored = 0
            for path in new:
                result = ingest_file(store, path, rejects_dir=out / "rejects")
                seen.add(path)
                said = "already imported" if result.already_imported else f"{result.rows_read:,} rows read"
                console.print(f"ingested {rich_text(path.name)}: {said}, {result.rows_rejected:,} rejected")
                stored += not result.already_imported
            if stored:
                since = "last" if last_marked_run(store) is not None else None
                stamp = utc_now().strftime("%Y%m%dT%H%M%S%f")
                check_store(store, out / f"check-{stamp}", since=since, screening=screening)
            if once:
                return
            time.sleep(interval)


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
        f"fees ${summary.fees:,.2f}; rules took {result.rules_seconds:.2f} s"
        + ("" if result.hts_complete else " (bundled HTS subset: unknown codes are unverified)")
    )


def _changes(store, result) -> None:
    """The decisions the run changed: parcel, before, after, rules added and removed (the first 20)."""
    from parcelaudit.store.checks import read_changed_decisions

    if not result.changed_count:
        if result.since:
            console.print("no earlier decision changed")
        return
    changed = read_changed_decisions(store, result.run_id, limit=20)
    table = Table(title=f"{result.changed_count:,} changed decisions (all in changed_decisions.csv)")
    for column in ("parcel", "before", "after", "rules added", "rules removed", "duty at risk"):
        table.add_column(column)
    for row in changed.to_pylist():
        table.add_row(
            rich_text(row["shipment_id"]),
            f"{row['before_decision']} (run {row['before_run_id']})",
            row["after_decision"],
            row["rules_added"] or "-",
            row["rules_removed"] or "-",
            f"${row['before_duty_at_risk']:,.2f} -> ${row['after_duty_at_risk']:,.2f}",
        )
    console.print(table)


def history(
    shipment_id: Annotated[str, typer.Argument(help="The parcel whose decisions to list.")],
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Every stored decision on one parcel, run by run: decision, reasons, duty, and what changed."""
    from parcelaudit.errors import ParcelAuditError
    from parcelaudit.store import Store
    from parcelaudit.store.checks import decision_history

    with Store.open(db) as store:
        rows = decision_history(store, shipment_id)
        if not rows:
            raise ParcelAuditError(
                f"no check run has judged {shipment_id!r}",
                file=store.location,
                field="shipment_id",
                hint="check the id, or run `parcelaudit check` first",
            )
    console.print(f"[bold]Decisions on {rich_text(shipment_id)}[/] ({len(rows)} runs, oldest first)")
    for row in rows:
        kind = f"since {row['since']}" if row["since"] else "full"
        change = ""
        if row["before_decision"] is not None:
            change = (
                f"; changed: was {row['before_decision']}, rules added {row['rules_added'] or 'none'}, "
                f"removed {row['rules_removed'] or 'none'}"
            )
        console.print(
            f"run {row['run_id']} ({rich_text(kind)}, {str(row['finished_at'])[:19]}): {row['decision']}"
            f" ({row['reasons'] or 'no findings'}), duty owed ${row['duty_owed']:,.2f}, "
            f"at risk ${row['duty_at_risk']:,.2f}{rich_text(change)}",
            highlight=False,
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
    if info.get("fees"):
        charged = "; ".join(f"{f['fee']} ${f['amount']} ({f['citation']})" for f in info["fees"])
        console.print(f"Entry fees, once per entry: {rich_text(charged)}", highlight=False)
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


def add_edition(
    file: Annotated[
        Path, typer.Argument(help="USITC annual tariff database (tariff_database_YYYY csv or zip).")
    ],
    year: Annotated[
        int | None, typer.Option("--year", help="Edition year (default: from the file name).")
    ] = None,
) -> None:
    """Keep an official USITC annual edition, so codes and MFN rates of that year are judged against it."""
    from parcelaudit.reference.hts import add_edition as keep

    with console.status(f"checking {file.name}"):
        found, dest, lines = keep(file, year)
    console.print(json.dumps({"edition": found, "kept": str(dest), "lines": lines}))


def register(app: typer.Typer) -> None:
    """Add `check`, `explain`, `history`, `watch`, `reference update` and `reference add-edition` to the app."""
    app.command("check")(check)
    app.command("explain")(explain)
    app.command("history")(history)
    app.command("watch")(watch)
    reference = typer.Typer(help="Reference data: the tariff schedule.", no_args_is_help=True)
    reference.command("update")(update)
    reference.command("add-edition")(add_edition)
    app.add_typer(reference, name="reference")
