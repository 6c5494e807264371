"""Duty benchmark: quotes per second for single lines (the API), and lines per second for the vectorised
line duty of the checks (one quote per distinct HTS, origin, mode and period between change dates).

Environment: PARCELAUDIT_BENCH_DUTY_PARCELS (default 50,000).
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow.csv as pacsv

from parcelaudit.schema import LINES, SHIPMENTS


def run(work_dir: Path) -> dict:
    """Measure quote() throughput and line_duty_table throughput on generated data."""
    from parcelaudit.duty import quote
    from parcelaudit.duty.quote import change_dates
    from parcelaudit.generate import generate_dataset
    from parcelaudit.rules.context import RuleContext
    from parcelaudit.rules.duty import line_duty_table

    change_dates()  # load the tables and the schedule outside the timings
    started = time.perf_counter()
    quotes = 2000
    for i in range(quotes):
        quote("6109100012", ("CN", "VN", "MX", "IN")[i % 4], date(2025, 1, 1) + timedelta(days=i % 400), 100)
    quote_seconds = time.perf_counter() - started
    parcels = int(os.environ.get("PARCELAUDIT_BENCH_DUTY_PARCELS", "50000"))
    data = work_dir / f"duty_{parcels}"
    if not (data / "lines.csv").exists():
        generate_dataset(data, parcels=parcels, days=240, start=date(2025, 3, 1), seed=7)
    tables = [
        pacsv.read_csv(
            data / f"{name}.csv",
            convert_options=pacsv.ConvertOptions(column_types={f.name: f.type for f in spec.fields}),
        )
        for name, spec in (("shipments", SHIPMENTS), ("lines", LINES))
    ]
    ctx = RuleContext(*tables)
    started = time.perf_counter()
    table = line_duty_table(ctx)
    line_seconds = time.perf_counter() - started
    return {
        "quotes": quotes,
        "quotes_per_second": round(quotes / quote_seconds),
        "parcels": parcels,
        "lines": table.num_rows,
        "line_duty_seconds": round(line_seconds, 2),
        "lines_per_second": round(table.num_rows / line_seconds),
    }


def summarize(result: dict) -> str:
    """Markdown lines for bench/results/SUMMARY.md."""
    return (
        f"- duty: {result['quotes_per_second']:,} quotes/s (single lines); line duty of the checks "
        f"{result['lines']:,} lines in {result['line_duty_seconds']} s ({result['lines_per_second']:,} lines/s)"
    )
