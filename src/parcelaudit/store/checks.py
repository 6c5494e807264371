"""The check stage's reads and writes: the inputs of a check run as Arrow, and a run's results.

Stages never call this module; the pipeline (parcelaudit.pipeline) and the faces do. SQL here is portable
(standard SQL, `?` placeholders): the PostgreSQL engine translates it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import ParcelAuditError
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS
from parcelaudit.store.base import Store, table_name, utc_now


@dataclass(frozen=True)
class CheckInputs:
    """What one unit of a check reads: the shipments it judges (scope) and the context their rules need
    (see read_scope_inputs), their lines and orders, as Arrow."""

    shipments: pa.Table
    lines: pa.Table
    orders: pa.Table
    scope: pa.ChunkedArray


# The first run of digits of the consignee's address: the block within which rules.consignee parses and
# compares consignees. A consignee-day group (DM-AGG) never leaves its (arrival day, house) block.
HOUSE = "coalesce(regexp_extract({t}consignee_address, '[0-9]+'), '')"
DEFAULT_ROW_BUDGET = (
    200_000  # parcels judged per partition (memory of one evaluate() is about 3 KiB a parcel)
)


def _house(alias: str = "") -> str:
    return HOUSE.format(t=f"{alias}." if alias else "")


def _bucket(buckets: int, alias: str = "") -> str:
    """SQL for a parcel's bucket in 0..buckets-1: its house number (last 9 digits) modulo buckets."""
    digits = f"coalesce(nullif(right({_house(alias)}, 9), ''), '0')"
    return f"(CAST({digits} AS BIGINT) % {int(buckets)})"


def date_window(
    date_from: date | None, date_to: date | None, column: str = "arrival_date"
) -> tuple[str, list]:
    """A SQL condition on the arrival date for [date_from, date_to] (open ends when None) and its parameters."""
    terms, params = [], []
    if date_from is not None:
        terms.append(f"{column} >= ?")
        params.append(date_from)
    if date_to is not None:
        terms.append(f"{column} <= ?")
        params.append(date_to)
    return (" AND ".join(terms) or f"{column} IS NOT NULL"), params


def staged_scope_condition(staged: str, date_from: date | None, date_to: date | None) -> tuple[str, list]:
    """The SQL condition on shipments selecting those whose ids are staged in the table `staged`
    (Store.staged) and that arrive in [date_from, date_to], with its parameters."""
    window, params = date_window(date_from, date_to)
    return f"shipment_id IN (SELECT shipment_id FROM {table_name(staged)}) AND {window}", params


@dataclass(frozen=True)
class Partition:
    """A self-contained unit of a check: the parcels arriving in [first_day, last_day] whose house-number
    bucket (see _bucket) is `bucket` of `buckets` (1: the whole days), about `parcels` of them."""

    first_day: date
    last_day: date
    parcels: int
    bucket: int = 0
    buckets: int = 1

    def condition(self) -> tuple[str, list]:
        """The SQL condition on shipments selecting the partition's parcels, and its parameters."""
        sql, params = "arrival_date BETWEEN ? AND ?", [self.first_day, self.last_day]
        if self.buckets > 1:
            sql += f" AND {_bucket(self.buckets)} = ?"
            params.append(self.bucket)
        return sql, params


