"""Demo hook: a duty quote (a Chinese T-shirt on the day of the 125% reciprocal rate) and the coverage report."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from parcelaudit.duty.coverage import coverage_rows, coverage_summary
from parcelaudit.duty.quote import quote

DEMO_QUOTE = ("6109100012", "CN", date(2025, 4, 10), 100)


def run_demo(out: Path) -> list[Path]:
    """Write quote.json (one quote, every component with source and status) and coverage.csv; return them."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    q = quote(*DEMO_QUOTE)
    payload = q.to_dict()
    quote_path, coverage_path, summary_path = (
        out / "quote.json",
        out / "coverage.csv",
        out / "coverage_summary.csv",
    )
    quote_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    for path, rows in ((coverage_path, coverage_rows()), (summary_path, coverage_summary())):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return [quote_path, summary_path, coverage_path]
