"""Storage engines side by side: ingest and check of one generated set on DuckDB and on PostgreSQL, the
store copy between them, and whether both give the same results.

`python -m bench.run store_engines` (100,000 parcels; PARCELAUDIT_BENCH_PARCELS to change) or
`python -m bench.bench_store_engines --parcels N`. PostgreSQL: $PARCELAUDIT_BENCH_PG (default
postgresql://127.0.0.1:5432/test), schema `bench_store_engines`, dropped first. A leg that fails is reported
with its error (for example a stage that still runs DuckDB SQL on store.con), never hidden; when the
PostgreSQL ingest fails, the PostgreSQL check runs on a store copied from DuckDB (`store copy`) instead.
Checks run without screening (the lists' loading and matching do not touch the store).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

PARCELS = 100_000
FILES = ("shipments", "lines", "orders", "payments")
DEFAULT_PG = "postgresql://127.0.0.1:5432/test"
SCHEMA = "bench_store_engines"
COMPARED = {
    "check_findings": "shipment_id, line_no, rule_id, severity, variant, message, citation, evidence",
    "check_decisions": "shipment_id, decision, reasons, duty_owed, duty_at_risk",
    "check_duty_lines": "shipment_id, line_no, hts, origin, rate, duty, verified, components",
}


def _pg_url() -> str:
    base = os.environ.get("PARCELAUDIT_BENCH_PG") or DEFAULT_PG
    return f"{base}{'&' if '?' in base else '?'}schema={SCHEMA}"


def _failure(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def _timed(action, rows: int) -> dict:
    """Run action(); its seconds and rows/s, or the error it raised."""
    started = time.perf_counter()
    try:
        action()
    except Exception as error:  # a leg that fails is a result, reported as such
        return {"ok": False, "error": _failure(error), "seconds": round(time.perf_counter() - started, 2)}
    seconds = time.perf_counter() - started
    return {
        "ok": True,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
    }


def _ingest(target: str, data: Path) -> None:
    from parcelaudit.ingest import ingest_file
    from parcelaudit.store import open_store

    with open_store(target) as store:
        for name in FILES:
            ingest_file(store, data / f"{name}.csv", rejects_dir=None)


def _check(target: str) -> None:
    from parcelaudit.pipeline import run_check
    from parcelaudit.store import open_store

    with open_store(target) as store:
        run_check(store, screening=False)


def _copy(source: str, destination: str) -> dict:
    from parcelaudit.store import open_store
    from parcelaudit.store.transfer import copy_store

    with open_store(source, read_only=True) as src, open_store(destination) as dst:
        copies = copy_store(src, dst)
    return {"tables": len(copies), "all_equal": all(c.matches for c in copies)}


def _results(target: str) -> dict:
    """The stored check results, sorted, and the duty sums."""
    from parcelaudit.store import open_store

    with open_store(target, read_only=True) as store:
        tables = {
            table: store.query(f"SELECT {columns} FROM {table} ORDER BY {columns}").to_pylist()
            for table, columns in COMPARED.items()
        }
        sums = store.fetch_one("SELECT sum(duty_owed), sum(duty_at_risk), count(*) FROM check_decisions")
    return {"tables": tables, "duty_owed": sums[0], "duty_at_risk": sums[1], "decisions": sums[2]}


def _canonical_checksums(target: str) -> dict:
    from parcelaudit.store import open_store
    from parcelaudit.store.transfer import table_checksum

    with open_store(target, read_only=True) as store:
        return {name: list(table_checksum(store, name)) for name in FILES}


def _drop_pg_schema() -> None:
    import psycopg

    base = os.environ.get("PARCELAUDIT_BENCH_PG") or DEFAULT_PG
    with psycopg.connect(base, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def run(work_dir: Path, parcels: int | None = None) -> dict:
    """Generate `parcels` parcels, ingest and check them on each engine, copy between them, compare."""
    from parcelaudit.generate import generate_dataset

    parcels = parcels or int(os.environ.get("PARCELAUDIT_BENCH_PARCELS") or PARCELS)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    data = work_dir / "data"
    summary = generate_dataset(data, parcels=parcels, seed=11)
    rows = sum(summary["rows"][name] for name in FILES)
    duck, copied, pg = str(work_dir / "bench.duckdb"), str(work_dir / "copied.duckdb"), _pg_url()
    result: dict = {"parcels": parcels, "rows": rows, "load_before": os.getloadavg()[0]}
    try:
        _drop_pg_schema()
    except Exception as error:
        result["postgresql"] = {"skipped": f"no PostgreSQL server: {_failure(error)}"}
    legs = {"duckdb": duck} if "postgresql" in result else {"duckdb": duck, "postgresql": pg}
    for engine, target in legs.items():
        result[engine] = {"ingest": _timed(lambda t=target: _ingest(t, data), rows)}
    if "postgresql" in legs:
        pg_leg = result["postgresql"]
        if not pg_leg["ingest"]["ok"]:
            _drop_pg_schema()
            pg_leg["check_store"] = "copied from the DuckDB store (the PostgreSQL ingest failed)"
        else:
            pg_leg["check_store"] = "ingested on PostgreSQL"
            result["ingest_equal"] = _canonical_checksums(duck) == _canonical_checksums(pg)
        if "copied from" in pg_leg["check_store"]:
            copy = {}
            timing = _timed(lambda: copy.update(_copy(duck, pg)), rows)
            result["copy_duckdb_to_postgresql"] = {**timing, **copy}
    for engine, target in legs.items():
        result[engine]["check"] = _timed(lambda t=target: _check(t), parcels)
    if "postgresql" in legs:
        copy = {}
        timing = _timed(lambda: copy.update(_copy(pg, copied)), rows)
        result["copy_postgresql_to_duckdb"] = {**timing, **copy}
        if result["duckdb"]["check"]["ok"] and result["postgresql"]["check"]["ok"]:
            first, second = _results(duck), _results(pg)
            result["check_equal"] = {
                **{table: first["tables"][table] == second["tables"][table] for table in COMPARED},
                "duty_sums": (first["duty_owed"], first["duty_at_risk"])
                == (second["duty_owed"], second["duty_at_risk"]),
            }
            result["duty_owed"] = [first["duty_owed"], second["duty_owed"]]
        else:
            result["check_equal"] = "not compared: a check leg failed"
    result["load_after"] = os.getloadavg()[0]
    return result


def _cell(leg: dict, step: str, unit: str) -> str:
    if step not in leg:
        return "-"
    timing = leg[step]
    if not timing["ok"]:
        return f"**failed** after {timing['seconds']} s: {timing['error']}"
    return f"{timing['seconds']} s ({timing['rows_per_second']:,} {unit}/s)"


def summarize(result: dict) -> str:
    """Markdown lines for the summary."""
    lines = [
        f"{result['parcels']:,} parcels ({result['rows']:,} rows in four files); checks without screening. "
        f"Load average {result['load_before']:.1f} before, {result['load_after']:.1f} after (2 cores).",
        "",
        "| engine | ingest (4 files) | check |",
        "|---|---|---|",
    ]
    for engine in ("duckdb", "postgresql"):
        leg = result.get(engine, {})
        if "skipped" in leg:
            lines.append(f"| {engine} | skipped: {leg['skipped']} | |")
            continue
        lines.append(f"| {engine} | {_cell(leg, 'ingest', 'rows')} | {_cell(leg, 'check', 'parcels')} |")
    for key, label in (
        ("copy_duckdb_to_postgresql", "store copy DuckDB -> PostgreSQL"),
        ("copy_postgresql_to_duckdb", "store copy PostgreSQL -> DuckDB"),
    ):
        if key in result:
            copy = result[key]
            status = (
                f"{copy['seconds']} s ({copy['rows_per_second']:,} rows/s), "
                f"{copy.get('tables', 0)} tables, counts and checksums equal: {copy.get('all_equal')}"
                if copy["ok"]
                else f"**failed**: {copy['error']}"
            )
            lines.append(f"\n{label}: {status}")
    if "postgresql" in result and "check_store" in result["postgresql"]:
        lines.append(f"\nPostgreSQL check ran on a store {result['postgresql']['check_store']}.")
    if "ingest_equal" in result:
        lines.append(f"Ingested rows identical on both engines (checksums): {result['ingest_equal']}.")
    if "check_equal" in result:
        lines.append(
            f"Check results identical (findings, decisions, duty lines, duty sums): {result['check_equal']}."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=PARCELS)
    arguments = parser.parse_args()
    os.environ["PARCELAUDIT_BENCH_PARCELS"] = str(arguments.parcels)
    from bench.run import main

    sys.exit(main(["store_engines"]))
