"""PostgreSQL query plans stay linear: no statement of ingest, a partitioned check or an incremental check plans
a SubPlan, a subquery evaluated as a condition on each outer row.

`x OR id IN (SELECT ...)` is the known trap: PostgreSQL cannot turn an IN under OR into a join, so it plans a
SubPlan, hashes its rows while they fit in work_mem (`hashed SubPlan 1`), and once they outgrow it reruns the
subquery for every outer row: quadratic in the store (found on a 1,000,000-parcel store, docs/architecture.md).
Test data is small enough to fit, so a hashed SubPlan is refused as well as a plain one: an IN that PostgreSQL
can plan as a join never shows a SubPlan, and an InitPlan (run once) is fine. Every statement is planned at
work_mem 64 kB (PostgreSQL's minimum), just before it runs, on the same connection, so the temporary tables it
names exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.pipeline import run_check
from parcelaudit.store import open_store
from parcelaudit.store.postgres_engine import PostgresStore

PLANNED = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# A subquery used as a condition on each row: `(SubPlan 2)`, or `(hashed SubPlan 2)` while it fits in work_mem.
PER_ROW_SUBPLAN = re.compile(r"\bSubPlan \d+\)")


@pytest.fixture
def explained(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every DML statement run on a PostgreSQL store from now on, with its plan at work_mem 64 kB."""
    plans: list[tuple[str, str]] = []
    real_run = PostgresStore._run

    def run_and_explain(self, text: str, params=None):
        if PLANNED.match(text):
            real_run(self, "SET work_mem = '64kB'").close()
            try:
                with real_run(self, f"EXPLAIN {text}", params) as cursor:
                    plans.append((text, "\n".join(row[0] for row in cursor.fetchall())))
            finally:
                real_run(self, "RESET work_mem").close()
        return real_run(self, text, params)

    monkeypatch.setattr(PostgresStore, "_run", run_and_explain)
    return plans


def _ingest_folder(
    store, folder: Path, rejects: Path, names=("shipments", "lines", "orders", "payments")
) -> None:
    for name in names:
        result = ingest_file(store, folder / f"{name}.csv", rejects_dir=rejects)
        assert result.rows_rejected == 0, name


def test_ingest_and_checks_plan_no_per_row_subquery(pg_target, tmp_path, explained):
    first, second = tmp_path / "first", tmp_path / "second"
    generate_dataset(first, parcels=1500, days=6, seed=3, rate=0.02)
    generate_dataset(second, parcels=300, days=2, seed=4, rate=0.02)
    with open_store(pg_target) as store:
        _ingest_folder(store, first, tmp_path / "rejects")
        run_check(store, screening=False, row_budget=600)  # several partitions
        # payment ids do not carry the seed: the second set's would clash with the first's
        _ingest_folder(store, second, tmp_path / "rejects2", ("shipments", "lines", "orders"))
        run_check(store, screening=False, since="last")
    assert len(explained) > 50  # the spy saw the runs' statements
    quadratic = [(text, plan) for text, plan in explained if PER_ROW_SUBPLAN.search(plan)]
    assert not quadratic, "\n\n".join(f"{text}\n{plan}" for text, plan in quadratic[:3])
