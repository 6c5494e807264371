"""Determinism benchmark: `parcelaudit check` run five times on one 300,000-parcel store, each in a fresh
process with DuckDB on every core; every output file and the stored findings and decisions of each run are
hashed. The claim (docs/checks.md, "Same store, same answer") holds when each has one distinct hash.

Environment: PARCELAUDIT_BENCH_DETERMINISM_PARCELS (default 300,000), PARCELAUDIT_BENCH_DETERMINISM_RUNS
(default 5), PARCELAUDIT_BENCH_SCREENING=0 to check without screening.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from parcelaudit.generate import generate_dataset
from parcelaudit.outputs import MANIFEST

SEED = 18
STORED = {
    "stored_findings": "SELECT * EXCLUDE (run_id) FROM check_findings WHERE run_id = {run} ORDER BY rowid",
    "stored_decisions": "SELECT * EXCLUDE (run_id) FROM check_decisions WHERE run_id = {run} ORDER BY rowid",
    "stored_duty_lines": "SELECT * EXCLUDE (run_id) FROM check_duty_lines WHERE run_id = {run} ORDER BY rowid",
}


def _cli(*args: str) -> None:
    command = [sys.executable, "-m", "parcelaudit", *args]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stored_hashes(db: Path, run: int, scratch: Path) -> dict[str, str]:
    """SHA-256 of each stored table's rows for one run, written as CSV in insertion order."""
    hashes = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, sql in STORED.items():
            target = scratch / f"{name}.csv"
            con.execute(f"COPY ({sql.format(run=int(run))}) TO '{target}' (HEADER)")
            hashes[name] = _sha256(target)
            target.unlink()
    finally:
        con.close()
    return hashes


def run(work_dir: Path) -> dict:
    """Generate and ingest once, then check N times in fresh processes; hash every output per run."""
    parcels = int(os.environ.get("PARCELAUDIT_BENCH_DETERMINISM_PARCELS", "300000"))
    runs = int(os.environ.get("PARCELAUDIT_BENCH_DETERMINISM_RUNS", "5"))
    screening = os.environ.get("PARCELAUDIT_BENCH_SCREENING", "1") != "0"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    data, db = work_dir / "data", work_dir / "store.duckdb"
    started = time.perf_counter()
    generate_dataset(data, parcels=parcels, seed=SEED)
    _cli(
        "ingest",
        *(str(data / f"{n}.csv") for n in ("shipments", "lines", "orders", "payments")),
        "--db",
        str(db),
        "--rejects-dir",
        str(work_dir / "rejects"),
    )
    prepare_seconds = time.perf_counter() - started
    per_run = []
    for index in range(1, runs + 1):
        out = work_dir / f"out{index}"
        started = time.perf_counter()
        _cli("check", "--db", str(db), "--out", str(out), *([] if screening else ["--no-screening"]))
        seconds = time.perf_counter() - started
        files = {p.name: _sha256(p) for p in sorted(out.iterdir()) if p.name != MANIFEST}
        per_run.append(
            {"run": index, "seconds": round(seconds, 1), **files, **_stored_hashes(db, index, work_dir)}
        )
    keys = [k for k in per_run[0] if k not in ("run", "seconds")]
    distinct = {k: len({r[k] for r in per_run}) for k in keys}
    return {
        "parcels": parcels,
        "runs": runs,
        "screening": screening,
        "duckdb_threads": duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0],
        "prepare_seconds": round(prepare_seconds, 1),
        "distinct_hashes": distinct,
        "byte_identical": all(n == 1 for n in distinct.values()),
        "per_run": per_run,
    }


def summarize(result: dict) -> str:
    """Markdown: one line per output, how many distinct hashes the runs gave."""
    lines = [
        f"`parcelaudit check` {result['runs']} times on one {result['parcels']:,}-parcel store "
        f"({'with' if result['screening'] else 'without'} screening), each in a fresh process, DuckDB "
        f"threads {result['duckdb_threads']}; check took "
        + ", ".join(f"{r['seconds']} s" for r in result["per_run"])
        + ".",
        "",
        "| output | distinct SHA-256 over the runs |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {n} |" for name, n in result["distinct_hashes"].items()]
    lines += ["", f"Byte-identical: **{'yes' if result['byte_identical'] else 'no'}**."]
    return "\n".join(lines)
