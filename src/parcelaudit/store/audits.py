"""The audit tables: every read and write of the audit workflow (audits, steps, population, strata, sample,
results, evaluations) and the reads of an audit's scope (shipments, lines, orders, payments of one importer).

Portable SQL with `?` placeholders; lists of ids travel as a staged Arrow table, never as an engine's array.
Column names spliced into SQL (the importer column, scope filters) are checked by the caller against the
canonical schema and again here (table_name).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from parcelaudit.store.base import Store, table_name

PLAN_TABLES = ("audit_population", "audit_strata")
POPULATION_COLUMNS = (
    "audit_id",
    "frame_no",
    "item_id",
    "shipment_id",
    "line_no",
    "arrival_date",
    "entry_type",
    "book_value",
    "book_duty",
    "stratum",
)
RESULT_ROW_COLUMNS = (
    "audit_id",
    "item_id",
    "corrected_value",
    "corrected_hts",
    "corrected_origin",
    "duty_free",
    "audited_duty",
    "in_error",
    "notes",
    "recorded_by",
    "recorded_at",
    "test",
    "reason",
)
_RESULT_TYPES = (
    pa.string(),
    pa.string(),
    pa.float64(),
    pa.string(),
    pa.string(),
    pa.bool_(),
    pa.float64(),
    pa.bool_(),
    pa.string(),
    pa.string(),
    pa.timestamp("us"),
    pa.string(),
    pa.string(),
)
_STRATA_TYPES = {
    "audit_id": pa.string(),
    "stratum": pa.int32(),
    "lower_value": pa.float64(),
    "upper_value": pa.float64(),
    "population": pa.int64(),
    "book_total": pa.float64(),
    "duty_total": pa.float64(),
    "sample_size": pa.int64(),
    "certainty": pa.bool_(),
}
_SAMPLE_TYPES = {
    "audit_id": pa.string(),
    "stratum": pa.int32(),
    "selection_order": pa.int32(),
    "frame_no": pa.int64(),
    "spare": pa.bool_(),
}


def _columns(rows: list, names: tuple[str, ...], types: tuple[pa.DataType, ...]) -> pa.Table:
    """Rows (sequences in column order) as an Arrow table of the given column names and types."""
    columns = list(zip(*rows, strict=True))
    return pa.table(
        {name: pa.array(values, kind) for name, kind, values in zip(names, types, columns, strict=True)}
    )


def _ids(values: list) -> pa.Table:
    return pa.table({"id": pa.array(sorted(set(values)), pa.string())})


# --- audits and versions -----------------------------------------------------------------------------------
def find_audit(store: Store, base_id: str, version: int | None = None) -> dict | None:
    """The stored row of an audit's version (the latest when version is None), or None."""
    if version is None:
        sql, params = "SELECT * FROM audits WHERE base_id = ? ORDER BY version DESC LIMIT 1", [base_id]
    else:
        sql, params = "SELECT * FROM audits WHERE base_id = ? AND version = ?", [base_id, version]
    rows = store.query(sql, params).to_pylist()
    return rows[0] if rows else None


def latest_version(store: Store, base_id: str) -> int | None:
    """The highest version number of an audit."""
    return store.scalar("SELECT max(version) FROM audits WHERE base_id = ?", [base_id])


def known_audit_ids(store: Store) -> list[str]:
    """Every audit's id (base id), oldest first."""
    return [
        r[0]
        for r in store.fetch(
            "SELECT base_id, min(created_at) FROM audits GROUP BY base_id ORDER BY 2, base_id"
        )
    ]


def count_audits_like(store: Store, prefix: str) -> int:
    """How many audits have an id starting with prefix."""
    return store.scalar("SELECT count(DISTINCT base_id) FROM audits WHERE base_id LIKE ?", [prefix + "%"])


def audit_exists(store: Store, base_id: str) -> bool:
    """True when an audit with this id exists (any version)."""
    return bool(store.scalar("SELECT count(*) FROM audits WHERE base_id = ?", [base_id]))


def insert_audit(store: Store, row: dict[str, Any]) -> None:
    """Store a new audit version (status 'new')."""
    store.execute(
        "INSERT INTO audits (audit_id, importer_by, importer, period_start, period_end, unit, scope_filters, "
        "status, created_by, created_at, base_id, version, version_reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)",
        [
            row[key]
            for key in (
                "audit_id",
                "importer_by",
                "importer",
                "period_start",
                "period_end",
                "unit",
                "scope_filters",
                "created_by",
                "created_at",
                "base_id",
                "version",
                "version_reason",
            )
        ],
    )


def set_status(store: Store, audit_id: str, status: str) -> None:
    """Move one audit version to a status."""
    store.execute("UPDATE audits SET status = ? WHERE audit_id = ?", [status, audit_id])


