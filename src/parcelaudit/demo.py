"""The demo: the main job end to end on generated data, each stage's outputs listed as it finishes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from parcelaudit.duty.demo import run_demo as duty_demo
from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.pipeline import run_check, summarise
from parcelaudit.reports.check_outputs import write_outputs
from parcelaudit.reports.trace_outputs import trace_example
from parcelaudit.store import Store, shown_target
from parcelaudit.store.checks import latest_run_id, read_run
from parcelaudit.store.traces import most_sold_skus, save_trace_verdict

DEMO_FILES = ("shipments.csv", "lines.csv", "orders.csv", "payments.csv")


def _trace(store: Store, out: Path) -> list[Path]:
    """Trace the example chain, sold as the generated T-shirt and tank-top SKUs (HTS 6109) sold most often,
    and store its verdict so that the check links it to their parcels."""
    skus = most_sold_skus(store, ("-TSH", "-TSW"), limit=5)
    result, written = trace_example(out, skus)
    save_trace_verdict(store, result.verdict_json(), out / "trace")
    return written


def demo_check(store: Store, out_dir: Path) -> list[Path]:
    """Check the whole store, write the outputs into out_dir (recorded with the run), return their paths."""
    return write_outputs(run_check(store), Path(out_dir), store=store)


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
    return [
        (
            "trace: supply chain to raw material (linked to the top T-shirt SKUs)",
            lambda: _trace(store, out / "trace"),
        ),
        ("check: rules, screening, duty, decisions", lambda: demo_check(store, out / "check")),
        ("duty: a quote with its sources and the coverage report", lambda: duty_demo(out / "duty")),
        ("origin: isotope verification", lambda: _origin_demo(out / "origin")),
        ("audit: sample, projection, report", lambda: _audit_demo(store, out / "audit")),
    ]


def check_summary(store: Store) -> Table:
    """A table of the latest check run: decisions, the rules behind them, and duty."""
    run_id = latest_run_id(store)
    summary = summarise(*read_run(store, run_id))
    shipments = summary.shipments
    table = Table(title=f"check run {run_id}: {shipments:,} parcels, {summary.findings:,} findings")
    table.add_column("outcome")
    table.add_column("parcels", justify="right")
    for label, count in (("hold", summary.held), ("review", summary.reviewed), ("release", summary.released)):
        table.add_row(label, f"{count:,} ({count / max(shipments, 1):.1%})")
    table.add_row("duty owed", f"${summary.duty_owed:,.2f}")
    table.add_row(
        "duty and fees at risk (undervaluation, invalid de minimis claims)", f"${summary.duty_at_risk:,.2f}"
    )
    table.add_row("fees (MPF, mail fee, HMF; once per entry)", f"${summary.fees:,.2f}")
    for rule_id, parcels in summary.parcels_per_rule.items():
        table.add_row(f"  {rule_id}", f"{parcels:,}")
    return table


def run_demo(
    out: Path,
    *,
    parcels: int = 20_000,
    seed: int = 7,
    console: Console,
    err_console: Console,
    target: str | None = None,
) -> dict:
    """Generate a dataset, ingest it into the store at target (default out/parcelaudit.duckdb; a
    postgresql:// URL works as well), then run every later stage's demo hook."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = out / "data"
    db_path = target or str(out / "parcelaudit.duckdb")
    started = time.perf_counter()
    with console.status(f"generating {parcels:,} parcels"):
        summary = generate_dataset(data_dir, parcels=parcels, seed=seed)
    console.print(
        f"[bold]generate[/]: {parcels:,} parcels, {summary['rows']['lines']:,} lines, "
        f"{sum(summary['injected'].values())} injected problems -> {data_dir}"
    )
    results = {}
    with Store.open(db_path) as store:
        table = Table(title=f"ingest -> {shown_target(db_path)}")
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
    console.print(f"demo finished in {time.perf_counter() - started:.1f} s; store: {shown_target(db_path)}")
    return {"generate": summary, "ingest": results, "outputs": outputs}
