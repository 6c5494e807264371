"""CLI for regulatory audits: `audit new | plan | sample | record | evaluate | report | reconcile | status`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import DEFAULT_DB_PATH, DbOption, console, progress_bar
from parcelaudit.errors import ParcelAuditError

audit_app = typer.Typer(
    help="Regulatory audit of one importer: sample, test, project the loss of revenue, report.",
    no_args_is_help=True,
)

AuditId = Annotated[str, typer.Argument(help="Audit id printed by `audit new` (e.g. A-20260101-001).")]
Actor = Annotated[str | None, typer.Option("--by-user", help="Who performs the step (default: login name).")]
DateOpt = {"formats": ["%Y-%m-%d"]}
Importer = Annotated[str, typer.Argument(help="Exact seller (or marketplace) name as on the parcels.")]
DateFrom = Annotated[datetime, typer.Option("--from", help="First arrival date (YYYY-MM-DD).", **DateOpt)]
DateTo = Annotated[datetime, typer.Option("--to", help="Last arrival date (YYYY-MM-DD).", **DateOpt)]
ImporterBy = Annotated[
    str, typer.Option("--by", help="Identify the importer by seller_name or marketplace_name.")
]


def _usd(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _filters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParcelAuditError(
                f"filter {pair!r} is not COLUMN=VALUE", field="--filter", hint="e.g. entry_type=321"
            )
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@audit_app.command("new")
def new(
    importer: Importer,
    date_from: DateFrom,
    date_to: DateTo,
    by: ImporterBy = "seller_name",
    unit: Annotated[str, typer.Option("--unit", help="Audit unit: parcel or line.")] = "parcel",
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="Extra COLUMN=VALUE filter on parcels.")
    ] = None,
    audit_id: Annotated[str | None, typer.Option("--id", help="Audit id (default A-YYYYMMDD-NNN).")] = None,
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Create an audit of one importer and period."""
    from parcelaudit.audit.workflow import new_audit
    from parcelaudit.store import Store

    with Store.open(db) as store:
        created = new_audit(
            store,
            importer,
            date_from.date(),
            date_to.date(),
            by=by,
            unit=unit,
            filters=_filters(filters or []),
            audit_id=audit_id,
            actor=actor,
        )
    console.print(
        f"created audit [bold]{created}[/] for {importer!r} ({date_from:%Y-%m-%d} to {date_to:%Y-%m-%d})"
    )