def mark_discarded(store: Store, base_id: str, who: str, when: Any, reason: str) -> None:
    """Record that every version of an audit is discarded (nothing is deleted)."""
    store.execute(
        "UPDATE audits SET discarded_by = ?, discarded_at = ?, discard_reason = ? WHERE base_id = ?",
        [who, when, reason, base_id],
    )


def current_audits(store: Store) -> list[dict]:
    """Every audit's current (latest) version, oldest first."""
    return store.query(
        """SELECT a.base_id AS audit_id, a.version, a.importer, a.importer_by, a.period_start, a.period_end,
                  a.unit, a.status, a.created_by, a.created_at, a.discarded_at, a.discarded_by, a.discard_reason
           FROM audits a
           WHERE a.version = (SELECT max(version) FROM audits b WHERE b.base_id = a.base_id)
           ORDER BY a.created_at, a.base_id"""
    ).to_pylist()


def audit_versions(store: Store, base_id: str) -> list[dict]:
    """Every version of an audit, oldest first."""
    return store.query(
        "SELECT audit_id, version, status, version_reason, created_by, created_at FROM audits "
        "WHERE base_id = ? ORDER BY version",
        [base_id],
    ).to_pylist()


def copy_plan(store: Store, from_id: str, to_id: str) -> None:
    """Copy an audit version's population and strata to another version."""
    for table in PLAN_TABLES:
        columns = store.query(f"SELECT * FROM {table} WHERE 1 = 0").column_names
        rest = ", ".join(c for c in columns if c != "audit_id")
        store.execute(
            f"INSERT INTO {table} (audit_id, {rest}) SELECT ?, {rest} FROM {table} WHERE audit_id = ?",
            [to_id, from_id],
        )


# --- the step log ------------------------------------------------------------------------------------------
def append_step(store: Store, audit_id: str, row: dict[str, Any]) -> int:
    """Append a step (step, actor, acted_at and JSON parameters, summary, inputs, outputs); its number."""
    next_no = store.scalar(
        "SELECT coalesce(max(step_no), 0) + 1 FROM audit_steps WHERE audit_id = ?", [audit_id]
    )
    store.execute(
        "INSERT INTO audit_steps (audit_id, step_no, step, actor, acted_at, parameters, summary, inputs, "
        "outputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            audit_id,
            next_no,
            *(row[k] for k in ("step", "actor", "acted_at", "parameters", "summary", "inputs", "outputs")),
        ],
    )
    return next_no


def read_steps(store: Store, audit_id: str) -> list[dict]:
    """The audit version's step log rows (JSON columns as stored), oldest first."""
    return store.query(
        "SELECT * FROM audit_steps WHERE audit_id = ? ORDER BY step_no", [audit_id]
    ).to_pylist()


# --- scope ---------------------------------------------------------------------------------------------------
def _scope_where(
    importer_by: str, importer: str, start: date, end: date, filters: dict[str, str]
) -> tuple[str, list]:
    clauses = [f"{table_name(importer_by)} = ?", "arrival_date BETWEEN ? AND ?"]
    params: list[Any] = [importer, start, end]
    for column, value in filters.items():
        clauses.append(f"{table_name(column)} = ?")
        params.append(value)
    return " AND ".join(clauses), params


def scope_tables(
    store: Store, importer_by: str, importer: str, start: date, end: date, filters: dict[str, str]
) -> tuple[pa.Table, pa.Table]:
    """An importer's shipments arriving from start to end (narrowed by equality filters) and their lines."""
    where, params = _scope_where(importer_by, importer, start, end, filters)
    shipments = store.read_table("shipments", where, params)
    lines = store.read_table(
        "lines", f"shipment_id IN (SELECT shipment_id FROM shipments WHERE {where})", params
    )
    return shipments, lines


def importer_orders(store: Store, importer_by: str, importer: str, start: date, end: date) -> pa.Table:
    """An importer's orders placed from start to end."""
    return store.read_table(
        "orders", f"{table_name(importer_by)} = ? AND order_date BETWEEN ? AND ?", [importer, start, end]
    )


def payments_of(store: Store, order_ids: list[str]) -> pa.Table:
    """The payments of the given orders."""
    with store.staged("_audit_orders", _ids(order_ids)):
        return store.read_table("payments", "order_id IN (SELECT id FROM _audit_orders)")


# --- importers -----------------------------------------------------------------------------------------------
def importer_totals(store: Store, importer_by: str) -> list[dict]:
    """Each importer with its parcel count and first/last arrival, most parcels first."""
    by = table_name(importer_by)
    return store.query(
        f"""SELECT {by} AS importer, count(*) AS parcels, min(arrival_date) AS first_arrival,
                   max(arrival_date) AS last_arrival
            FROM shipments WHERE {by} IS NOT NULL AND trim({by}) <> ''
            GROUP BY {by} ORDER BY parcels DESC, importer"""
    ).to_pylist()


