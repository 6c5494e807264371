"""Duty benchmark: quotes per second for single lines (the API) on a mix of lines (Section 301 listed and
not listed, Section 232 derivatives, country rates, EU top-up), and lines per second for the vectorised
line duty of the checks (one quote per distinct HTS, origin, mode and period between change dates). The
load average is recorded beside the timings (2 shared cores).

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
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    quotes = 2000
    for i in range(quotes):
        quote("6109100012", ("CN", "VN", "MX", "IN")[i % 4], date(2025, 1, 1) + timedelta(days=i % 400), 100)
    quote_seconds = time.perf_counter() - started
    mixed = [
        ("9403608081", "CN"),  # Section 301 List 3
        ("9503000073", "CN"),  # on no list (verified 'not listed')
        ("7208101500", "CN"),  # four-year review and Section 232
        ("8418100010", "VN"),  # Section 232 derivative, metal content
        ("9403608081", "DE"),  # EU 15% top-up
        ("6109100012", "CH"),  # EO 14326 country rate
    ]
    started = time.perf_counter()
    for i in range(quotes):
        hts, origin = mixed[i % len(mixed)]
        quote(hts, origin, date(2018, 6, 1) + timedelta(days=(i * 7) % 2900), 100, metal_value=30)
    mixed_seconds = time.perf_counter() - started
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
        "mixed_quotes_per_second": round(quotes / mixed_seconds),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "parcels": parcels,
        "lines": table.num_rows,
        "line_duty_seconds": round(line_seconds, 2),
        "lines_per_second": round(table.num_rows / line_seconds),
    }


def summarize(result: dict) -> str:
    """Markdown lines for bench/results/SUMMARY.md."""
    load = result.get("load_average_1min", ["?", "?"])
    return (
        f"- duty: {result['quotes_per_second']:,} quotes/s (single lines), "
        f"{result.get('mixed_quotes_per_second', 0):,} quotes/s on mixed lines 2018-2026; line duty of the checks "
        f"{result['lines']:,} lines in {result['line_duty_seconds']} s ({result['lines_per_second']:,} lines/s); "
        f"load average {load[0]} -> {load[1]} (2 cores)"
    )
