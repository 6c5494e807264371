"""Storage engines side by side: ingest and check of one generated set on DuckDB and on PostgreSQL, the
store copy between them, and whether both give the same results; then the demo (trace, check with screening,
audit) on each engine, compared the same way.

`python -m bench.run store_engines` (100,000 parcels, demo 20,000) or
`python -m bench.bench_store_engines --parcels N [--demo-parcels M]` (results in
bench/results/store_engines_N.json when N is not the default). The sizes are parameters because the machine is
shared: PARCELAUDIT_BENCH_PARCELS and PARCELAUDIT_BENCH_DEMO_PARCELS set them too (0 skips the demo leg).
PostgreSQL: $PARCELAUDIT_BENCH_PG (default postgresql://127.0.0.1:5432/test), schemas `bench_store_engines`
and `bench_store_engines_demo`, dropped first. A leg that fails is reported with its error, never hidden; when
the PostgreSQL ingest fails, the PostgreSQL check runs on a store copied from DuckDB (`store copy`) instead.
Checks run without screening (the lists' loading and matching do not touch the store); the demo screens.

"Identical" is proved with order-independent checksums (store/transfer.py `query_checksum`: the sum of a hash
of every row, over the Arrow each engine returns) of the compared columns: every column but the run id,
timestamps and output folders.
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
DEMO_PARCELS = 20_000
DEMO_SCHEMA = "bench_store_engines_demo"
# table -> the compared columns (run ids, timestamps and output folders differ between any two runs).
COMPARED = {
    "check_findings": "shipment_id, line_no, rule_id, severity, variant, message, citation, evidence",
    "check_decisions": "shipment_id, decision, reasons, duty_owed, duty_at_risk",
    "check_duty_lines": "shipment_id, line_no, hts, origin, rate, duty, verified, components",
}
DEMO_COMPARED = {
    **COMPARED,
    "trace_verdicts": "product, sku, verdict, coverage, reasons",
    "audits": "audit_id, base_id, version, importer_by, importer, period_start, period_end, unit, status",
    "audit_population": "*",
    "audit_strata": "*",
    "audit_sample": "*",
    "audit_results": "audit_id, item_id, corrected_value, corrected_hts, corrected_origin, duty_free, "
    "audited_duty, in_error, notes, recorded_by, test, reason",
    "audit_evaluations": "audit_id, method, confidence, demand_basis, loss_point, loss_lower, loss_upper, "
    "demand, compliance_rate, compliance_lower, compliance_upper",
}
DEMO_FILES = ("check/findings.csv", "check/decisions.csv")


def _pg_url(schema: str = SCHEMA) -> str:
    base = os.environ.get("PARCELAUDIT_BENCH_PG") or DEFAULT_PG
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


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


def _checksums(target: str, compared: dict[str, str]) -> dict[str, list[int]]:
    """[rows, order-independent checksum] of the compared columns of each table."""
    from parcelaudit.store import open_store
    from parcelaudit.store.transfer import query_checksum

    with open_store(target, read_only=True) as store:
        return {
            table: list(query_checksum(store, f"SELECT {columns} FROM {table}"))
            for table, columns in compared.items()
        }


def _duty_sums(target: str) -> list:
    """Duty owed and at risk summed over the decisions, and the number of decisions. Summed exactly (as the run
    summary does, arrow_sql.exact_sum): a float sum's last bits depend on the order the engine adds rows in,
    which differs between engines and between two runs of one."""
    from parcelaudit.arrow_sql import exact_sum
    from parcelaudit.store import open_store

    sql = f"SELECT {exact_sum('duty_owed')}, {exact_sum('duty_at_risk')}, count(*) FROM check_decisions"
    with open_store(target, read_only=True) as store:
        return list(store.fetch_one(sql))


def _compare(first: dict, second: dict) -> dict[str, bool]:
    return {key: first[key] == second[key] for key in first}


def _canonical_checksums(target: str) -> dict:
    from parcelaudit.store import open_store
    from parcelaudit.store.transfer import table_checksum

    with open_store(target, read_only=True) as store:
        return {name: list(table_checksum(store, name)) for name in FILES}


def _drop_pg_schema(schema: str = SCHEMA) -> None:
    import psycopg

    base = os.environ.get("PARCELAUDIT_BENCH_PG") or DEFAULT_PG
    with psycopg.connect(base, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _demo(out: Path, target: str, parcels: int) -> None:
    from rich.console import Console

    from parcelaudit.demo import run_demo

    quiet = Console(quiet=True)
    run_demo(out, parcels=parcels, console=quiet, err_console=quiet, target=target)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_demo_legs(work_dir: Path, parcels: int) -> dict:
    """The demo (generate, ingest, trace, check with screening, origin, audit) on each engine, timed; its
    stored results and its findings and decisions files compared."""
    duck, pg = str(work_dir / "demo-duckdb" / "parcelaudit.duckdb"), _pg_url(DEMO_SCHEMA)
    _drop_pg_schema(DEMO_SCHEMA)
    result: dict = {"parcels": parcels}
    legs = {"duckdb": duck, "postgresql": pg}
    for engine, target in legs.items():
        result[engine] = _timed(lambda e=engine, t=target: _demo(work_dir / f"demo-{e}", t, parcels), parcels)
    if not all(result[engine]["ok"] for engine in legs):
        result["equal"] = "not compared: a demo leg failed"
        return result
    sums = {engine: _checksums(target, DEMO_COMPARED) for engine, target in legs.items()}
    files = {engine: {f: _sha256(work_dir / f"demo-{engine}" / f) for f in DEMO_FILES} for engine in legs}
    result["checksums"] = sums
    result["files_sha256"] = files
    result["equal"] = {
        **_compare(sums["duckdb"], sums["postgresql"]),
        **_compare(files["duckdb"], files["postgresql"]),
    }
    return result


def _read_inputs(target: str) -> None:
    from parcelaudit.store import open_store
    from parcelaudit.store.checks import read_check_inputs

    with open_store(target, read_only=True) as store:
        read_check_inputs(store)


def run(work_dir: Path, parcels: int | None = None, demo_parcels: int | None = None) -> dict:
    """Generate `parcels` parcels, ingest and check them on each engine, copy between them, compare; then
    the demo of `demo_parcels` parcels on each engine, compared."""
    from parcelaudit.generate import generate_dataset

    parcels = parcels or int(os.environ.get("PARCELAUDIT_BENCH_PARCELS") or PARCELS)
    if demo_parcels is None:
        demo_parcels = int(os.environ.get("PARCELAUDIT_BENCH_DEMO_PARCELS") or DEMO_PARCELS)
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
        result[engine]["load_after_ingest"] = os.getloadavg()[0]
    if "postgresql" in legs:
        pg_leg = result["postgresql"]
        if not pg_leg["ingest"]["ok"]:
            _drop_pg_schema()
            pg_leg["check_store"] = "copied from the DuckDB store (the PostgreSQL ingest failed)"
        else:
            pg_leg["check_store"] = "ingested on PostgreSQL"
            result["ingest_checksums"] = {e: _canonical_checksums(t) for e, t in legs.items()}
            result["ingest_equal"] = (
                result["ingest_checksums"]["duckdb"] == result["ingest_checksums"]["postgresql"]
            )
        if "copied from" in pg_leg["check_store"]:
            copy = {}
            timing = _timed(lambda: copy.update(_copy(duck, pg)), rows)
            result["copy_duckdb_to_postgresql"] = {**timing, **copy}
    for engine, target in legs.items():
        result[engine]["check"] = _timed(lambda t=target: _check(t), parcels)
        result[engine]["load_after_check"] = os.getloadavg()[0]
        # The store's share of a check: reading its inputs (the rules, duty and decisions run on Arrow and
        # do not depend on the engine).
        result[engine]["read_check_inputs"] = _timed(lambda t=target: _read_inputs(t), parcels)
    if "postgresql" in legs:
        copy = {}
        timing = _timed(lambda: copy.update(_copy(pg, copied)), rows)
        result["copy_postgresql_to_duckdb"] = {**timing, **copy}
        if result["duckdb"]["check"]["ok"] and result["postgresql"]["check"]["ok"]:
            sums = {engine: _checksums(target, COMPARED) for engine, target in legs.items()}
            duty = {engine: _duty_sums(target) for engine, target in legs.items()}
            result["check_checksums"] = sums
            result["duty_sums"] = duty
            result["check_equal"] = {
                **_compare(sums["duckdb"], sums["postgresql"]),
                "duty_sums": duty["duckdb"] == duty["postgresql"],
            }
        else:
            result["check_equal"] = "not compared: a check leg failed"
        if demo_parcels:
            result["demo"] = run_demo_legs(work_dir, demo_parcels)
    result["load_after"] = os.getloadavg()[0]
    return result


def _cell(leg: dict, step: str, unit: str) -> str:
    if step not in leg:
        return "-"
    timing = leg[step]
    if not timing["ok"]:
        return f"**failed** after {timing['seconds']} s: {timing['error']}"
    return f"{timing['seconds']} s ({timing['rows_per_second']:,} {unit}/s)"


def _ratio(result: dict, step: str) -> str:
    """How many times PostgreSQL's seconds are DuckDB's for a step (or '-')."""
    try:
        duck, pg = result["duckdb"][step], result["postgresql"][step]
    except KeyError:
        return "-"
    if not (duck["ok"] and pg["ok"]) or not duck["seconds"]:
        return "-"
    return f"{pg['seconds'] / duck['seconds']:.2f}x"


def _checksum_lines(title: str, sums: dict, equal: dict) -> list[str]:
    lines = [
        f"\n{title}\n",
        "| table | rows | checksum DuckDB | checksum PostgreSQL | identical |",
        "|---|---:|---|---|---|",
    ]
    for table, (rows, duck) in sums["duckdb"].items():
        pg = sums["postgresql"][table][1]
        lines.append(f"| {table} | {rows:,} | {duck:016x} | {pg:016x} | {equal[table]} |")
    return lines


def summarize(result: dict) -> str:
    """Markdown lines for the summary."""
    lines = [
        f"{result['parcels']:,} parcels ({result['rows']:,} rows in four files); checks without screening. "
        f"Load average {result['load_before']:.1f} before, {result['load_after']:.1f} after (2 cores, shared).",
        "",
        "| engine | ingest (4 files) | check | of which reading the check's inputs |",
        "|---|---|---|---|",
    ]
    for engine in ("duckdb", "postgresql"):
        leg = result.get(engine, {})
        if "skipped" in leg:
            lines.append(f"| {engine} | skipped: {leg['skipped']} | | |")
            continue
        lines.append(
            f"| {engine} | {_cell(leg, 'ingest', 'rows')} | {_cell(leg, 'check', 'parcels')} "
            f"| {_cell(leg, 'read_check_inputs', 'parcels')} |"
        )
    if "postgresql" in result and "ingest" in result["postgresql"]:
        lines.append(
            f"| PostgreSQL / DuckDB | {_ratio(result, 'ingest')} | {_ratio(result, 'check')} "
            f"| {_ratio(result, 'read_check_inputs')} |"
        )
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
        lines.append(
            f"Ingested rows identical on both engines (checksums of the four tables): {result['ingest_equal']}."
        )
    if isinstance(result.get("check_equal"), dict):
        lines += _checksum_lines(
            "Check results (without screening), compared columns of each table:",
            result["check_checksums"],
            result["check_equal"],
        )
        lines.append(
            f"\nDuty owed, duty at risk, decisions: DuckDB {result['duty_sums']['duckdb']}, PostgreSQL "
            f"{result['duty_sums']['postgresql']}; identical: {result['check_equal']['duty_sums']}."
        )
    elif "check_equal" in result:
        lines.append(f"Check results: {result['check_equal']}.")
    if result.get("note"):
        lines.append(f"\nNote: {result['note']}")
    demo = result.get("demo")
    if demo:
        lines.append(
            f"\nDemo ({demo['parcels']:,} parcels: trace, check with screening, origin, audit, reports): "
            f"DuckDB {_cell(demo, 'duckdb', 'parcels')}, PostgreSQL {_cell(demo, 'postgresql', 'parcels')}."
        )
        if isinstance(demo.get("equal"), dict):
            lines += _checksum_lines(
                "Demo results, compared columns of each table:", demo["checksums"], demo["equal"]
            )
            for name in DEMO_FILES:
                lines.append(
                    f"\n{name} SHA-256: DuckDB {demo['files_sha256']['duckdb'][name][:16]}..., PostgreSQL "
                    f"{demo['files_sha256']['postgresql'][name][:16]}...; identical: {demo['equal'][name]}."
                )
        else:
            lines.append(f"Demo results: {demo.get('equal')}.")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=PARCELS)
    parser.add_argument("--demo-parcels", type=int, default=DEMO_PARCELS, help="0 skips the demo leg")
    arguments = parser.parse_args()
    os.environ["PARCELAUDIT_BENCH_PARCELS"] = str(arguments.parcels)
    os.environ["PARCELAUDIT_BENCH_DEMO_PARCELS"] = str(arguments.demo_parcels)
    from bench.run import main

    suffix = "" if arguments.parcels == PARCELS else f"_{arguments.parcels}"
    sys.exit(main(["store_engines"], suffix=suffix))