def importer_parcels(
    store: Store, importer_by: str, importer: str, start: date | None = None, end: date | None = None
) -> tuple[int, date | None, date | None]:
    """(parcels, first arrival, last arrival) of one importer, within start..end when given."""
    by = table_name(importer_by)
    sql = f"SELECT count(*), min(arrival_date), max(arrival_date) FROM shipments WHERE {by} = ?"
    params: list[Any] = [importer]
    if start is not None and end is not None:
        sql += " AND arrival_date BETWEEN ? AND ?"
        params += [start, end]
    return store.fetch_one(sql, params)


def importer_names(store: Store, importer_by: str) -> list[str]:
    """Every distinct non-empty importer name."""
    by = table_name(importer_by)
    return [r[0] for r in store.fetch(f"SELECT DISTINCT {by} FROM shipments") if r[0]]


def largest_seller(store: Store) -> tuple[str, date, date] | None:
    """The seller with the most parcels (ties: first by name) and its first and last arrival."""
    return store.fetch_one(
        """SELECT seller_name, min(arrival_date), max(arrival_date) FROM shipments
           WHERE seller_name IS NOT NULL GROUP BY seller_name ORDER BY count(*) DESC, seller_name LIMIT 1"""
    )


def parcel_orders(store: Store, shipment_ids: list[str]) -> pa.Table:
    """shipment_id, order_id and declared_value of the given parcels."""
    with store.staged("_audit_parcels", _ids(shipment_ids)):
        return store.query(
            "SELECT shipment_id, order_id, declared_value FROM shipments "
            "WHERE shipment_id IN (SELECT id FROM _audit_parcels)"
        )


def order_prices(store: Store, order_ids: list[str]) -> pa.Table:
    """Per order: the goods price paid (quantity x unit price) and the value its parcels declared."""
    with store.staged("_audit_orders", _ids(order_ids)):
        return store.query(
            """SELECT o.order_id, sum(coalesce(o.quantity, 1) * o.unit_price) AS paid,
                      (SELECT sum(declared_value) FROM shipments s WHERE s.order_id = o.order_id) AS declared
               FROM orders o WHERE o.order_id IN (SELECT id FROM _audit_orders) GROUP BY o.order_id"""
        )


def parcel_lines(store: Store, shipment_ids: list[str]) -> pa.Table:
    """Description, origin and manufacturer country of the lines of the given parcels, in line order."""
    with store.staged("_audit_parcels", _ids(shipment_ids)):
        return store.query(
            "SELECT shipment_id, line_no, description, country_of_origin, manufacturer_country FROM lines "
            "WHERE shipment_id IN (SELECT id FROM _audit_parcels) ORDER BY shipment_id, line_no"
        )


# --- plan and sample -----------------------------------------------------------------------------------------
def replace_plan(store: Store, audit_id: str, frame: pa.Table, strata: list[dict]) -> None:
    """Replace an audit version's population frame (Arrow, POPULATION_COLUMNS) and strata rows."""
    for table in PLAN_TABLES:
        store.execute(f"DELETE FROM {table} WHERE audit_id = ?", [audit_id])
    store.insert("audit_population", frame.select(list(POPULATION_COLUMNS)))
    if strata:
        store.insert("audit_strata", pa.Table.from_pylist(strata, schema=pa.schema(_STRATA_TYPES)))


def read_strata(store: Store, audit_id: str) -> list[dict]:
    """An audit version's strata, in order."""
    return store.query(
        "SELECT * FROM audit_strata WHERE audit_id = ? ORDER BY stratum", [audit_id]
    ).to_pylist()


def stratum_frame(store: Store, audit_id: str, stratum: int) -> list[int]:
    """The frame numbers of a stratum's population, ascending."""
    return [
        r[0]
        for r in store.fetch(
            "SELECT frame_no FROM audit_population WHERE audit_id = ? AND stratum = ? ORDER BY frame_no",
            [audit_id, stratum],
        )
    ]


def replace_sample(store: Store, audit_id: str, rows: list[tuple]) -> None:
    """Replace an audit version's sample: rows of (audit_id, stratum, selection_order, frame_no, spare)."""
    store.execute("DELETE FROM audit_sample WHERE audit_id = ?", [audit_id])
    if rows:
        store.insert("audit_sample", _columns(rows, tuple(_SAMPLE_TYPES), tuple(_SAMPLE_TYPES.values())))


