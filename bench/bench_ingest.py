"""Foundation benchmark: generate 1,000,000 parcels, then ingest them; rows/s and peak memory."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.memory import measure

PARCELS = 1_000_000
TARGETS = {"line_rows_per_second": 200_000, "peak_rss_mib": 1536, "generate_seconds": 60}


def _generate(out: str) -> dict:
    from parcelaudit.generate import generate_dataset

    return generate_dataset(Path(out), parcels=PARCELS, seed=11)


def _ingest(db: str, path: str) -> dict:
    from parcelaudit.ingest import ingest_file
    from parcelaudit.store import Store

    with Store.open(db) as store:
        result = ingest_file(store, Path(path), rejects_dir=None)
    return {"read": result.rows_read, "stored": result.rows_stored, "rejected": result.rows_rejected}


def run(work_dir: Path) -> dict:
    """Generate once, then ingest each file into a fresh store in a child process (for its peak RSS)."""
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    data = work_dir / "data"
    summary, gen_seconds, gen_peak = measure(_generate, str(data))
    db = work_dir / "bench.duckdb"
    files = {}
    for name in ("shipments", "lines", "orders", "payments"):
        counts, seconds, peak = measure(_ingest, str(db), str(data / f"{name}.csv"))
        files[name] = {
            **counts,
            "seconds": round(seconds, 2),
            "rows_per_second": round(counts["read"] / seconds),
            "peak_rss_mib": round(peak),
        }
    lines = files["lines"]
    return {
        "parcels": PARCELS,
        "generate": {
            "seconds": round(gen_seconds, 2),
            "peak_rss_mib": round(gen_peak),
            "rows": summary["rows"],
        },
        "ingest": files,
        "line_rows_per_second": lines["rows_per_second"],
        "peak_rss_mib": max(f["peak_rss_mib"] for f in files.values()),
        "targets": TARGETS,
        "store_mib": round(db.stat().st_size / 2**20),
    }


def summarize(result: dict) -> str:
    """Markdown lines for the summary."""
    rows = [
        "| file | rows read | stored | rejected | seconds | rows/s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in result["ingest"].items():
        rows.append(
            f"| {name} | {f['read']:,} | {f['stored']:,} | {f['rejected']:,} | {f['seconds']} | "
            f"{f['rows_per_second']:,} | {f['peak_rss_mib']} |"
        )
    gen = result["generate"]
    return "\n".join(
        [
            f"Generated {result['parcels']:,} parcels ({gen['rows']['lines']:,} lines) in {gen['seconds']} s "
            f"(target < {TARGETS['generate_seconds']} s), peak RSS {gen['peak_rss_mib']} MiB.",
            "",
            *rows,
            "",
            f"Line rows per second: **{result['line_rows_per_second']:,}** (target >= {TARGETS['line_rows_per_second']:,}); "
            f"peak RSS **{result['peak_rss_mib']} MiB** (target < {TARGETS['peak_rss_mib']}); store {result['store_mib']} MiB.",
        ]
    )