def plan_partitions(day_counts: pa.Table, row_budget: int = DEFAULT_ROW_BUDGET) -> list[Partition]:
    """The partitions of a check over days: consecutive days packed up to row_budget parcels, a day larger
    than the budget split into buckets of its parcels by consignee house number.

    day_counts: arrival_date, parcels (one row per day, any order). Pure, so any engine plans the same way.
    Why the partitions are self-contained: every group rule's group lies inside one (day, house) block
    (consignee-day groups: DM-AGG, the consignee keys of rules.consignee) or is read as context (an order's
    other parcels on other days, with their blocks: read_scope_inputs), and a partition holds whole blocks.
    """
    if row_budget < 1:
        raise ValueError("row_budget must be at least 1")
    order = pc.sort_indices(day_counts, sort_keys=[("arrival_date", "ascending")])
    rows = day_counts.take(order).to_pylist()
    plan: list[Partition] = []
    first = last = None
    parcels = 0
    for row in rows:
        day, n = row["arrival_date"], int(row["parcels"])
        if n > row_budget:
            if first is not None:
                plan.append(Partition(first, last, parcels))
                first, parcels = None, 0
            buckets = -(-n // row_budget)
            plan += [Partition(day, day, n // buckets, b, buckets) for b in range(buckets)]
            continue
        if first is not None and parcels + n > row_budget:
            plan.append(Partition(first, last, parcels))
            first, parcels = None, 0
        first = day if first is None else first
        last, parcels = day, parcels + n
    if first is not None:
        plan.append(Partition(first, last, parcels))
    return plan


def day_counts(store: Store, date_from: date | None = None, date_to: date | None = None) -> pa.Table:
    """Parcels per arrival day in [date_from, date_to] (all when None): arrival_date, parcels."""
    window, params = date_window(date_from, date_to)
    return store.query(
        f"SELECT arrival_date, count(*) AS parcels FROM shipments WHERE {window} GROUP BY arrival_date",
        params,
    )


def read_scope_inputs(store: Store, scope_sql: str, params: list) -> CheckInputs:
    """The inputs to judge the shipments selected by scope_sql (a condition on shipments) exactly as a check
    of the whole store would: the context is the other parcels of their orders (order rules: DM-SPLIT,
    VAL-UNDER, duty at transaction value) and every parcel in the (day, house) block of any of those
    (consignee-day rules; DM-SPLIT's with-aggregation looks at the consignee-days of the order's parcels).
    Parcels of the context outside the scope are read, not reported. Their lines and orders come with them."""
    # The scope is evaluated once and its ids staged: a partition of a large day is a house-number bucket, a
    # regular expression per row of the day, and evaluating it in each of the statements below cost a pass
    # over the whole day each (at 4,000,000 parcels, 20 partitions: most of the check's reading).
    scope = store.query(f"SELECT shipment_id FROM shipments WHERE {scope_sql}", params)["shipment_id"]
    with store.staged("_scope_ids", pa.table({"shipment_id": scope})) as staged:
        in_scope = f"shipment_id IN (SELECT shipment_id FROM {table_name(staged)})"
        shipments, orders = _read_scope_context(store, in_scope)
    # The lines of the shipments just read, by their ids (not by evaluating the context a second time).
    with store.staged("_scope_shipments", shipments.select(["shipment_id"]), once=True) as staged:
        lines = store.query(
            f"SELECT {', '.join(LINES.names)} FROM lines "
            f"WHERE shipment_id IN (SELECT shipment_id FROM {table_name(staged)})"
        )
    return CheckInputs(shipments, lines, orders, scope)


def _read_scope_context(store: Store, in_scope: str) -> tuple[pa.Table, pa.Table]:
    """The shipments (scope and context) and the scope's orders, for in_scope, a condition on shipment_id."""
    # A UNION, not `scope OR order_id IN (...)`: under OR, PostgreSQL cannot make the IN a join and, once the
    # scope's orders outgrow work_mem, scans them once per shipment outside the scope (quadratic in the store).
    # Only the blocks' days are read for the block join (the house number is a regular expression per row:
    # over the whole store it cost seconds for an incremental run of a few thousand parcels).
    context = f"""WITH mates AS (
          SELECT shipment_id, arrival_date, {_house()} AS house FROM shipments WHERE {in_scope}
          UNION SELECT shipment_id, arrival_date, {_house()} AS house FROM shipments
          WHERE order_id IN (SELECT order_id FROM shipments WHERE {in_scope} AND order_id IS NOT NULL)),
        blocks AS (SELECT DISTINCT arrival_date, house FROM mates),
        days AS (SELECT shipment_id, arrival_date, consignee_address FROM shipments
          WHERE arrival_date IN (SELECT arrival_date FROM blocks))
        SELECT shipment_id FROM mates UNION
        SELECT d.shipment_id FROM days d JOIN blocks b
          ON d.arrival_date = b.arrival_date AND {_house("d")} = b.house"""
    shipments = store.query(
        f"WITH context AS ({context}) SELECT {', '.join(SHIPMENTS.names)} FROM shipments "
        "WHERE shipment_id IN (SELECT shipment_id FROM context)"
    )
    orders = store.query(
        f"SELECT {', '.join(ORDERS.names)} FROM orders WHERE order_id IN "
        f"(SELECT order_id FROM shipments WHERE {in_scope} AND order_id IS NOT NULL)"
    )
    return shipments, orders


def read_check_inputs(
    store: Store, date_from: date | None = None, date_to: date | None = None
) -> CheckInputs:
    """Shipments arriving in [date_from, date_to] (all when None) with the context their group rules need
    (read_scope_inputs), their lines and orders as Arrow, and the window's shipment ids."""
    window, params = date_window(date_from, date_to)
    return read_scope_inputs(store, window, params)


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
    last_import_id: int | None = None  # the newest import stored when the run read
    since: str | None = None  # an incremental run: what --since named


_RUN_COLUMNS = (
    "run_id, started_at, finished_at, date_from, date_to, policy_source, policy_sha256, hts_source, "
    "hts_complete, screening, shipments, findings, held, reviewed, released, rules_seconds, last_import_id, "
    "since"
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
_DECISION_COLUMNS = ["shipment_id", "decision", "reasons", "duty_owed", "duty_at_risk", "fees"]
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


def begin_check_run(store: Store) -> int:
    """A new run id. Call inside the transaction that stores the run: its results (save_check_results), then
    its check_runs row (finish_check_run), so that a run appears whole or not at all."""
    return store.next_id("check_run_seq")


def save_check_results(
    store: Store, run_id: int, findings: pa.Table, decisions: pa.Table, line_duty: pa.Table
) -> None:
    """Store one partition's findings, decisions and duty lines under run_id."""
    store.insert("check_findings", _with_run(findings, run_id, _FINDING_COLUMNS))
    store.insert("check_decisions", _with_run(decisions, run_id, _DECISION_COLUMNS))
    duty = _with_run(line_duty, run_id, list(_DUTY_COLUMNS))
    store.insert("check_duty_lines", duty, ["run_id", *_DUTY_COLUMNS.values()])


def finish_check_run(
    store: Store,
    run_id: int,
    run: CheckRunRecord,
    list_snapshots: list[dict],
    dispositions_used: dict | None = None,
) -> None:
    """Store the run's check_runs row, the list snapshots it screened against and the dispositions file it
    applied (check_dispositions), once its results are stored."""
    store.execute(
        f"INSERT INTO check_runs ({_RUN_COLUMNS}) VALUES ({', '.join(['?'] * 18)})",
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
            run.last_import_id,
            run.since,
        ],
    )
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


def save_check_run(
    store: Store,
    run: CheckRunRecord,
    findings: pa.Table,
    decisions: pa.Table,
    line_duty: pa.Table,
    list_snapshots: list[dict],
    dispositions_used: dict | None = None,
) -> int:
    """Store one run whose results are all in memory, in one transaction; its run id."""
    with store.transaction():
        run_id = begin_check_run(store)
        save_check_results(store, run_id, findings, decisions, line_duty)
        finish_check_run(store, run_id, run, list_snapshots, dispositions_used)
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


# --- incremental checks: what is new since a point, the groups it joins, and decisions over runs -----------


def newest_import(store: Store) -> int | None:
    """The id of the newest import stored, or None before the first."""
    return store.scalar("SELECT max(import_id) FROM imports")


def last_marked_run(store: Store) -> int | None:
    """The latest run that recorded the imports it read (what `--since last` starts from), or None."""
    return store.scalar("SELECT max(run_id) FROM check_runs WHERE last_import_id IS NOT NULL")


def since_condition(store: Store, since: str) -> tuple[str, list]:
    """The SQL condition on shipments selecting the parcels with data imported after `since` (the shipment,
    one of its lines, or a row of its order): 'last' (the latest run that recorded its imports), a run id, or
    an ISO timestamp (imports finished after it; UTC unless it names its zone)."""
    text = since.strip()
    if text.lower() == "last" or text.isdigit():
        if text.lower() == "last":
            row = store.fetch_one(
                "SELECT run_id, last_import_id FROM check_runs WHERE last_import_id IS NOT NULL "
                "ORDER BY run_id DESC LIMIT 1"
            )
        else:
            row = store.fetch_one(
                "SELECT run_id, last_import_id FROM check_runs WHERE run_id = ?", [int(text)]
            )
        if row is None or row[1] is None:
            what = "no earlier check run" if text.lower() == "last" else f"check run {text} is absent or"
            raise ParcelAuditError(
                f"--since {since}: {what} recorded the imports it read",
                file=store.location,
                field="since",
                hint="run a full `parcelaudit check` first, or give --since a timestamp (2025-03-01T12:00:00)",
            )
        after, params = "import_id > ?", [row[1]]
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ParcelAuditError(
                f"--since {since!r} is neither 'last', a run id nor a timestamp",
                field="since",
                hint="give --since last, a run id (see parcelaudit history) or a timestamp 2025-03-01T12:00:00",
            ) from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        after, params = "import_id IN (SELECT import_id FROM imports WHERE finished_at > ?)", [moment]
    # One IN over a UNION, not `new OR id IN (...) OR ...`: PostgreSQL plans an IN under OR as a per-row
    # subplan once the new rows outgrow work_mem (tests/store/test_pg_plans.py).
    sql = (
        f"shipment_id IN (SELECT shipment_id FROM shipments WHERE {after} "
        f"UNION SELECT shipment_id FROM lines WHERE {after} "
        f"UNION SELECT shipment_id FROM shipments WHERE order_id IN (SELECT order_id FROM orders WHERE {after}))"
    )
    return sql, params * 3


def judged_since(store: Store, new_sql: str, params: list) -> pa.Table:
    """The shipments an incremental run judges: the new ones (new_sql, a condition on shipments), every
    parcel in their (day, house) blocks (a superset of their consignee-days) and every parcel of the orders of
    any of those. One column, shipment_id."""
    new = f"SELECT arrival_date, {_house()} AS house FROM shipments WHERE ({new_sql})"
    joined = f"""SELECT s.shipment_id, s.order_id FROM shipments s
        JOIN (SELECT DISTINCT arrival_date, house FROM ({new}) n) b
          ON s.arrival_date = b.arrival_date AND {_house("s")} = b.house"""
    return store.query(
        f"""WITH joined AS ({joined})
        SELECT shipment_id FROM joined UNION
        SELECT shipment_id FROM shipments WHERE order_id IN (SELECT order_id FROM joined WHERE order_id IS NOT NULL)""",
        params,
    )


def current_judgements(store: Store, scope_sql: str, params: list) -> pa.Table:
    """The current decision (of the latest run that judged it) of each shipment selected by scope_sql that
    has one: run_id, shipment_id, decision, reasons, duty_owed, duty_at_risk."""
    return store.query(
        f"SELECT run_id, {', '.join(_DECISION_COLUMNS)} FROM current_decisions "
        f"WHERE shipment_id IN (SELECT shipment_id FROM shipments WHERE {scope_sql})",
        params,
    )


_CHANGED_COLUMNS = [
    "shipment_id",
    "before_run_id",
    "before_decision",
    "after_decision",
    "rules_added",
    "rules_removed",
    "before_duty_owed",
    "after_duty_owed",
    "before_duty_at_risk",
    "after_duty_at_risk",
]


def save_changed_decisions(store: Store, run_id: int, changed: pa.Table) -> None:
    """Store the decisions a run changed (check_changed_decisions)."""
    if changed.num_rows:
        store.insert("check_changed_decisions", _with_run(changed, run_id, _CHANGED_COLUMNS))


def read_changed_decisions(store: Store, run_id: int, limit: int | None = None) -> pa.Table:
    """The decisions a stored run changed, by shipment (the first `limit` when given)."""
    return store.query(
        f"SELECT {', '.join(_CHANGED_COLUMNS)} FROM check_changed_decisions WHERE run_id = ? "
        'ORDER BY shipment_id COLLATE "C"' + (f" LIMIT {int(limit)}" if limit is not None else ""),
        [run_id],
    )


def count_changed_decisions(store: Store, run_id: int) -> int:
    """How many decisions a stored run changed."""
    return store.scalar("SELECT count(*) FROM check_changed_decisions WHERE run_id = ?", [run_id])


def decision_history(store: Store, shipment_id: str) -> list[dict]:
    """Every stored decision on a shipment, oldest run first: the run (id, finished, incremental since, window),
    decision, reasons, duty, and what changed from the run before (rules added and removed)."""
    return store.query(
        """SELECT d.run_id, r.finished_at, r.since, r.date_from, r.date_to, d.decision, d.reasons, d.duty_owed,
                  d.duty_at_risk, c.before_decision, c.rules_added, c.rules_removed
           FROM check_decisions d JOIN check_runs r ON r.run_id = d.run_id
           LEFT JOIN check_changed_decisions c ON c.run_id = d.run_id AND c.shipment_id = d.shipment_id
           WHERE d.shipment_id = ? ORDER BY d.run_id""",
        [shipment_id],
    ).to_pylist()


# --- a stored run read back in bounded memory (outputs of a run too large to hold) ---------------------------

_TEXT_ORDER = {
    "check_findings": [
        ("shipment_id", True),
        ("line_no", False),
        ("rule_id", True),
        ("variant", True),
        ("severity", True),
        ("message", True),
        ("citation", True),
        ("evidence", True),
    ],
    "check_decisions": [("shipment_id", True)],
    "check_changed_decisions": [("shipment_id", True)],
}
_STREAM_COLUMNS = {
    "check_findings": _FINDING_COLUMNS,
    "check_decisions": _DECISION_COLUMNS,
    "check_changed_decisions": _CHANGED_COLUMNS,
}


def stream_run(
    store: Store, table: str, run_id: int, columns: list[str], rows: int = 65_536
) -> Iterator[pa.RecordBatch]:
    """columns of a stored run's findings, decisions or changed decisions (table: check_findings,
    check_decisions, check_changed_decisions) in batches, in the order a CheckResult holds them (text in byte
    order, NULL first), so files written from here are the files written from memory."""
    unknown = set(columns) - set(_STREAM_COLUMNS[table])
    if unknown:
        raise ValueError(f"{table} has no column {sorted(unknown)}")
    order = ", ".join(
        f'{c} COLLATE "C" ASC NULLS FIRST' if text else f"{c} ASC NULLS FIRST"
        for c, text in _TEXT_ORDER[table]
    )
    picked = ", ".join(columns)
    yield from store.batches(
        f"SELECT {picked} FROM {table_name(table)} WHERE run_id = ? ORDER BY {order}", [run_id], rows=rows
    )


def run_figures(store: Store, run_id: int) -> dict:
    """A stored run in figures: shipments, findings, shipments per decision, duty owed and at risk, fees
    (summed exactly), findings and parcels per rule."""
    decisions = dict(
        store.fetch(
            "SELECT decision, count(*) FROM check_decisions WHERE run_id = ? GROUP BY decision", [run_id]
        )
    )
    owed, risk, fees = store.fetch_one(
        "SELECT coalesce(CAST(sum(CAST(duty_owed AS DECIMAL(38, 9))) AS DOUBLE), 0), "
        "coalesce(CAST(sum(CAST(duty_at_risk AS DECIMAL(38, 9))) AS DOUBLE), 0), "
        "coalesce(CAST(sum(CAST(fees AS DECIMAL(38, 9))) AS DOUBLE), 0) "
        "FROM check_decisions WHERE run_id = ?",
        [run_id],
    )
    per_rule = store.fetch(
        "SELECT rule_id, count(*), count(DISTINCT shipment_id) FROM check_findings WHERE run_id = ? "
        "GROUP BY rule_id",
        [run_id],
    )
    return {
        "shipments": sum(decisions.values()),
        "findings": sum(r[1] for r in per_rule),
        "decisions": decisions,
        "duty_owed": float(owed),
        "duty_at_risk": float(risk),
        "fees": float(fees),
        "findings_per_rule": {r[0]: r[1] for r in per_rule},
        "parcels_per_rule": {r[0]: r[2] for r in per_rule},
    }


def read_run_for_report(store: Store, run_id: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The columns the check report reads of a stored run: findings (shipment_id, rule_id, severity, variant,
    citation), decisions, and the judged shipments (shipment_id, arrival_date, seller_name)."""
    findings = store.query(
        "SELECT shipment_id, rule_id, severity, variant, citation FROM check_findings WHERE run_id = ?",
        [run_id],
    )
    decisions = store.query(
        f"SELECT {', '.join(_DECISION_COLUMNS)} FROM check_decisions WHERE run_id = ?", [run_id]
    )
    shipments = store.query(
        "SELECT s.shipment_id, s.arrival_date, s.seller_name FROM shipments s "
        "JOIN check_decisions d ON d.shipment_id = s.shipment_id WHERE d.run_id = ?",
        [run_id],
    )
    return findings, decisions, shipments
