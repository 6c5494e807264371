"""Money made comparable before any threshold or duty: parcel-level values allocated to lines, every amount
converted to US dollars at a dated rate.

The contract with every rule and the duty code (read it before using a value): in the rule context the
relations `shipments.declared_value`, `lines.value` and `orders.unit_price` are US dollars. The amounts as
declared stay beside them: shipments gain `currency_original`, `declared_value_original`, `usd_per_unit`,
`rate_date`, `rate_source`, `value_basis`; lines gain `value_original` and `value_basis`. A shipment in a
currency with no rate on its date has NULL dollar values (no threshold or duty is guessed) and VAL-FX says so.

Rate date: the date of exportation governs (19 CFR 159.32). Shipments carry no export date yet, so the
arrival date stands in; RATE_DATE is the one place to change to coalesce(s.export_date, s.arrival_date).

Parcel-level values (a declared_value and no line values): allocated to the lines by quantity when every
line has a positive quantity, else evenly; `value_basis` says which ('allocated-by-quantity',
'allocated-evenly'); lines with their own value are 'line'.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from parcelaudit.reference.currency import RATE_SCHEMA, rates_for

RATE_DATE = "s.arrival_date"  # becomes coalesce(s.export_date, s.arrival_date) once ingest stores export_date
ORDER_RATE_DATE = "o.order_date"


def _needs_rates(con: duckdb.DuckDBPyConnection) -> bool:
    foreign = "coalesce(nullif(upper(trim(currency)), ''), 'USD') <> 'USD'"
    return bool(
        con.execute(
            f"SELECT EXISTS (SELECT 1 FROM shipments WHERE {foreign}) OR EXISTS (SELECT 1 FROM orders WHERE {foreign})"
        ).fetchall()[0][0]
    )


def to_usd(
    con: duckdb.DuckDBPyConnection,
    rates: pa.Table | str | None,
    max_rate_age_days: int,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Shipments, lines and orders (registered in con under those names) with money in USD; see the module doc.

    rates: a RATE_SCHEMA table, a rates file path, or None (the ECB reference series, only loaded when some
    amount is not in dollars). A rate counts on a date when it is the latest for its currency on or before
    that date and at most max_rate_age_days old (weekends and holidays; quarterly certified rates need ~92).
    """
    if _needs_rates(con):
        table = rates if isinstance(rates, pa.Table) else rates_for(rates)
    else:
        table = RATE_SCHEMA.empty_table()
    con.register("fx_rates", table)
    age = int(max_rate_age_days)
    usd = "coalesce(nullif(upper(trim({0}.currency)), ''), 'USD') = 'USD'"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fx_shipments AS
        WITH wanted AS (
            SELECT s.shipment_id, upper(trim(s.currency)) AS currency, {RATE_DATE} AS rate_on
            FROM shipments s WHERE NOT {usd.format("s")}
        )
        SELECT w.shipment_id, w.currency, w.rate_on,
               CASE WHEN w.rate_on - r.rate_date <= {age} THEN r.usd_per_unit END AS usd_per_unit,
               CASE WHEN w.rate_on - r.rate_date <= {age} THEN r.rate_date END AS rate_date,
               CASE WHEN w.rate_on - r.rate_date <= {age} THEN r.source END AS rate_source
        FROM wanted w ASOF LEFT JOIN fx_rates r ON r.currency = w.currency AND w.rate_on >= r.rate_date
    """)
    shipments = con.sql(f"""
        SELECT s.* REPLACE (
                   CASE WHEN {usd.format("s")} THEN s.declared_value ELSE s.declared_value * f.usd_per_unit END
                     AS declared_value),
               s.currency AS currency_original, s.declared_value AS declared_value_original,
               CASE WHEN {usd.format("s")} THEN 1.0 ELSE f.usd_per_unit END AS usd_per_unit,
               f.rate_date, CASE WHEN {usd.format("s")} THEN 'USD as declared' ELSE f.rate_source END AS rate_source
        FROM shipments s LEFT JOIN fx_shipments f USING (shipment_id)
    """).to_arrow_table()
    con.register("shipments_usd", shipments)
    lines = con.sql("""
        WITH per AS (
            SELECT shipment_id, count(*) AS n, count(value) AS valued, sum(quantity) AS quantity,
                   bool_and(coalesce(quantity, 0) > 0) AS all_quantities
            FROM lines GROUP BY shipment_id
        )
        SELECT l.* REPLACE (
                   CASE WHEN p.valued = 0 AND s.declared_value_original IS NOT NULL
                        THEN CASE WHEN p.all_quantities THEN s.declared_value * l.quantity / p.quantity
                                  ELSE s.declared_value / p.n END
                        ELSE l.value * s.usd_per_unit END AS value),
               l.value AS value_original,
               CASE WHEN p.valued > 0 OR s.declared_value_original IS NULL THEN 'line'
                    WHEN p.all_quantities THEN 'allocated-by-quantity' ELSE 'allocated-evenly' END AS value_basis
        FROM lines l JOIN per p USING (shipment_id) LEFT JOIN shipments_usd s USING (shipment_id)
    """).to_arrow_table()
    orders = con.sql(f"""
        SELECT o.* REPLACE (
                   CASE WHEN {usd.format("o")} THEN o.unit_price
                        WHEN {ORDER_RATE_DATE} - r.rate_date <= {age} THEN o.unit_price * r.usd_per_unit END
                     AS unit_price)
        FROM orders o ASOF LEFT JOIN fx_rates r
          ON r.currency = upper(trim(o.currency)) AND {ORDER_RATE_DATE} >= r.rate_date
    """).to_arrow_table()
    # The parcel's basis: line values as declared, or the parcel value allocated (said in explain and reports).
    con.register("lines_usd", lines)
    basis = con.sql("""
        SELECT s.*, coalesce(b.basis, 'line') AS value_basis FROM shipments_usd s
        LEFT JOIN (SELECT shipment_id, any_value(value_basis) AS basis FROM lines_usd
                   WHERE value_basis <> 'line' GROUP BY 1) b USING (shipment_id)
    """).to_arrow_table()
    for name in ("shipments_usd", "lines_usd", "fx_rates"):
        con.unregister(name)
    con.execute("DROP TABLE fx_shipments")
    return basis, lines, orders


def money_in_usd(
    shipments: pa.Table, lines: pa.Table, rates: pa.Table | str | None, max_rate_age_days: int
) -> tuple[list[dict], list[dict]]:
    """to_usd over a few canonical shipments and their lines (for explain): (shipment rows, line rows)."""
    con = duckdb.connect()
    try:
        con.register("shipments", shipments)
        con.register("lines", lines)
        con.register(
            "orders",
            pa.table(
                {
                    "order_date": pa.array([], pa.date32()),
                    "unit_price": pa.array([], pa.float64()),
                    "currency": pa.array([], pa.string()),
                }
            ),
        )
        usd_shipments, usd_lines, _ = to_usd(con, rates, max_rate_age_days)
        return usd_shipments.to_pylist(), usd_lines.to_pylist()
    finally:
        con.close()
