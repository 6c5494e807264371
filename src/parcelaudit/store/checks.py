"""The check stage's reads and writes: the inputs of a check run as Arrow, and a run's results.

Stages never call this module; the pipeline (parcelaudit.pipeline) and the faces do. SQL here is portable
(standard SQL, `?` placeholders): the PostgreSQL engine translates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from parcelaudit.schema import LINES, ORDERS, SHIPMENTS
from parcelaudit.store.base import Store, table_name, utc_now


@dataclass(frozen=True)
class CheckInputs:
    """What a check run reads: the window's shipments plus the other parcels of their orders, their lines,
    their orders, and the ids of the shipments in the window (the ones reported)."""

    shipments: pa.Table
    lines: pa.Table
    orders: pa.Table
    scope: pa.ChunkedArray


def _window(date_from: date | None, date_to: date | None, column: str = "arrival_date") -> tuple[str, list]:
    """A SQL condition on the arrival date for [date_from, date_to] (open ends when None) and its parameters."""
    terms, params = [], []
    if date_from is not None:
        terms.append(f"{column} >= ?")
        params.append(date_from)
    if date_to is not None:
        terms.append(f"{column} <= ?")
        params.append(date_to)
    return (" AND ".join(terms) or f"{column} IS NOT NULL"), params


def read_check_inputs(
    store: Store, date_from: date | None = None, date_to: date | None = None
) -> CheckInputs:
    """Shipments arriving in [date_from, date_to] (all when None) with the other parcels of their orders
    (group rules need them), their lines and orders as Arrow, and the window's shipment ids."""
    window, params = _window(date_from, date_to)
    in_orders = f"SELECT order_id FROM shipments WHERE {window} AND order_id IS NOT NULL"
    # A UNION of ids, not `window OR order_id IN (...)`: under OR, PostgreSQL cannot make the IN a join and,
    # when the window's orders outgrow work_mem, scans them once per shipment outside the window (a plan
    # quadratic in the store's size for a wide --from/--to); each IN here is a hashed semi-join on both engines.
    judged = (
        f"SELECT shipment_id FROM shipments WHERE {window} "
        f"UNION SELECT shipment_id FROM shipments WHERE order_id IN ({in_orders})"
    )
    shipments = store.query(
        f"SELECT {', '.join(SHIPMENTS.names)} FROM shipments WHERE shipment_id IN ({judged})", params * 2
    )
    lines = store.query(
        f"SELECT {', '.join(LINES.names)} FROM lines WHERE shipment_id IN ({judged})", params * 2
    )
    orders = store.query(
        f"SELECT {', '.join(ORDERS.names)} FROM orders WHERE order_id IN ({in_orders})", params
    )
    scope = store.query(f"SELECT shipment_id FROM shipments WHERE {window}", params)["shipment_id"]
    return CheckInputs(shipments, lines, orders, scope)


@dataclass(frozen=True)
class CheckRunRecord:
    """The row of check_runs describing one run (its results go to the check_* tables beside it)."""

    started_at: datetime
    date_from: date | None
    date_to: date | None
    policy_source: str
    policy_sha256: str
    hts_source: str
    hts_complete: bool
    screening: bool
    shipments: int
    findings: int
    held: int
    reviewed: int
    released: int
    rules_seconds: float


_RUN_COLUMNS = (
    "run_id, started_at, finished_at, date_from, date_to, policy_source, policy_sha256, hts_source, "
    "hts_complete, screening, shipments, findings, held, reviewed, released, rules_seconds"
)
_FINDING_COLUMNS = [
    "shipment_id",
    "line_no",
    "rule_id",
    "severity",
    "variant",
    "message",
    "citation",
    "evidence",
]
_DECISION_COLUMNS = ["shipment_id", "decision", "reasons", "duty_owed", "duty_at_risk"]
# check_duty_lines.components holds the line duty's `measures`.
_DUTY_COLUMNS = {
    "shipment_id": "shipment_id",
    "line_no": "line_no",
    "hts": "hts",
    "origin": "origin",
    "rate": "rate",
    "duty": "duty",
    "verified": "verified",
    "measures": "components",
}


def _with_run(table: pa.Table, run_id: int, columns: list[str]) -> pa.Table:
    """columns of table with a leading run_id column."""
    picked = table.select(columns)
    return picked.add_column(0, "run_id", pa.array([run_id] * table.num_rows, pa.int64()))


