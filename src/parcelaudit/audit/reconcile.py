"""Books and records: rebuild an e-commerce importer's books from marketplace orders, payments and
parcels, and list every difference with its evidence.

Checks (each row carries the ids and amounts that show the difference):
- orders never shipped: an order with no parcel in the period's shipments;
- parcels with no order: a parcel whose order_id is blank or unknown to the order records;
- payments that differ from order totals: sum(quantity * unit_price + shipping) vs sum(payments);
- declared vs transaction value: per order, the goods value paid (quantity * unit_price) vs the value
  declared on its parcels (19 U.S.C. 1401a: transaction value; shipping is excluded as CIF/freight is
  not part of the fair retail value declared for low-value parcels);
- monthly totals: parcels, declared value, order value and payments by month.
Pure: Arrow tables in, Arrow tables out; an in-memory DuckDB connection does the joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from parcelaudit.arrow_sql import ArrowSQL

TOLERANCE = 0.01  # dollars: differences at or below a cent are rounding


@dataclass
class Reconciliation:
    """The reconciled books: one table per check plus counts and amounts for the summary."""

    orders_never_shipped: pa.Table
    parcels_without_order: pa.Table
    payment_differences: pa.Table
    value_differences: pa.Table
    monthly: pa.Table
    summary: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pa.Table]:
        """Every difference table by name (for reports and the workpaper)."""
        return {
            "orders_never_shipped": self.orders_never_shipped,
            "parcels_without_order": self.parcels_without_order,
            "payment_differences": self.payment_differences,
            "value_differences": self.value_differences,
            "monthly": self.monthly,
        }


_ORDER_TOTALS = """
    SELECT order_id, min(order_date) AS order_date,
           sum(coalesce(quantity, 1) * coalesce(unit_price, 0)) AS goods_value,
           sum(coalesce(shipping_price, 0)) AS shipping,
           sum(coalesce(quantity, 1) * coalesce(unit_price, 0) + coalesce(shipping_price, 0)) AS order_total,
           count(*) AS order_lines
    FROM orders GROUP BY order_id
