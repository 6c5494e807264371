"""Money made comparable before any threshold or duty: parcel-level values allocated to lines, every amount
converted to US dollars at a dated rate.

The contract with every rule and the duty code (read it before using a value): in the rule context the
relations `shipments.declared_value`, `lines.value`, `lines.metal_value` and `orders.unit_price` are US dollars. The amounts as
declared stay beside them: shipments gain `currency_original`, `declared_value_original`, `usd_per_unit`,
`rate_date`, `rate_source`, `value_basis`; lines gain `value_original` and `value_basis`. A shipment in a
currency with no rate on its date has NULL dollar values (no threshold or duty is guessed) and VAL-FX says so.

Rate date: the date of exportation governs (19 CFR 159.32): shipments.export_date where the manifest gives
one (a carrier's ship date), else the arrival date stands in (RATE_DATE).

Parcel-level values (a declared_value and no line values): allocated to the lines by quantity when every
line has a positive quantity, else evenly; `value_basis` says which ('allocated-by-quantity',
'allocated-evenly'); lines with their own value are 'line'.
"""

from __future__ import annotations

import pyarrow as pa

from parcelaudit.arrow_sql import ArrowSQL, Scope
from parcelaudit.reference.currency import RATE_SCHEMA, rates_for

RATE_DATE = "coalesce(s.export_date, s.arrival_date)"  # the export date where the manifest gives one
ORDER_RATE_DATE = "o.order_date"


FOREIGN = "coalesce(nullif(upper(trim({0}.currency)), ''), 'USD') <> 'USD'"
ROW = "__row"


def _exists(session: Scope, sql: str) -> bool:
    return bool(session.rows(f"SELECT EXISTS ({sql})")[0][0])


def _with_columns(table: pa.Table, columns: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """The table with columns replaced or appended (row order kept)."""
    for name, column in columns.items():
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)
    return table


def _computed(session: Scope, table: pa.Table, name: str, select: str) -> pa.Table:
    """Columns computed by SQL over `name` (registered with a row number) in the table's own row order.

    Only the new columns travel back from DuckDB: copying a million-row table of strings costs seconds.
    """
    numbered = table.append_column(ROW, pa.array(range(table.num_rows), pa.int64()))
    session.register(name, numbered)
    try:
        return session.query(f"{select} ORDER BY {ROW}")
    finally:
        session.register(name, table)


