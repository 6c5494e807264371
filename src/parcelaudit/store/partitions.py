"""The canonical tables read day by day: every row with the arrival date of the parcel it belongs to, so that
a day's partition holds whole parcels (a shipment, its lines, its order and the order's payments).

The day of a row: a shipment's arrival_date; a line's, its shipment's; an order's, the first arrival of a
shipment carrying it (else its own order_date); a payment's, its order's (else the date it was paid). A row
with no day (a line whose shipment is not stored, a payment with neither order nor date) has NULL.
Portable SQL; rows come ordered by day (NULL last) then by the table's key (text in byte order), so the same rows
always read back in the same order, on either engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from parcelaudit.schema import LINES, ORDERS, PAYMENTS, SHIPMENTS, Table
from parcelaudit.store.base import Store
from parcelaudit.store.memory import capped_memory

PARTITION_COLUMN = "partition_date"
CANONICAL_TABLES: tuple[Table, ...] = (SHIPMENTS, LINES, ORDERS, PAYMENTS)
DAY_BATCH_ROWS = 65_536  # what one batch holds in memory, whatever the size of a day or of the store
EXPORT_MEMORY_LIMIT = "512MB"  # DuckDB's own memory while it sorts a table by day

_ORDER_DAY = """(SELECT o.order_id, o.sku, coalesce(f.first_arrival, o.order_date) AS day FROM orders o
    LEFT JOIN (SELECT order_id, min(arrival_date) AS first_arrival FROM shipments
               WHERE order_id IS NOT NULL GROUP BY order_id) f ON f.order_id = o.order_id)"""

# table -> (FROM clause with alias t for the table's rows, SQL of the row's day)
_SOURCES = {
    "shipments": ("shipments t", "t.arrival_date"),
    "lines": (
        "lines t LEFT JOIN shipments s ON s.shipment_id = t.shipment_id",
        "s.arrival_date",
    ),
    "orders": (f"orders t JOIN {_ORDER_DAY} d ON d.order_id = t.order_id AND d.sku = t.sku", "d.day"),
    "payments": (
        f"payments t LEFT JOIN (SELECT order_id, min(day) AS day FROM {_ORDER_DAY} od GROUP BY order_id) d "
        "ON d.order_id = t.order_id",
        "coalesce(d.day, CAST(t.paid_at AS DATE))",
    ),
}


@dataclass(frozen=True)
class DayRange:
    """Arrival days from since to until, both included (None: open on that side)."""

    since: date | None = None
    until: date | None = None

    def where(self, column: str) -> tuple[str, list[date]]:
        """A SQL condition on column (with its parameters) keeping the range; TRUE when it is open."""
        conditions, params = [], []
        if self.since is not None:
            conditions.append(f"{column} >= ?")
            params.append(self.since)
        if self.until is not None:
            conditions.append(f"{column} <= ?")
            params.append(self.until)
        return (" AND ".join(conditions) or "TRUE"), params


def _day_rows(table: Table, days: DayRange) -> tuple[str, list[date]]:
    source, day = _SOURCES[table.name]
    columns = ", ".join(f"t.{name}" for name in table.names)
    where, params = days.where(day)
    return f"SELECT {day} AS {PARTITION_COLUMN}, {columns} FROM {source} WHERE {where}", params


def count_day_rows(store: Store, table: Table, days: DayRange = DayRange()) -> int:
    """How many rows of table fall in the range of days."""
    sql, params = _day_rows(table, days)
    return store.scalar(f"SELECT count(*) FROM ({sql}) r", params)


def day_batches(
    store: Store, table: Table, days: DayRange = DayRange(), rows: int = DAY_BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """The table's canonical rows in the range, each with its day first (PARTITION_COLUMN), ordered by day
    (NULL last) then key, in batches of at most `rows` rows."""
    sql, params = _day_rows(table, days)
    # Text keys in byte order (COLLATE "C"), whatever the database's collation: the same rows come back in
    # the same order on every engine.
    keys = [f'{k} COLLATE "C"' if pa.types.is_string(table.field(k).type) else k for k in table.key]
    order = ", ".join([f"{PARTITION_COLUMN} NULLS LAST", *keys])
    with capped_memory(store, EXPORT_MEMORY_LIMIT):  # the sort by day spills to disk past it
        yield from store.batches(f"SELECT * FROM ({sql}) r ORDER BY {order}", params, rows=rows)
