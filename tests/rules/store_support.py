"""Put small canonical tables into a real store (any engine), as ingest would (row_hash and import_id added)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from parcelaudit.store import Store


def load(store: Store, name: str, table: pa.Table) -> None:
    """Append a canonical table to the store table of the same name."""
    table = table.append_column("row_hash", pa.array([f"h{i}" for i in range(table.num_rows)]))
    table = table.append_column("import_id", pa.array([1] * table.num_rows, pa.int64()))
    store.insert(name, table)


def store_file(
    path: Path | str, shipments: pa.Table, lines: pa.Table, orders: pa.Table | None = None
) -> Path | str:
    """A store at path (a file, or a URL: the store_target fixture) holding the given shipments, lines and
    orders; return path."""
    with Store.open(path) as store:
        load(store, "shipments", shipments)
        load(store, "lines", lines)
        if orders is not None:
            load(store, "orders", orders)
    return path