def to_usd(
    shipments: pa.Table,
    lines: pa.Table,
    orders: pa.Table,
    rates: pa.Table | str | None,
    max_rate_age_days: int,
    session: ArrowSQL | None = None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The canonical tables with money in USD; see the module doc.

    rates: a RATE_SCHEMA table, a rates file path, or None (the ECB reference series, only loaded when some
    amount is not in dollars). A rate counts on a date when it is the latest for its currency on or before
    that date and at most max_rate_age_days old (weekends and holidays; quarterly certified rates need ~92).
    session: an open in-process session to work in (the check context's), else one is opened for the call.
    """
    tables = {"shipments": shipments, "lines": lines, "orders": orders}
    if session is None:
        with ArrowSQL() as own, own.scope(tables) as scope:
            return _to_usd(scope, (shipments, lines, orders), rates, int(max_rate_age_days))
    with session.scope(tables) as scope:
        return _to_usd(scope, (shipments, lines, orders), rates, int(max_rate_age_days))


def _to_usd(
    session: Scope, tables: tuple[pa.Table, pa.Table, pa.Table], rates: pa.Table | str | None, age: int
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """to_usd in a session where the tables (shipments, lines, orders) are registered under those names."""
    shipments, lines, orders = tables
    foreign = _exists(session, f"SELECT 1 FROM shipments s WHERE {FOREIGN.format('s')}")
    foreign_orders = _exists(session, f"SELECT 1 FROM orders o WHERE {FOREIGN.format('o')}")
    parcel_level = _exists(
        session, "SELECT 1 FROM lines GROUP BY shipment_id HAVING count(value) = 0"
    ) and _exists(session, "SELECT 1 FROM shipments WHERE declared_value IS NOT NULL")
    n = shipments.num_rows
    if foreign or foreign_orders:
        table = rates if isinstance(rates, pa.Table) else rates_for(rates)
    else:
        table = RATE_SCHEMA.empty_table()
    session.register("fx_rates", table)
    original = {
        "currency_original": shipments["currency"],
        "declared_value_original": shipments["declared_value"],
    }
    if foreign:
        money = _computed(
            session,
            shipments,
            "shipments",
            f"""
            WITH fx AS (
                SELECT s.{ROW}, w.usd_per_unit, w.rate_date, w.rate_source FROM shipments s
                LEFT JOIN (
                    SELECT q.{ROW},
                           CASE WHEN q.rate_on - r.rate_date <= {age} THEN r.usd_per_unit END AS usd_per_unit,
                           CASE WHEN q.rate_on - r.rate_date <= {age} THEN r.rate_date END AS rate_date,
                           CASE WHEN q.rate_on - r.rate_date <= {age} THEN r.source END AS rate_source
                    FROM (SELECT {ROW}, upper(trim(currency)) AS currency, {RATE_DATE} AS rate_on
                          FROM shipments s WHERE {FOREIGN.format("s")}) q
                    ASOF LEFT JOIN fx_rates r ON r.currency = q.currency AND q.rate_on >= r.rate_date
                ) w USING ({ROW})
            )
            SELECT CASE WHEN {FOREIGN.format("s")} THEN s.declared_value * fx.usd_per_unit ELSE s.declared_value END
                     AS declared_value,
                   CASE WHEN {FOREIGN.format("s")} THEN fx.usd_per_unit ELSE 1.0 END AS usd_per_unit,
                   fx.rate_date,
                   CASE WHEN {FOREIGN.format("s")} THEN fx.rate_source ELSE 'USD as declared' END AS rate_source,
                   s.{ROW}
            FROM shipments s JOIN fx USING ({ROW})
            """,
        )
        columns = {
            name: money[name] for name in ("declared_value", "usd_per_unit", "rate_date", "rate_source")
        }
    else:
        columns = {
            "usd_per_unit": pa.array([1.0] * n, pa.float64()),
            "rate_date": pa.nulls(n, pa.date32()),
            "rate_source": pa.array(["USD as declared"] * n, pa.string()),
        }
    shipments = _with_columns(shipments, {**columns, **original})
    session.register("shipments_usd", shipments)
    if foreign or parcel_level:
        money = _computed(
            session,
            lines,
            "lines",
            f"""
            WITH per AS (
                SELECT shipment_id, count(*) AS n, count(value) AS valued, sum(quantity) AS quantity,
                       bool_and(coalesce(quantity, 0) > 0) AS all_quantities
                FROM lines GROUP BY shipment_id
            )
            SELECT CASE WHEN p.valued = 0 AND s.declared_value_original IS NOT NULL
                        THEN CASE WHEN p.all_quantities THEN s.declared_value * l.quantity / p.quantity
                                  ELSE s.declared_value / p.n END
                        ELSE l.value * s.usd_per_unit END AS value,
                   l.metal_value * s.usd_per_unit AS metal_value,
                   CASE WHEN p.valued > 0 OR s.declared_value_original IS NULL THEN 'line'
                        WHEN p.all_quantities THEN 'allocated-by-quantity' ELSE 'allocated-evenly' END
                     AS value_basis,
                   l.{ROW}
            FROM lines l JOIN per p USING (shipment_id) LEFT JOIN shipments_usd s USING (shipment_id)
            """,
        )
        line_columns = {
            "value": money["value"],
            "metal_value": money["metal_value"],
            "value_original": lines["value"],
            "value_basis": money["value_basis"],
        }
    else:
        line_columns = {
            "value_original": lines["value"],
            "value_basis": pa.array(["line"] * lines.num_rows, pa.string()),
        }
    lines = _with_columns(lines, line_columns)
    if foreign_orders:
        money = _computed(
            session,
            orders,
            "orders",
            f"""
            SELECT CASE WHEN NOT {FOREIGN.format("o")} THEN o.unit_price
                        WHEN {ORDER_RATE_DATE} - r.rate_date <= {age} THEN o.unit_price * r.usd_per_unit END
                     AS unit_price, o.{ROW}
            FROM orders o ASOF LEFT JOIN fx_rates r
              ON r.currency = upper(trim(o.currency)) AND {ORDER_RATE_DATE} >= r.rate_date
            """,
        )
        orders = _with_columns(orders, {"unit_price": money["unit_price"]})
    # The parcel's basis: line values as declared, or the parcel value allocated (said in explain and reports).
    if foreign or parcel_level:
        session.register("lines_usd", lines)
        basis = _computed(
            session,
            shipments,
            "shipments_usd",
            f"""
            SELECT coalesce(b.basis, 'line') AS value_basis, s.{ROW} FROM shipments_usd s
            LEFT JOIN (SELECT shipment_id, any_value(value_basis) AS basis FROM lines_usd
                       WHERE value_basis <> 'line' GROUP BY 1) b USING (shipment_id)
            """,
        )["value_basis"]
    else:
        basis = pa.array(["line"] * n, pa.string())
    shipments = _with_columns(shipments, {"value_basis": basis})
    return shipments, lines, orders


def money_in_usd(
    shipments: pa.Table, lines: pa.Table, rates: pa.Table | str | None, max_rate_age_days: int
) -> tuple[list[dict], list[dict]]:
    """to_usd over a few canonical shipments and their lines (for explain): (shipment rows, line rows)."""
    orders = pa.table(
        {
            "order_date": pa.array([], pa.date32()),
            "unit_price": pa.array([], pa.float64()),
            "currency": pa.array([], pa.string()),
        }
    )
    usd_shipments, usd_lines, _ = to_usd(shipments, lines, orders, rates, max_rate_age_days)
    return usd_shipments.to_pylist(), usd_lines.to_pylist()