@audit_app.command("plan")
def plan(
    audit_id: AuditId,
    strata: Annotated[int, typer.Option(help="Value strata below the 100% stratum.")] = 3,
    top_value: Annotated[
        float | None, typer.Option(help="Declared value from which every item is reviewed.")
    ] = None,
    sample_size: Annotated[
        int | None, typer.Option(help="Total sample size (default: RAT-STATS formula).")
    ] = None,
    expected_error_rate: Annotated[float, typer.Option(help="Expected share of items in error.")] = 0.10,
    precision: Annotated[float, typer.Option(help="Target precision as a fraction of the total.")] = 0.20,
    confidence: Annotated[float, typer.Option(help="Confidence for the sample size.")] = 0.90,
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Build the population, stratify by declared value and size the sample."""
    from parcelaudit.audit.workflow import plan_audit
    from parcelaudit.store import Store

    with Store.open(db) as store, console.status("building the population and rating duty"):
        summary = plan_audit(
            store,
            audit_id,
            strata=strata,
            top_value=top_value,
            sample_size=sample_size,
            expected_error_rate=expected_error_rate,
            precision=precision,
            confidence=confidence,
            actor=actor,
        )
    table = Table(
        title=f"Plan {audit_id}: {summary['population']:,} items, declared {_usd(summary['book_total'])}, "
        f"duty paid {_usd(summary['duty_paid'])}"
    )
    for column in ("stratum", "declared value", "items", "sample"):
        table.add_column(column, justify="right")
    for s in summary["strata"]:
        label = f"{s['stratum']}{' (100%)' if s['certainty'] else ''}"
        table.add_row(
            label,
            f"{_usd(s['lower_value'])} - {_usd(s['upper_value'])}",
            f"{s['population']:,}",
            f"{s['sample_size']:,}",
        )
    console.print(table)


@audit_app.command("sample")
def sample(
    audit_id: AuditId,
    seed: Annotated[float | None, typer.Option(help="Seed (recorded; drawn at random when absent).")] = None,
    generator: Annotated[
        str, typer.Option(help="pcg64 (default) or ratstats (Wichmann-Hill as RAT-STATS).")
    ] = "pcg64",
    spares: Annotated[int, typer.Option(help="Spare items per stratum, in random order.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Also write the sample sheet (CSV) to fill in.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Select the sample in every stratum with a recorded seed; optionally write a results sheet to fill in."""
    from parcelaudit.audit.results import RESULT_COLUMNS
    from parcelaudit.audit.workflow import sample_audit, sample_items, sample_sheet
    from parcelaudit.csv_safety import write_rows
    from parcelaudit.store import Store

    with Store.open(db) as store:
        result = sample_audit(store, audit_id, seed=seed, generator=generator, spares=spares, actor=actor)
        items = sample_items(store, audit_id, include_spares=True).to_pylist()
    table = Table(title=f"Sample {audit_id}: {result['items']:,} items")
    for column in ("stratum", "items", "spares", "seed", "generator"):
        table.add_column(column, justify="right")
    for s in result["selections"]:
        table.add_row(
            str(s["stratum"]),
            f"{s['n']:,}",
            str(s.get("spares", "")),
            "100%" if s["certainty"] else f"{s['seed']:g}",
            s.get("generator", ""),
        )
    console.print(table)
    if out:
        header, rows = sample_sheet(items)
        header += ["spare", *RESULT_COLUMNS[1:]]
        rows = [
            [*row, item["spare"], *[""] * (len(RESULT_COLUMNS) - 1)]
            for row, item in zip(rows, items, strict=True)
        ]
        write_rows(out, header, rows)
        console.print(f"wrote {out} (fill in the corrected_* columns, then `audit record {audit_id} {out}`)")


@audit_app.command("record")
def record(
    audit_id: AuditId,
    results: Annotated[
        Path, typer.Argument(help="Test results: CSV or .xlsx with item_id and corrected_* columns.")
    ],
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Import the auditor's test results (corrected value, HTS, origin, duty-free claim, notes)."""
    from parcelaudit.audit.results import read_results_file, record_results
    from parcelaudit.store import Store

    rows = read_results_file(results)
    with Store.open(db) as store, progress_bar() as progress:
        task = progress.add_task("rating corrected duty", total=1)
        summary = record_results(store, audit_id, rows, actor=actor, source=str(results))
        progress.update(task, completed=1)
    console.print(
        f"recorded {summary['recorded']:,} results ({summary['in_error']:,} in error); "
        f"{summary['outstanding']:,} sampled items still without a result"
    )


@audit_app.command("evaluate")
def evaluate(
    audit_id: AuditId,
    method: Annotated[
        str, typer.Option(help="Estimator: mpu, difference, ratio or regression.")
    ] = "difference",
    confidence: Annotated[float, typer.Option(help="Two-sided confidence of the demand interval.")] = 0.90,
    demand: Annotated[str, typer.Option(help="Demand basis: lower (default), point or upper.")] = "lower",
    interest_rate: Annotated[
        float | None, typer.Option(help="Annual rate for prior-disclosure interest.")
    ] = None,
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Project the loss of revenue and the compliance rate with limits; state the demand and penalty exposure."""
    from parcelaudit.audit.evaluation import evaluate_audit
    from parcelaudit.store import Store

    with Store.open(db) as store:
        detail = evaluate_audit(
            store,
            audit_id,
            method=method,
            confidence=confidence,
            demand=demand,
            interest_rate=interest_rate,
            actor=actor,
        )
    table = Table(title=f"Projected underpayment, {audit_id} ({method} estimator)")
    for column in ("confidence", "point", "lower", "upper"):
        table.add_column(column, justify="right")
    for level, row in sorted(detail["loss"].items()):
        table.add_row(f"{float(level):.0%}", _usd(row["point"]), _usd(row["lower"]), _usd(row["upper"]))
    console.print(table)
    c = detail["compliance"]
    console.print(f"compliance rate {c['rate']:.2%} (limits {c['lower']:.2%} to {c['upper']:.2%})")
    console.print(f"[bold]demand {_usd(detail['demand'])}[/]: {detail['demand_statement']}")


@audit_app.command("report")
def report(
    audit_id: AuditId,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML, PDF and Excel workpaper.")],
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Write the audit report (HTML + PDF) and the Excel workpaper."""
    from parcelaudit.audit.report import write_report
    from parcelaudit.store import Store

    with Store.open(db) as store, console.status("rendering the report"):
        paths = write_report(store, audit_id, out, actor=actor)
    for path in paths:
        console.print(f"wrote {path}")


def _require_importer(store, importer: str, by: str) -> None:
    """Refuse an importer name no parcel or order carries (all zeros would look like clean books)."""
    import difflib

    # `by` is one of two known column names (check_importer_by), safe to name in SQL.
    names = [
        row[0]
        for row in store.con.execute(
            f"SELECT {by} FROM shipments WHERE {by} IS NOT NULL UNION SELECT {by} FROM orders WHERE {by} IS NOT NULL"
        ).fetchall()
    ]
    if importer in names:
        return
    folded = {n.casefold(): n for n in names}
    close = [folded[importer.casefold()]] if importer.casefold() in folded else []
    close = close or difflib.get_close_matches(importer, names, n=3, cutoff=0.6)
    raise ParcelAuditError(
        f"no parcel or order has {by} {importer!r}",
        file=str(store.path),
        field="importer",
        hint=f"did you mean {' or '.join(repr(c) for c in close)}?" if close else f"give the exact {by}",
    )


@audit_app.command("reconcile")
def reconcile_command(
    importer: Importer,
    date_from: DateFrom,
    date_to: DateTo,
    by: ImporterBy = "seller_name",
    out: Annotated[Path | None, typer.Option(help="Folder for one CSV per check.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Reconcile an importer's orders, payments and parcels: every difference with its evidence."""
    from parcelaudit.audit.population import check_importer_by
    from parcelaudit.audit.report import reconcile_audit
    from parcelaudit.csv_safety import write_table
    from parcelaudit.store import Store

    check_importer_by(by, field="--by")
    scope = {
        "importer": importer,
        "importer_by": by,
        "period_start": date_from.date(),
        "period_end": date_to.date(),
        "scope_filters": {},
    }
    with Store.open(db) as store:
        _require_importer(store, importer, by)
        result = reconcile_audit(store, scope)
    table = Table(title=f"Books and records: {importer} ({date_from:%Y-%m-%d} to {date_to:%Y-%m-%d})")
    table.add_column("check")
    table.add_column("value", justify="right")
    for key, value in result.summary.items():
        table.add_row(key.replace("_", " "), f"{value:,}" if isinstance(value, int) else f"{value:,.2f}")
    console.print(table)
    if out:
        for name, data in result.tables().items():
            path = Path(out) / f"{name}.csv"
            write_table(path, data)
            console.print(f"wrote {path}")


@audit_app.command("status")
def status(audit_id: AuditId, db: DbOption = DEFAULT_DB_PATH) -> None:
    """Show the audit and its step log (who, when, parameters)."""
    from parcelaudit.audit.workflow import get_audit, steps
    from parcelaudit.store import Store

    with Store.open(db) as store:
        audit = get_audit(store, audit_id)
        log = steps(store, audit_id)
    table = Table(title=f"{audit_id}: {audit['importer']} [{audit['status']}]")
    for column in ("#", "step", "who", "when", "parameters"):
        table.add_column(column)
    for s in log:
        table.add_row(str(s["step_no"]), s["step"], s["actor"], str(s["acted_at"]), str(s["parameters"])[:80])
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `audit` command group to the CLI."""
    app.add_typer(audit_app, name="audit")
