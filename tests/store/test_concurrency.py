"""Commands at the same time on one store, in real processes: on PostgreSQL they run side by side without
lock errors; on DuckDB they wait for the one writer. Two imports of one file at once store it once.

Until a stage is moved off the DuckDB connection (issue 14 ports), a PostgreSQL run of it stops with the
engine's one-line "runs DuckDB SQL on store.con" error: these tests then xfail saying so, and pass on
their own once the port lands.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from parcelaudit.generate import generate_dataset
from parcelaudit.store import open_store
from tests.store.child import spawn as child

pytestmark = pytest.mark.store
BOUND = 240  # seconds every command together may take
NOT_PORTED = "runs DuckDB SQL on store.con"


def start(*args: str, cwd: Path) -> subprocess.Popen:
    """Start `python -m parcelaudit ARGS` in a new process (waiting for locks up to BOUND seconds)."""
    env = {**os.environ, "COLUMNS": "200", "PARCELAUDIT_LOCK_TIMEOUT": str(BOUND)}
    return child(*args, module="parcelaudit", cwd=cwd, env=env)


def settle(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    """Wait (bounded) for every process; xfail when a stage has not been moved off the DuckDB connection."""
    results = []
    for process in processes:
        out, err = process.communicate(timeout=BOUND)
        results.append((process.returncode, out, err))
    for _, _, err in results:
        if NOT_PORTED in err:
            pytest.xfail(f"a stage still runs DuckDB SQL on store.con: {err.strip().splitlines()[-1]}")
    for code, _, err in results:
        assert code == 0, err
        assert "lock" not in err.lower(), err
    return results


def test_two_imports_of_one_file_at_once_store_it_once(target, tmp_path):
    generate_dataset(tmp_path / "data", parcels=1500, seed=5)
    shipments = str(tmp_path / "data" / "shipments.csv")
    settle([start("ingest", shipments, "--db", target, cwd=tmp_path) for _ in range(2)])
    with open_store(target, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM imports") == 1
        assert store.scalar("SELECT count(*) FROM shipments") == 1500
        assert store.scalar("SELECT count(DISTINCT shipment_id) FROM shipments") == 1500


def test_two_files_sharing_rows_imported_at_once_store_each_row_once(target, tmp_path):
    generate_dataset(tmp_path / "data", parcels=1500, seed=5)
    rows = (tmp_path / "data" / "shipments.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    early.write_text("".join(rows[:1001]), encoding="utf-8")  # header and parcels 1-1000
    late.write_text(rows[0] + "".join(rows[501:]), encoding="utf-8")  # header and parcels 501-1500
    settle([start("ingest", str(path), "--db", target, cwd=tmp_path) for path in (early, late)])
    with open_store(target, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM shipments") == 1500
        assert store.scalar("SELECT count(DISTINCT shipment_id) FROM shipments") == 1500
        assert store.scalar("SELECT sum(rows_duplicate) FROM imports") == 500


def test_ingest_check_and_reads_at_the_same_time(target, tmp_path):
    generate_dataset(tmp_path / "first", parcels=1500, seed=5)
    generate_dataset(tmp_path / "second", parcels=1500, seed=6, start="2026-01-01")
    first = [str(tmp_path / "first" / f"{name}.csv") for name in ("shipments", "lines")]
    second = [str(tmp_path / "second" / f"{name}.csv") for name in ("orders", "payments")]
    settle([start("ingest", *first, "--db", target, cwd=tmp_path)])
    settle(
        [
            start("ingest", *second, "--db", target, cwd=tmp_path),
            start("check", "--out", str(tmp_path / "out"), "--db", target, "--no-screening", cwd=tmp_path),
            start("status", "--db", target, cwd=tmp_path),
            start("store", "info", "--db", target, cwd=tmp_path),
        ]
    )
    with open_store(target, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM imports") == 4
        assert store.scalar("SELECT count(*) FROM check_runs") == 1
        assert store.scalar("SELECT count(*) FROM check_decisions") == 1500


def test_postgresql_readers_and_a_copy_do_not_wait_for_an_open_write(pg_target, tmp_path):
    open_store(pg_target).close()
    ready = tmp_path / "writing"
    writer = child("hold-transaction", pg_target, str(ready), "30")
    try:
        deadline = time.monotonic() + BOUND
        while not ready.exists():
            assert writer.poll() is None, writer.communicate()[1]
            assert time.monotonic() < deadline, "the writer never began"
            time.sleep(0.05)
        info = start("store", "info", "--db", pg_target, cwd=tmp_path)
        copy = start("store", "copy", pg_target, str(tmp_path / "copy.duckdb"), cwd=tmp_path)
        (_, shown, _), _ = settle([info, copy])
        assert writer.poll() is None  # both finished while the write was still open
        assert re.search(r"payments\s*│\s*0\s*│", shown), shown  # the uncommitted row is not seen
    finally:
        writer.kill()
        writer.communicate(timeout=BOUND)
