"""The storage seam: the only place SQL against the store runs.

`open_store(target)` opens a DuckDB file (the embedded default) or a PostgreSQL database (a postgresql:// URL);
both offer the same `Store` interface (SQL in the house dialect, Arrow in and out). Stages never import this
package; commands, reports and the service pass a store to the functions of its area modules.
"""

from parcelaudit.store.base import (
    BATCH_ROWS,
    MIGRATIONS_DIR,
    Store,
    available_migrations,
    default_target,
    is_url,
    open_store,
    shown_target,
    storage_failure,
    store_exists,
    utc_now,
)
from parcelaudit.store.duckdb_engine import lock_timeout

__all__ = [
    "BATCH_ROWS",
    "MIGRATIONS_DIR",
    "Store",
    "available_migrations",
    "default_target",
    "is_url",
    "lock_timeout",
    "open_store",
    "shown_target",
    "storage_failure",
    "store_exists",
    "utc_now",
]
