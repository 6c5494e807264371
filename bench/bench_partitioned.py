"""Partitioned data benchmark: export a generated store as Parquet, one folder per arrival day
(`export --parquet`), then ingest the folder into a fresh store (`ingest DIR`); seconds, rows/s and peak RSS
of each, whether the round trip kept every row, whether a re-export is byte-identical, and the load average.

Environment: PARCELAUDIT_BENCH_PARCELS (default 200,000), PARCELAUDIT_BENCH_DAYS (default 240).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

from bench.generated import generated_store
from bench.memory import measure

PARCELS = int(os.environ.get("PARCELAUDIT_BENCH_PARCELS", "200000"))
DAYS = int(os.environ.get("PARCELAUDIT_BENCH_DAYS", "240"))
START, SEED = date(2025, 3, 1), 7
TABLES = ("shipments", "lines", "orders", "payments")


def _source_store(work_dir: Path) -> Path:
    """The generated store, built once per generator version and size."""
    return generated_store(work_dir, PARCELS, DAYS, START, SEED)


def _export(db: str, out: str) -> dict:
    from parcelaudit.partitioned.export import export_parquet
    from parcelaudit.store import Store

    with Store.open(db, read_only=True) as store:
        written = export_parquet(store, Path(out))
    return {"files": len(written), "rows": sum(part.rows for part in written)}


def _ingest(db: str, folder: str) -> dict:
    from parcelaudit.ingest.partitioned import ingest_partitioned
    from parcelaudit.store import Store

    files = rows = stored = rejected = 0
    with Store.open(db) as store:
        for _, result in ingest_partitioned(store, Path(folder), rejects_dir=None):
            files += 1
            rows += result.rows_read
            stored += sum(result.stored_by_table.values())
            rejected += result.rows_rejected
    return {"files": files, "rows": rows, "stored": stored, "rejected": rejected}


def _counts(db: Path) -> dict[str, int]:
    from parcelaudit.store import Store

    with Store.open(str(db), read_only=True) as store:
        return {name: store.scalar(f"SELECT count(*) FROM {name}") for name in TABLES}


def _figures(result: dict, seconds: float, peak: float) -> dict:
    return {
        **result,
        "seconds": round(seconds, 2),
        "rows_per_second": round(result["rows"] / seconds),
        "peak_rss_mib": round(peak),
    }


def run(work_dir: Path) -> dict:
    """Build the source store (cached), then time export, re-export and re-ingest each in a child process."""
    work_dir.mkdir(parents=True, exist_ok=True)
    source = _source_store(work_dir)
    out, again, fresh = work_dir / "export", work_dir / "export_again", work_dir / "fresh.duckdb"
    for path in (out, again):
        shutil.rmtree(path, ignore_errors=True)
    fresh.unlink(missing_ok=True)
    load_before = os.getloadavg()
    exported, export_seconds, export_peak = measure(_export, str(source), str(out))
    ingested, ingest_seconds, ingest_peak = measure(_ingest, str(fresh), str(out))
    load_after = os.getloadavg()
    measure(_export, str(fresh), str(again))
    identical = (out / "manifest.json").read_bytes() == (again / "manifest.json").read_bytes()
    source_counts, fresh_counts = _counts(source), _counts(fresh)
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "parcels": PARCELS,
        "days": DAYS,
        "rows": source_counts,
        "export": {
            **_figures(exported, export_seconds, export_peak),
            "mib": round(sum((out / f["path"]).stat().st_size for f in manifest["files"]) / 2**20, 1),
        },
        "ingest": _figures(ingested, ingest_seconds, ingest_peak),
        "round_trip_same_counts": source_counts == fresh_counts,
        "re_export_byte_identical": identical,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def summarize(result: dict) -> str:
    """Markdown lines for the summary."""
    rows = ["| step | files | rows | seconds | rows/s | peak RSS MiB |", "|---|---|---|---|---|---|"]
    for step in ("export", "ingest"):
        f = result[step]
        rows.append(
            f"| {step} | {f['files']:,} | {f['rows']:,} | {f['seconds']} | {f['rows_per_second']:,} | "
            f"{f['peak_rss_mib']} |"
        )
    counts = ", ".join(f"{name} {count:,}" for name, count in result["rows"].items())
    return "\n".join(
        [
            f"{result['parcels']:,} generated parcels over {result['days']} arrival days ({counts}), exported "
            f"as Parquet one folder per day and table ({result['export']['mib']} MiB), then ingested into a "
            "fresh store.",
            "",
            *rows,
            "",
            f"Round trip kept every row: {result['round_trip_same_counts']}; "
            f"re-export byte-identical: {result['re_export_byte_identical']}.",
            f"Load average (1, 5, 15 min) before: {result['load_average_before']}, "
            f"after: {result['load_average_after']} (2 cores shared).",
        ]
    )
