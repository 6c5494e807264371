"""A cap on the engine's own memory for a long statement (DuckDB: `SET memory_limit`; past it, sorts and
uncommitted rows spill to disk). Other engines manage their memory themselves: nothing is set there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from parcelaudit.store.base import Store


@contextmanager
def capped_memory(store: Store, limit: str) -> Iterator[None]:
    """Cap DuckDB's memory at limit (e.g. '900MB') inside the block, then restore the previous cap."""
    if store.engine != "duckdb":
        yield
        return
    previous = store.scalar("SELECT current_setting('memory_limit')")
    store.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        store.execute(f"SET memory_limit = '{previous}'")