def sample_items(store: Store, audit_id: str, include_spares: bool = False) -> pa.Table:
    """The sampled items with their stratum, frame position, declared values and what to test them against
    (description, HTS and origin of their lines), in stratum/selection order."""
    return store.query(
        f"""
        WITH goods AS (
            SELECT shipment_id, line_no, description, hts_code, country_of_origin FROM lines
            WHERE shipment_id IN (SELECT p.shipment_id FROM audit_sample s
                                  JOIN audit_population p USING (audit_id, frame_no) WHERE s.audit_id = ?)
        )
        SELECT s.stratum, s.selection_order, s.spare, p.frame_no, p.item_id, p.shipment_id, p.line_no,
               p.arrival_date, p.entry_type, p.book_value, p.book_duty,
               (SELECT string_agg(g.description, ' | ' ORDER BY g.line_no) FROM goods g
                 WHERE g.shipment_id = p.shipment_id AND (p.line_no IS NULL OR g.line_no = p.line_no))
                 AS description,
               (SELECT string_agg(g.hts_code, ' | ' ORDER BY g.line_no) FROM goods g
                 WHERE g.shipment_id = p.shipment_id AND (p.line_no IS NULL OR g.line_no = p.line_no))
                 AS hts_code,
               (SELECT string_agg(DISTINCT g.country_of_origin, ' | ') FROM goods g
                 WHERE g.shipment_id = p.shipment_id AND (p.line_no IS NULL OR g.line_no = p.line_no))
                 AS country_of_origin
        FROM audit_sample s JOIN audit_population p USING (audit_id, frame_no)
        WHERE s.audit_id = ? {"" if include_spares else "AND NOT s.spare"}
        ORDER BY s.stratum, s.selection_order""",
        [audit_id, audit_id],
    )


# --- results and evaluations -------------------------------------------------------------------------------
def count_results(store: Store, audit_id: str) -> int:
    """How many results an audit version holds."""
    return store.scalar("SELECT count(*) FROM audit_results WHERE audit_id = ?", [audit_id])


def result_counts(store: Store, audit_id: str) -> tuple[int, int, int]:
    """(results, tested in error, not tested) of an audit version."""
    return store.fetch_one(
        "SELECT count(*), count(CASE WHEN test = 'error' THEN 1 END), "
        "count(CASE WHEN test = 'not_tested' THEN 1 END) FROM audit_results WHERE audit_id = ?",
        [audit_id],
    )


def replace_results(store: Store, audit_id: str, rows: list[list], replaced_by: str, replaced_at: Any) -> int:
    """Store result rows (RESULT_ROW_COLUMNS); an item's earlier result moves to audit_result_history.
    Returns how many were replaced."""
    ids = _ids([r[1] for r in rows])
    with store.staged("_audit_items", ids):
        mine = "audit_id = ? AND item_id IN (SELECT id FROM _audit_items)"
        replaced = store.scalar(f"SELECT count(*) FROM audit_results WHERE {mine}", [audit_id])
        if replaced:
            store.execute(
                f"INSERT INTO audit_result_history SELECT *, ?, ? FROM audit_results WHERE {mine}",
                [replaced_by, replaced_at, audit_id],
            )
            store.execute(f"DELETE FROM audit_results WHERE {mine}", [audit_id])
    if rows:
        store.insert("audit_results", _columns(rows, RESULT_ROW_COLUMNS, _RESULT_TYPES))
    return replaced


def count_recorded_sample(store: Store, audit_id: str) -> int:
    """How many sampled (non-spare) items have a result."""
    return store.scalar(
        "SELECT count(*) FROM audit_sample s JOIN audit_population p USING (audit_id, frame_no) "
        "JOIN audit_results r ON r.audit_id = s.audit_id AND r.item_id = p.item_id "
        "WHERE s.audit_id = ? AND NOT s.spare",
        [audit_id],
    )


def read_results(store: Store, audit_id: str) -> pa.Table:
    """An audit version's stored results (outcome, corrections, who and when)."""
    return store.query(
        """SELECT item_id, corrected_value, corrected_hts, corrected_origin, duty_free, audited_duty, in_error,
                  test, reason, notes, recorded_by, recorded_at
           FROM audit_results WHERE audit_id = ?""",
        [audit_id],
    )


def insert_evaluation(store: Store, row: list) -> None:
    """Store one evaluation row (the columns of audit_evaluations in order)."""
    store.execute("INSERT INTO audit_evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def latest_evaluation_detail(store: Store, audit_id: str) -> str | None:
    """The JSON detail of an audit version's most recent evaluation, or None."""
    return store.scalar(
        "SELECT detail FROM audit_evaluations WHERE audit_id = ? ORDER BY evaluated_at DESC LIMIT 1",
        [audit_id],
    )


def latest_evaluation_summary(store: Store, audit_id: str) -> tuple | None:
    """(method, loss_point, demand, compliance_rate, evaluated_at) of the most recent evaluation, or None."""
    return store.fetch_one(
        "SELECT method, loss_point, demand, compliance_rate, evaluated_at FROM audit_evaluations "
        "WHERE audit_id = ? ORDER BY evaluated_at DESC LIMIT 1",
        [audit_id],
    )
