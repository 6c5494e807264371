"""Store faults as a user meets them: each is one line naming the file and the fix, never a traceback
or a misleading hint (issue 11 #6, #9; issue 18 #6, #9)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from parcelaudit.errors import StoreError
from parcelaudit.store import Store
from tests.ingest.helpers import SHIPMENT_HEADER, good_shipment, write_csv
from tests.test_cli import run

# These faults belong to a DuckDB file (PostgreSQL's server has its own; the engine contract tests in
# tests/store/ cover a server that is absent, a lock held and a connection lost).
pytestmark = pytest.mark.duckdb_only(
    reason="faults of a DuckDB file: its single-writer lock, a corrupt file, a stale write-ahead log, "
    "a full disk under the file, a read-only file"
)

HOLD = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def _hold(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def _store_with_rows(tmp_path, rows: int = 3):
    path = tmp_path / "s.duckdb"
    csv_path = write_csv(tmp_path / "m.csv", SHIPMENT_HEADER, [good_shipment(f"P{i}") for i in range(rows)])
    result = run("ingest", str(csv_path), "--db", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return path


def test_a_held_store_is_waited_for_then_refused_naming_the_holder(tmp_path):
    path = _store_with_rows(tmp_path)
    holder = _hold(path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match=f"in use by process {holder.pid}") as error:
            Store.open(path, read_only=True, wait_seconds=1.0)
        assert time.monotonic() - started >= 1.0
        assert "close other programs" not in str(error.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_store_released_while_waiting_is_opened(tmp_path):
    path = _store_with_rows(tmp_path)
    holder = _hold(path, 1.5)
    try:
        with Store.open(path, read_only=True, wait_seconds=20) as store:
            assert store.scalar("SELECT count(*) FROM shipments") == 3
    finally:
        holder.wait()


def test_status_waits_for_a_store_another_command_holds(tmp_path):
    path = _store_with_rows(tmp_path)
    holder = _hold(path, 5)  # longer than the command takes to start, shorter than its wait
    try:
        result = run("status", "--db", str(path), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    finally:
        holder.wait()


def test_a_file_that_is_not_a_store_says_so_without_the_lock_hint(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("shipping notes, not a database\n" * 50)
    result = run("status", "--db", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "not a ParcelAudit store" in result.stderr and "close other programs" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_store_fails_status_instead_of_showing_counts(tmp_path):
    path = _store_with_rows(tmp_path, rows=20_000)
    with path.open("r+b") as handle:
        handle.seek(os.path.getsize(path) // 2)
        handle.write(os.urandom(256 * 1024))
    result = run("status", "--db", str(path), cwd=tmp_path)
    assert result.returncode != 0
    assert "corrupt" in result.stderr and "Traceback" not in result.stderr
    again = run("ingest", str(tmp_path / "m.csv"), "--db", str(path), cwd=tmp_path)
    assert again.returncode != 0 and "Traceback" not in again.stderr


def test_a_restored_store_beside_a_stale_wal_is_named(tmp_path):
    path = _store_with_rows(tmp_path)
    backup = tmp_path / "backup.duckdb"
    shutil.copy(path, backup)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE later AS SELECT 1 AS x")
    con.execute("CHECKPOINT")
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute("INSERT INTO later VALUES (2)")
    wal = f"{path}.wal"
    shutil.copy(wal, tmp_path / "pending.wal")
    con.close()
    shutil.copy(backup, path)  # the store restored from its backup; the newer WAL left beside it
    shutil.copy(tmp_path / "pending.wal", wal)
    result = run("status", "--db", str(path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "write-ahead log" in result.stderr and "move the stale .wal" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wal_that_cannot_be_created_is_one_line(tmp_path):
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    (tmp_path / "s.duckdb.wal").mkdir()
    csv_path = write_csv(tmp_path / "m.csv", SHIPMENT_HEADER, [good_shipment("P1")])
    result = run("ingest", str(csv_path), "--db", str(path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "write-ahead log" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(StoreError, match="write-ahead log"):
        Store.open(path)  # refused on opening, before any command does its work


def test_a_full_disk_during_ingest_is_one_line(tmp_path):
    # RLIMIT_FSIZE makes every write past 1 MiB fail as a full disk would (EFBIG), for this process only.
    rows = [good_shipment(f"P{i}", consignee_name="x" * 200) for i in range(40_000)]
    csv_path = write_csv(tmp_path / "big.csv", SHIPMENT_HEADER, rows)
    code = textwrap.dedent(
        """
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        sys.argv = ["parcelaudit", "ingest", sys.argv[1], "--db", sys.argv[2]]
        from parcelaudit.cli import main
        main()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(csv_path), str(tmp_path / "s.duckdb")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "disk is full" in result.stderr and "Traceback" not in result.stderr


def test_a_read_only_store_says_so_without_the_lock_hint(tmp_path):
    path = _store_with_rows(tmp_path)
    # chattr +i refuses writes even to root (file permissions would not, and tests may run as root)
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        csv_path = write_csv(tmp_path / "more.csv", SHIPMENT_HEADER, [good_shipment("Q1")])
        result = run("ingest", str(csv_path), "--db", str(path), cwd=tmp_path)
        assert result.returncode == 2
        assert "not writable" in result.stderr and "close other programs" not in result.stderr
        assert "Traceback" not in result.stderr
        status = run("status", "--db", str(path), cwd=tmp_path)
        assert status.returncode == 0, status.stderr
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)
