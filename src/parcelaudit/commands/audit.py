"""CLI for regulatory audits: `audit importers | new | plan | sample | record | evaluate | report | reconcile |
status | show | list | version | discard`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import DEFAULT_DB_PATH, DbOption, console, progress_bar, rich_text
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
    from parcelaudit.audit.lifecycle import new_audit
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
    from parcelaudit.audit.plan import plan_audit
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
    seed: Annotated[
        str | None,
        typer.Option(help="Seed: an integer for pcg64, a RAT-STATS seed for ratstats (drawn when absent)."),
    ] = None,
    generator: Annotated[
        str, typer.Option(help="pcg64 (default) or ratstats (Wichmann-Hill as RAT-STATS).")
    ] = "pcg64",
    spares: Annotated[int, typer.Option(help="Spare items per stratum, in random order.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Also write the sample sheet (CSV) to fill in.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Select the sample in every stratum with a recorded seed; optionally write a results sheet to fill in."""
    from parcelaudit.audit.sampling import sample_audit
    from parcelaudit.store import Store

    with Store.open(db) as store:
        result = sample_audit(
            store, audit_id, seed=seed, generator=generator, spares=spares, actor=actor, sheet=out
        )
    table = Table(title=f"Sample {result['audit_id']}: {result['items']:,} items, seed {result['seed']}")
    for column in ("stratum", "items", "spares", "seed", "generator"):
        table.add_column(column, justify="right")
    for s in result["selections"]:
        table.add_row(
            str(s["stratum"]),
            f"{s['n']:,}",
            str(s.get("spares", "")),
            "100%" if s["certainty"] else str(s["seed"]),
            s.get("generator", ""),
        )
    console.print(table)
    if out:
        console.print(
            f"wrote {out}: fill in result (correct, error or not tested + reason) and the corrected_* "
            f"columns, then `audit record {audit_id} {out}`"
        )


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
    from parcelaudit.audit.results import record_results
    from parcelaudit.audit.results_sheet import read_results_file
    from parcelaudit.store import Store

    rows = read_results_file(results)
    with Store.open(db) as store, progress_bar() as progress:
        task = progress.add_task("rating corrected duty", total=1)
        summary = record_results(store, audit_id, rows, actor=actor, source=str(results))
        progress.update(task, completed=1)
    console.print(
        f"recorded {summary['recorded']:,} results: {summary['tested']:,} tested ({summary['in_error']:,} in "
        f"error), {summary['not_tested']:,} not tested ({summary['not_tested_without_reason']:,} without a "
        f"reason); {summary['outstanding']:,} sampled items still without a result"
    )
    if summary["not_tested"]:
        console.print(
            "[yellow]warning:[/] untested items count as errors in `audit evaluate` unless each has a "
            "reason and you pass --untested exclude"
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
    untested: Annotated[
        str,
        typer.Option(help="Untested items: error (AICPA default) or exclude (each needs a reason)."),
    ] = "error",
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Project the loss of revenue and the compliance rate with limits; state the demand and penalty exposure."""
    from parcelaudit.audit.evaluate import evaluate_audit
    from parcelaudit.store import Store

    with Store.open(db) as store:
        detail = evaluate_audit(
            store,
            audit_id,
            method=method,
            confidence=confidence,
            demand=demand,
            interest_rate=interest_rate,
            untested=untested,
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
    console.print(f"untested items: {detail['untested']['statement']}")


@audit_app.command("report")
def report(
    audit_id: AuditId,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML, PDF and Excel workpaper.")],
    db: DbOption = DEFAULT_DB_PATH,
    actor: Actor = None,
) -> None:
    """Write the audit report (HTML + PDF) and the Excel workpaper."""
    from parcelaudit.reports.audit_report import write_report
    from parcelaudit.store import Store

    with Store.open(db) as store, console.status("rendering the report"):
        paths = write_report(store, audit_id, out, actor=actor)
    for path in paths:
        console.print(f"wrote {rich_text(path)}")


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
    from parcelaudit.audit.scope import reconcile_scope
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
        result = reconcile_scope(store, scope)
    table = Table(
        title=f"Books and records: {rich_text(importer)} ({date_from:%Y-%m-%d} to {date_to:%Y-%m-%d})"
    )
    table.add_column("check")
    table.add_column("value", justify="right")
    for key, value in result.summary.items():
        table.add_row(key.replace("_", " "), f"{value:,}" if isinstance(value, int) else f"{value:,.2f}")
    console.print(table)
    if out:
        for name, data in result.tables().items():
            path = Path(out) / f"{name}.csv"
            write_table(path, data)
            console.print(f"wrote {rich_text(path)}")


def _steps_table(title: str, log: list[dict]) -> Table:
    table = Table(title=title)
    for column in ("#", "step", "who", "when", "parameters", "inputs/outputs (sha256)"):
        table.add_column(column)
    for s in log:
        hashes = {**s["inputs"], **s["outputs"]}
        table.add_row(
            str(s["step_no"]),
            s["step"],
            rich_text(s["actor"]),
            str(s["acted_at"]),
            rich_text(json.dumps(s["parameters"], default=str)[:120]),
            "\n".join(f"{Path(k).name}: {v[:16]}" for k, v in hashes.items()),
        )
    return table


@audit_app.command("status")
def status(audit_id: AuditId, db: DbOption = DEFAULT_DB_PATH) -> None:
    """Show the audit version and its step log (who, when, parameters, hashes)."""
    from parcelaudit.audit.lifecycle import get_audit, version_label
    from parcelaudit.audit.steplog import steps
    from parcelaudit.store import Store

    with Store.open(db) as store:
        audit = get_audit(store, audit_id)
        log = steps(store, audit["audit_id"])
    console.print(_steps_table(f"{version_label(audit)}: {audit['importer']} [{audit['status']}]", log))


@audit_app.command("show")
def show(audit_id: AuditId, db: DbOption = DEFAULT_DB_PATH) -> None:
    """Show an audit: every version with its reason, results and evaluation, and each version's step log."""
    from parcelaudit.audit.lifecycle import get_audit, versions
    from parcelaudit.audit.steplog import steps
    from parcelaudit.store import Store
    from parcelaudit.store.audits import latest_evaluation_summary, result_counts

    with Store.open(db) as store:
        audit = get_audit(store, audit_id)
        all_versions = versions(store, audit["base_id"])
        detail = []
        for v in all_versions:
            counts = result_counts(store, v["audit_id"])
            evaluation = latest_evaluation_summary(store, v["audit_id"])
            detail.append((v, counts, evaluation, steps(store, v["audit_id"])))
    console.print(
        f"[bold]{audit['base_id']}[/]: {audit['importer']!r} ({audit['importer_by']}), "
        f"{audit['period_start']} to {audit['period_end']}, unit {audit['unit']}, "
        f"filters {audit['scope_filters'] or 'none'}"
    )
    if audit["discarded_at"] is not None:
        console.print(
            f"[red]discarded[/] by {audit['discarded_by']} at {audit['discarded_at']}: "
            f"{audit['discard_reason']}"
        )
    for v, counts, evaluation, _ in detail:
        line = (
            f"[bold]{audit['base_id']}.v{v['version']}[/] [{v['status']}]"
            + (f" opened because: {v['version_reason']}" if v["version_reason"] else "")
            + f"; results {counts[0]:,} ({counts[1]:,} in error, {counts[2]:,} not tested)"
        )
        if evaluation:
            line += (
                f"; {evaluation[0]} estimator: underpayment {_usd(evaluation[1])}, demand "
                f"{_usd(evaluation[2])}, compliance {evaluation[3]:.2%}"
            )
        console.print(line, soft_wrap=True, highlight=False)
    for v, _, _, log in detail:
        console.print(_steps_table(f"{audit['base_id']}.v{v['version']}: steps", log))


Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit's log).")]


@audit_app.command("version")
def version(audit_id: AuditId, reason: Reason, db: DbOption = DEFAULT_DB_PATH, actor: Actor = None) -> None:
    """Open a new version of an audit (e.g. to re-sample); the old version and its results stay readable."""
    from parcelaudit.audit.lifecycle import open_version, version_label
    from parcelaudit.store import Store

    with Store.open(db) as store:
        audit = open_version(store, audit_id, reason, actor=actor)
    console.print(
        f"opened {version_label(audit)} [{audit['status']}]; commands on {audit['base_id']} now act on it, "
        f"{audit['base_id']}.v{audit['version'] - 1} stays readable"
    )


@audit_app.command("discard")
def discard(audit_id: AuditId, reason: Reason, db: DbOption = DEFAULT_DB_PATH, actor: Actor = None) -> None:
    """Discard an audit: recorded with who, when and why; nothing is deleted and it stays readable."""
    from parcelaudit.audit.lifecycle import discard_audit
    from parcelaudit.store import Store

    with Store.open(db) as store:
        audit = discard_audit(store, audit_id, reason, actor=actor)
    console.print(f"discarded {audit['base_id']} (kept in the store; `audit show {audit['base_id']}`)")


@audit_app.command("list")
def list_command(
    active: Annotated[bool, typer.Option("--active", help="Leave out discarded audits.")] = False,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """List audits: id, current version, importer, period, status, who created it."""
    from parcelaudit.audit.lifecycle import list_audits
    from parcelaudit.store import Store

    with Store.open(db) as store:
        rows = list_audits(store, include_discarded=not active)
    if not rows:
        console.print("no audits in this store (create one with `audit new`)")
        return
    table = Table(title=f"{len(rows)} audit(s)")
    for column in ("audit", "version", "importer", "period", "unit", "status", "created"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["audit_id"],
            str(r["version"]),
            rich_text(r["importer"]),
            f"{r['period_start']} to {r['period_end']}",
            r["unit"],
            "discarded" if r["discarded_at"] is not None else r["status"],
            f"{r['created_by']} {r['created_at']:%Y-%m-%d}",
        )
    console.print(table)


@audit_app.command("importers")
def importers(
    like: Annotated[str | None, typer.Option("--like", help="Only names containing this text.")] = None,
    by: ImporterBy = "seller_name",
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """List importers (seller or marketplace names) with parcel counts and arrival date ranges."""
    from parcelaudit.audit.importers import list_importers, suggest_importers
    from parcelaudit.store import Store

    with Store.open(db) as store:
        rows = list_importers(store, by, like)
        if not rows and like:
            close = suggest_importers([r["importer"] for r in list_importers(store, by)], like)
            raise ParcelAuditError(
                f"no {by} contains {like!r}",
                field="--like",
                hint=(
                    f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "try a shorter text"
                ),
            )
    if not rows:
        console.print(f"[yellow]warning:[/] no parcels with a {by} in this store (ingest shipments first)")
        return
    table = Table(
        title=f"{len(rows):,} importer(s) by {by}" + (f" like {rich_text(repr(like))}" if like else "")
    )
    for column in ("importer", "parcels", "first arrival", "last arrival"):
        table.add_column(column, justify="right" if column == "parcels" else "left")
    for r in rows[:limit]:
        table.add_row(
            rich_text(r["importer"]), f"{r['parcels']:,}", str(r["first_arrival"]), str(r["last_arrival"])
        )
    console.print(table)
    if len(rows) > limit:
        console.print(f"{len(rows) - limit:,} more: narrow with --like or raise --limit")


def register(app: typer.Typer) -> None:
    """Add the `audit` command group to the CLI."""
    app.add_typer(audit_app, name="audit")
