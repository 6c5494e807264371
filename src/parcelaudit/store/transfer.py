"""Moving a whole store to another (of either engine), table by table in Arrow batches, with proof.

Each table's rows are counted and checksummed as they leave the source and again as they sit in the
destination. The checksum is order-independent (the sum of a hash of every row, computed by an in-process
DuckDB over the Arrow batches), so it compares a table on two engines whatever order they return rows in:
both engines give the same Arrow types for the same schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from parcelaudit.errors import StoreError
from parcelaudit.store.base import Store

# The migrations table belongs to each store (the destination's own migrations filled it).
NOT_COPIED = frozenset({"schema_migrations"})


@dataclass
class TableCopy:
    """One table's copy: rows and checksum read from the source, and found in the destination."""

    table: str
    source_rows: int
    source_checksum: int
    copied_rows: int = 0
    copied_checksum: int = 0

    @property
    def matches(self) -> bool:
        """True when the destination holds the same rows (count and checksum) as the source."""
        return (self.source_rows, self.source_checksum) == (self.copied_rows, self.copied_checksum)


class _Checksum:
    """An order-independent running checksum of Arrow batches."""

    def __init__(self) -> None:
        self._con = duckdb.connect()
        self.rows = 0
        self.value = 0

    def add(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        self._con.register("_batch", pa.Table.from_batches([batch]))
        total = self._con.execute("SELECT sum(hash(b)::HUGEINT) FROM _batch b").fetchall()[0][0]
        self._con.unregister("_batch")
        self.rows += batch.num_rows
        self.value = (self.value + int(total)) % (1 << 64)

    def close(self) -> None:
        self._con.close()


def query_checksum(store: Store, sql: str, params: list | tuple | None = None) -> tuple[int, int]:
    """(rows, order-independent checksum) of a query's result: equal on two engines when they return the same
    rows with the same Arrow types, in whatever order."""
    checksum = _Checksum()
    try:
        for batch in store.batches(sql, params):
            checksum.add(batch)
        return checksum.rows, checksum.value
    finally:
        checksum.close()


def table_checksum(store: Store, table: str) -> tuple[int, int]:
    """(rows, order-independent checksum) of one table of a store."""
    return query_checksum(store, f'SELECT * FROM "{table}"')


def copy_store(
    source: Store, destination: Store, on_table: Callable[[str], None] | None = None
) -> list[TableCopy]:
    """Copy every table of source into destination (which must hold no rows), in one transaction, and its
    sequences' positions; returns each table's counts and checksums on both sides."""
    if source.schema_version() != destination.schema_version():
        raise StoreError(
            f"the source's schema is version {source.schema_version()}, the destination's "
            f"{destination.schema_version()}",
            file=source.location,
            hint="run `parcelaudit store migrate --db SOURCE` first",
        )
    filled = [t for t, n in destination.counts().items() if n and t not in NOT_COPIED]
    if filled:
        raise StoreError(
            f"the destination already holds rows ({', '.join(filled)})",
            file=destination.location,
            hint="copy into a new store (a new file, or a new ?schema=)",
        )
    copies = []
    with destination.transaction():
        for table in source.tables():
            if table in NOT_COPIED:
                continue
            if on_table:
                on_table(table)
            checksum = _Checksum()
            try:
                for batch in source.batches(f'SELECT * FROM "{table}"'):
                    checksum.add(batch)
                    destination.insert(table, pa.Table.from_batches([batch]))
            finally:
                checksum.close()
            copies.append(TableCopy(table, checksum.rows, checksum.value))
        for sequence, next_value in source.sequences().items():
            destination.restart_sequence(sequence, next_value)
    for copy in copies:
        copy.copied_rows, copy.copied_checksum = table_checksum(destination, copy.table)
    return copies
