"""Same inputs, same outputs on both engines: the demo (generate, ingest, check, trace, audit) run into a DuckDB
store and into a PostgreSQL one leaves the same findings, decisions, duty lines, trace verdicts and audit
results (row counts and an order-independent checksum of every column except clock readings and the folder the
two runs wrote to)."""

from __future__ import annotations

import io

from rich.console import Console

from parcelaudit.demo import run_demo
from parcelaudit.store import open_store
from parcelaudit.store.transfer import query_checksum

RESULTS = ("check_findings", "check_decisions", "check_duty_lines", "trace_verdicts", "audit_results")


def _circumstantial(column: str) -> bool:
    """Columns that differ between two runs by construction: when something happened, where files went."""
    return column.endswith("_at") or column in {"started", "finished", "created", "recorded", "out_dir"}


def _fingerprints(target: str) -> dict[str, tuple[int, int]]:
    with open_store(target, read_only=True) as store:
        found = {}
        for table in RESULTS:
            columns = [
                c
                for c in store.query(f"SELECT * FROM {table} LIMIT 0").column_names
                if not _circumstantial(c)
            ]
            found[table] = query_checksum(store, f"SELECT {', '.join(columns)} FROM {table}")
        return found


def test_the_demo_leaves_the_same_results_on_both_engines(both_targets, tmp_path):
    quiet = Console(file=io.StringIO(), width=200)
    fingerprints = []
    for n, target in enumerate(both_targets):
        run_demo(tmp_path / f"demo{n}", parcels=1500, console=quiet, err_console=quiet, target=target)
        fingerprints.append(_fingerprints(target))
    duckdb, postgresql = fingerprints
    assert all(rows for rows, _ in duckdb.values()), duckdb  # every result table has rows
    assert duckdb == postgresql
