"""The demo: the main job end to end on generated data, each stage's outputs listed as it finishes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.store import Store

DEMO_FILES = ("shipments.csv", "lines.csv", "orders.csv", "payments.csv")


def _demo_skus(store: Store, limit: int = 5) -> list[str]:
    """The generated cotton T-shirt and tank-top SKUs (HTS 6109) sold most often: the demo traces them."""
    rows = store.con.execute(
        "SELECT sku FROM lines WHERE sku LIKE '%-TSH' OR sku LIKE '%-TSW' "
        "GROUP BY sku ORDER BY count(*) DESC, sku LIMIT ?",
        [limit],
    ).fetchall()
    return [row[0] for row in rows]


def _audit_demo(store: Store, out: Path) -> list[Path]:
    """The audit demo hook, then its report: HTML, PDF, workpaper and the results sheet."""
    from parcelaudit.audit.demo import ACTOR, run_demo
    from parcelaudit.reports.audit_report import write_report

    audit_id, sheet = run_demo(store, out)
    return [*write_report(store, audit_id, out, actor=ACTOR), sheet]


def _origin_demo(out: Path) -> list[Path]:
    """The origin demo hook, then its verification report (HTML + PDF)."""
    from parcelaudit.origin.demo import run_demo
    from parcelaudit.reports.origin_report import write_verify_report

    return list(write_verify_report(run_demo(out), out, stem="origin_report"))


def _stages(store: Store, out: Path) -> list[tuple[str, Callable[[], list[Path]]]]:
    from parcelaudit.duty.demo import run_demo as duty_demo
    from parcelaudit.pipeline import demo_check
    from parcelaudit.tracing.demo import run_demo as trace_demo

    return [
        (
            "trace: supply chain to raw material (linked to the top T-shirt SKUs)",
            lambda: trace_demo(out / "trace", store=store, skus=_demo_skus(store)),
        ),
        ("check: rules, screening, duty, decisions", lambda: demo_check(store, out / "check")),
        ("duty: a quote with its sources and the coverage report", lambda: duty_demo(out / "duty")),
        ("origin: isotope verification", lambda: _origin_demo(out / "origin")),
        ("audit: sample, projection, report", lambda: _audit_demo(store, out / "audit")),
    ]


def check_summary(store: Store) -> Table:
    """A table of the latest check run: decisions, the rules behind them, and duty."""
    run = store.con.execute(
        "SELECT run_id, shipments, held, reviewed, released, findings FROM check_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchall()[0]
    run_id, shipments, held, reviewed, released, findings = run
    duty = store.con.execute(
        "SELECT sum(duty_owed), sum(duty_at_risk) FROM check_decisions WHERE run_id = ?", [run_id]
    ).fetchall()[0]
    rules = store.con.execute(
        "SELECT rule_id, count(DISTINCT shipment_id) AS parcels FROM check_findings WHERE run_id = ? "
        "GROUP BY rule_id ORDER BY parcels DESC",
        [run_id],
    ).fetchall()
    table = Table(title=f"check run {run_id}: {shipments:,} parcels, {findings:,} findings")
    table.add_column("outcome")
    table.add_column("parcels", justify="right")
    for label, count in (("hold", held), ("review", reviewed), ("release", released)):
        table.add_row(label, f"{count:,} ({count / max(shipments, 1):.1%})")
    table.add_row("duty owed", f"${duty[0] or 0:,.2f}")
    table.add_row("duty at risk (undervaluation, invalid de minimis claims)", f"${duty[1] or 0:,.2f}")
    for rule_id, parcels in rules:
        table.add_row(f"  {rule_id}", f"{parcels:,}")
    return table


def run_demo(
    out: Path, *, parcels: int = 20_000, seed: int = 7, console: Console, err_console: Console
) -> dict:
    """Generate a dataset, ingest it into out/parcelaudit.duckdb, then run every later stage's demo hook."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data_dir, db_path = out / "data", out / "parcelaudit.duckdb"
    started = time.perf_counter()
    with console.status(f"generating {parcels:,} parcels"):
        summary = generate_dataset(data_dir, parcels=parcels, seed=seed)
    console.print(
        f"[bold]generate[/]: {parcels:,} parcels, {summary['rows']['lines']:,} lines, "
        f"{sum(summary['injected'].values())} injected problems -> {data_dir}"
    )
    results = {}
    with Store.open(db_path) as store:
        table = Table(title=f"ingest -> {db_path}")
        for column in ("file", "read", "stored", "duplicates", "rejected"):
            table.add_column(column, justify="left" if column == "file" else "right")
        for name in DEMO_FILES:
            result = ingest_file(store, data_dir / name, rejects_dir=out / "rejects")
            results[name] = result
            table.add_row(
                name,
                f"{result.rows_read:,}",
                f"{result.rows_stored:,}",
                f"{result.rows_duplicate:,}",
                f"{result.rows_rejected:,}",
            )
        console.print(table)
        outputs: dict[str, list[Path]] = {}
        for title, stage in _stages(store, out):
            stage_started = time.perf_counter()
            with console.status(title):
                paths = stage()
            outputs[title] = list(paths)
            console.print(f"[bold]{title}[/] ({time.perf_counter() - stage_started:.1f} s)")
            if title.startswith("check"):
                console.print(check_summary(store))
            for path in paths:
                console.print(f"  {path}")
    console.print(f"demo finished in {time.perf_counter() - started:.1f} s; store: {db_path}")
    return {"generate": summary, "ingest": results, "outputs": outputs}
