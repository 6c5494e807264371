"""Two processes on one store, on both engines: a lock excludes, and migrating at once applies each migration once."""

from __future__ import annotations

import subprocess
import time

import pyarrow as pa
import pytest

from parcelaudit.store import available_migrations, open_store
from tests.store.child import spawn as child

pytestmark = pytest.mark.store
BOUND = 60  # seconds any child may take before the test fails


def finish(process: subprocess.Popen) -> str:
    """Wait (bounded) for a child; its output, after checking it succeeded."""
    out, err = process.communicate(timeout=BOUND)
    assert process.returncode == 0, err
    return out.strip()


@pytest.mark.parametrize("hold", ["hold-lock", "hold-xact-lock"])
def test_a_lock_excludes_another_process_until_released(target, tmp_path, hold):
    open_store(target).close()
    ready = tmp_path / "holding"
    holder = child(hold, target, "ingest:abc", str(ready), "1.5")
    deadline = time.monotonic() + BOUND
    while not ready.exists():
        assert holder.poll() is None, holder.communicate()[1]
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.05)
    taker = child("take-lock", target, "ingest:abc")
    released = float(finish(holder))
    granted = float(finish(taker))
    assert granted >= released


def test_two_processes_migrating_a_new_store_at_once_apply_each_migration_once(target):
    newest = available_migrations()[-1][0]
    first, second = child("open", target), child("open", target)
    assert finish(first) == finish(second) == str(newest)
    with open_store(target) as store:
        versions = [row[0] for row in store.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [v for v, _, _ in available_migrations()]


def test_a_lock_taken_inside_a_failed_transaction_is_released_and_the_error_kept(pg_target, tmp_path):
    import psycopg

    with open_store(pg_target) as store:
        with (
            pytest.raises(psycopg.errors.UndefinedTable),
            store.transaction(),
            store.lock("import:f"),
            store.staged("scratch", pa.table({"n": [1]})),
        ):
            store.execute("SELECT * FROM no_such_table")
        taker = child("take-lock", pg_target, "import:f")
        assert float(finish(taker)) > 0  # another process gets the lock while this connection is open
        with store.staged("scratch", pa.table({"n": [2]})) as name:  # the name is free again
            assert store.scalar(f"SELECT n FROM {name}") == 2


def test_a_lock_until_commit_needs_a_transaction(pg_target):
    from parcelaudit.errors import StoreError

    with open_store(pg_target) as store, pytest.raises(StoreError, match="open transaction"):
        store.lock_until_commit("k")