def save_check_run(
    store: Store,
    run: CheckRunRecord,
    findings: pa.Table,
    decisions: pa.Table,
    line_duty: pa.Table,
    list_snapshots: list[dict],
    dispositions_used: dict | None = None,
) -> int:
    """Store one run (check_runs) with its findings, decisions, duty lines, list snapshots and the dispositions
    file it applied (check_dispositions); its run id."""
    with store.transaction():
        run_id = store.next_id("check_run_seq")
        store.execute(
            f"INSERT INTO check_runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                run.started_at,
                utc_now(),
                run.date_from,
                run.date_to,
                run.policy_source,
                run.policy_sha256,
                run.hts_source,
                run.hts_complete,
                run.screening,
                run.shipments,
                run.findings,
                run.held,
                run.reviewed,
                run.released,
                run.rules_seconds,
            ],
        )
        store.insert("check_findings", _with_run(findings, run_id, _FINDING_COLUMNS))
        store.insert("check_decisions", _with_run(decisions, run_id, _DECISION_COLUMNS))
        duty = _with_run(line_duty, run_id, list(_DUTY_COLUMNS))
        store.insert("check_duty_lines", duty, ["run_id", *_DUTY_COLUMNS.values()])
        for snap in list_snapshots:
            store.execute(
                "INSERT INTO check_list_snapshots (run_id, list, source, snapshot_date, date_basis, sha256, files, "
                "entries) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    snap["list"],
                    snap["source"] or "",
                    snap["snapshot_date"],
                    snap["date_basis"],
                    snap["sha256"],
                    json.dumps(snap["files"]),
                    snap["entries"],
                ],
            )
        if dispositions_used is not None:
            store.execute(
                "INSERT INTO check_dispositions VALUES (?, ?, ?, ?)",
                [
                    run_id,
                    dispositions_used["source"],
                    dispositions_used["sha256"],
                    dispositions_used["decisions"],
                ],
            )
    return run_id


def run_screening_sources(store: Store, run_id: int | None) -> dict:
    """The list snapshots a stored check run screened against and the dispositions file it applied
    (list_snapshots: rows of check_list_snapshots; dispositions: the check_dispositions row or None).
    Without a stored run: no snapshots and no dispositions."""
    if run_id is None:
        return {"list_snapshots": [], "dispositions": None}
    snapshots = store.read_table("check_list_snapshots", "run_id = ? ORDER BY list", [run_id]).to_pylist()
    used = store.read_table("check_dispositions", "run_id = ?", [run_id]).to_pylist()
    return {"list_snapshots": snapshots, "dispositions": used[0] if used else None}


def record_check_outputs(store: Store, run_id: int, folder: str, files: list[dict]) -> None:
    """Record the files a run wrote (name, bytes, sha256 from its manifest) in check_outputs."""
    with store.transaction():
        for entry in files:
            store.execute(
                "INSERT INTO check_outputs (run_id, folder, name, bytes, sha256) VALUES (?, ?, ?, ?, ?)",
                [run_id, folder, entry["name"], entry["bytes"], entry["sha256"]],
            )


def read_shipment(store: Store, shipment_id: str) -> tuple[dict | None, list[dict]]:
    """One shipment's stored row (None when absent) and its lines in line order, as dicts."""
    rows = store.query("SELECT * FROM shipments WHERE shipment_id = ?", [shipment_id]).to_pylist()
    lines = store.query(
        "SELECT * FROM lines WHERE shipment_id = ? ORDER BY line_no", [shipment_id]
    ).to_pylist()
    return (rows[0] if rows else None), lines


def latest_run_judging(store: Store, shipment_id: str) -> int | None:
    """The latest stored check run that decided the shipment, or None."""
    return store.scalar("SELECT max(run_id) FROM check_decisions WHERE shipment_id = ?", [shipment_id])


def read_judgement(store: Store, run_id: int, shipment_id: str) -> tuple[list[dict], dict, list[dict]]:
    """A shipment's findings (by rule, line), decision and duty lines (by line) in a stored run."""
    key = "run_id = ? AND shipment_id = ?"
    params = [run_id, shipment_id]
    findings = store.query(f"SELECT * FROM check_findings WHERE {key} ORDER BY rule_id, line_no", params)
    decision = store.query(f"SELECT * FROM check_decisions WHERE {key}", params).to_pylist()[0]
    duty = store.query(f"SELECT * FROM check_duty_lines WHERE {key} ORDER BY line_no", params)
    return findings.to_pylist(), decision, duty.to_pylist()


def latest_run_id(store: Store) -> int | None:
    """The id of the latest check run, or None before the first."""
    return store.scalar("SELECT max(run_id) FROM check_runs")


def read_run(store: Store, run_id: int) -> tuple[pa.Table, pa.Table]:
    """A stored run's findings and decisions as Arrow (columns as a CheckResult holds them)."""
    findings = store.query(
        f"SELECT {', '.join(_FINDING_COLUMNS)} FROM check_findings WHERE run_id = ?", [run_id]
    )
    decisions = store.query(
        f"SELECT {', '.join(_DECISION_COLUMNS)} FROM check_decisions WHERE run_id = ?", [run_id]
    )
    return findings, decisions


def stored_parties(store: Store, roles: list[tuple[str, str, str]]) -> pa.Table:
    """Distinct (name, country) of the parties stored in each role, given as (table, name column, country
    column); blank names are skipped and a blank country reads as NULL (`lists update` re-screens them)."""
    sql = " UNION ".join(
        f"SELECT DISTINCT {table_name(name)} AS name, nullif({table_name(country)}, '') AS country "
        f"FROM {table_name(source)} WHERE coalesce({table_name(name)}, '') <> ''"
        for source, name, country in roles
    )
    return store.query(sql)