"""


def reconcile(
    shipments: pa.Table,
    orders: pa.Table,
    payments: pa.Table,
    period: tuple[date, date] | None = None,
    tolerance: float = TOLERANCE,
) -> Reconciliation:
    """Reconcile one importer's parcels, orders and payments.

    Pass tables that reach a little beyond the period (orders placed before it, parcels arriving after
    it) so that orders and parcels at the edges find each other; `period` then limits the "never
    shipped" check to orders dated in it and the "no order" check to parcels arriving in it.
    """
    low, high = period if period else (date.min, date.max)
    with ArrowSQL({"shipments": shipments, "orders": orders, "payments": payments}) as session:
        session.create("order_totals", _ORDER_TOTALS)
        session.create(
            "parcel_orders",
            """            SELECT order_id, count(*) AS parcels, sum(declared_value) AS declared_value,
                   string_agg(shipment_id, ' ' ORDER BY shipment_id) AS shipment_ids
            FROM shipments WHERE order_id IS NOT NULL AND trim(order_id) <> '' GROUP BY order_id""",
        )
        session.create(
            "paid",
            """            SELECT order_id, sum(amount) AS paid, count(*) AS payments,
                   string_agg(payment_id, ' ' ORDER BY payment_id) AS payment_ids
            FROM payments GROUP BY order_id""",
        )
        never_shipped = session.query(
            """
            SELECT o.order_id, o.order_date, o.order_lines, round(o.order_total, 2) AS order_total,
                   'no parcel carries this order id' AS evidence
            FROM order_totals o ANTI JOIN parcel_orders p USING (order_id)
            WHERE o.order_date BETWEEN ? AND ? ORDER BY o.order_date, o.order_id
        """,
            [low, high],
        )
        without_order = session.query(
            """
            SELECT s.shipment_id, s.arrival_date, s.order_id, s.declared_value,
                   CASE WHEN s.order_id IS NULL OR trim(s.order_id) = '' THEN 'parcel has no order id'
                        ELSE 'order id not in the order records' END AS evidence
            FROM shipments s
            WHERE (s.order_id IS NULL OR trim(s.order_id) = ''
                   OR s.order_id NOT IN (SELECT order_id FROM order_totals))
              AND s.arrival_date BETWEEN ? AND ?
            ORDER BY s.arrival_date, s.shipment_id
        """,
            [low, high],
        )
        payment_diffs = session.query(f"""
            SELECT o.order_id, o.order_date, round(o.order_total, 2) AS order_total,
                   round(coalesce(p.paid, 0), 2) AS paid, round(coalesce(p.paid, 0) - o.order_total, 2) AS difference,
                   coalesce(p.payments, 0) AS payments, p.payment_ids,
                   CASE WHEN p.order_id IS NULL THEN 'no payment recorded for the order'
                        WHEN p.paid < o.order_total THEN 'paid less than the order total'
                        ELSE 'paid more than the order total' END AS evidence
            FROM order_totals o LEFT JOIN paid p USING (order_id)
            WHERE abs(coalesce(p.paid, 0) - o.order_total) > {tolerance}
            UNION ALL
            SELECT p.order_id, NULL, NULL, round(p.paid, 2), round(p.paid, 2), p.payments, p.payment_ids,
                   'payment for an order not in the order records'
            FROM paid p ANTI JOIN order_totals o USING (order_id)
            ORDER BY 1
        """)
        value_diffs = session.query(f"""
            SELECT p.order_id, p.shipment_ids, p.parcels, round(p.declared_value, 2) AS declared_value,
                   round(o.goods_value, 2) AS transaction_value,
                   round(o.goods_value - p.declared_value, 2) AS difference,
                   round((o.goods_value - p.declared_value) / nullif(o.goods_value, 0), 4) AS share,
                   CASE WHEN p.declared_value < o.goods_value THEN 'declared below the price paid'
                        ELSE 'declared above the price paid' END AS evidence
            FROM parcel_orders p JOIN order_totals o USING (order_id)
            WHERE abs(o.goods_value - p.declared_value) > {tolerance}
            ORDER BY difference DESC, p.order_id
        """)
        monthly = session.query("""
            WITH s AS (SELECT strftime(arrival_date, '%Y-%m') AS month, count(*) AS parcels,
                              sum(declared_value) AS declared FROM shipments GROUP BY 1),
                 o AS (SELECT strftime(order_date, '%Y-%m') AS month, count(*) AS orders,
                              sum(order_total) AS ordered FROM order_totals GROUP BY 1),
                 p AS (SELECT strftime(CAST(paid_at AS DATE), '%Y-%m') AS month, sum(amount) AS paid
                       FROM payments WHERE paid_at IS NOT NULL GROUP BY 1)
            SELECT month, coalesce(s.parcels, 0) AS parcels, round(coalesce(s.declared, 0), 2) AS declared_value,
                   coalesce(o.orders, 0) AS orders, round(coalesce(o.ordered, 0), 2) AS order_total,
                   round(coalesce(p.paid, 0), 2) AS payments
            FROM s FULL JOIN o USING (month) FULL JOIN p USING (month) ORDER BY month
        """)
        (totals,) = (
            session.rows("""SELECT (SELECT count(*) FROM shipments), (SELECT count(*) FROM order_totals),
                                       (SELECT count(*) FROM payments),
                                       (SELECT coalesce(sum(declared_value), 0) FROM shipments),
                                       (SELECT coalesce(sum(goods_value), 0) FROM order_totals),
                                       (SELECT coalesce(sum(amount), 0) FROM payments)""")
        )
    under = [d for d in value_diffs.column("difference").to_pylist() if d > 0]
    summary = {
        "parcels": totals[0],
        "orders": totals[1],
        "payments": totals[2],
        "declared_value": round(totals[3], 2),
        "order_goods_value": round(totals[4], 2),
        "payments_total": round(totals[5], 2),
        "orders_never_shipped": never_shipped.num_rows,
        "parcels_without_order": without_order.num_rows,
        "payment_differences": payment_diffs.num_rows,
        "value_differences": value_diffs.num_rows,
        "undervaluation_total": round(sum(under), 2),
    }
    return Reconciliation(never_shipped, without_order, payment_diffs, value_diffs, monthly, summary)
