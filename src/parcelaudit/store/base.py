"""The storage seam: what every engine offers (SQL in, Arrow out), and the migrations both engines apply.

Stages never see an engine. Code under parcelaudit.store writes SQL in DuckDB's dialect with `?` placeholders,
kept portable (standard SQL); an engine that speaks another dialect translates it (PostgreSQL: sqlglot).
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from parcelaudit.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# NNNN_name.sql is portable; NNNN_name.<engine>.sql replaces it on that engine when it cannot be.
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)(?:\.(duckdb|postgresql))?\.sql$")
BATCH_ROWS = 250_000
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def utc_now() -> datetime:
    """The current time in UTC as a naive datetime, the form the store's TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def table_name(name: str) -> str:
    """name, checked to be a plain lower-case SQL identifier (it is spliced into SQL text)."""
    if not _TABLE_NAME.fullmatch(name):
        raise StoreError(f"not a table name: {name!r}")
    return name


def available_migrations(engine: str = "duckdb") -> list[tuple[int, str, Path]]:
    """The migration files for engine in numeric order as (version, name, path); an engine's own file for a
    version replaces the portable one."""
    chosen: dict[int, tuple[str, Path, str | None]] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StoreError(
                f"migration file name {path.name!r} is not NNNN_name.sql or NNNN_name.ENGINE.sql",
                file=str(path),
            )
        version, name, only = int(match.group(1)), match.group(2), match.group(3)
        if only not in (None, engine):
            continue
        if version in chosen:
            kept_name, _, kept_only = chosen[version]
            if kept_name != name or kept_only == only:
                raise StoreError("two migration files share a version number", file=str(MIGRATIONS_DIR))
            if only is None:  # the engine's own file was seen first and stays
                continue
        chosen[version] = (name, path, only)
    return [(version, name, path) for version, (name, path, _) in sorted(chosen.items())]


def shown_target(target: str | Path) -> str:
    """target as it may be printed: a URL's password is replaced by ***."""
    if not is_url(str(target)):
        return str(target)
    from parcelaudit.store.postgres_engine import hide_password

    return hide_password(str(target))


def store_exists(target: str | Path) -> bool:
    """True when target holds a store: a DuckDB file that exists, or a PostgreSQL schema with the
    migrations table (a server that does not answer raises StoreError)."""
    if is_url(str(target)):
        from parcelaudit.store.postgres_engine import schema_has_store

        return schema_has_store(str(target))
    return Path(target).exists()


def storage_failure(error: BaseException, target: str | Path | None = None) -> StoreError | None:
    """A one-line StoreError for an engine's storage failure (full disk, corrupt file, server gone...),
    else None (the error is a bug, not the store's state)."""
    from parcelaudit.store.duckdb_engine import storage_failure as duckdb_failure

    found = duckdb_failure(error, target)
    if found is None and type(error).__module__.startswith("psycopg"):
        from parcelaudit.store.postgres_engine import server_failure

        found = server_failure(error, target)
    return found


def default_target() -> str:
    """The store used when no --db is given: $PARCELAUDIT_DB, else ./parcelaudit.duckdb."""
    return os.environ.get("PARCELAUDIT_DB") or "parcelaudit.duckdb"


def is_url(target: str | Path) -> bool:
    """True when target names a server store (postgresql://...) rather than a file."""
    return isinstance(target, str) and target.split("://", 1)[0] in ("postgresql", "postgres")


class Store(ABC):
    """An open ParcelAudit store: the canonical tables and every stage's results, on one engine.

    Open one with `Store.open(target)` (a file path: DuckDB; a postgresql:// URL: PostgreSQL).
    """

    engine: str = ""
    BATCH_ROWS = BATCH_ROWS

    def __init__(self, location: str) -> None:
        self.location = location
        self._depth = 0

    @classmethod
    def open(
        cls, target: str | Path | None = None, *, read_only: bool = False, wait_seconds: float | None = None
    ) -> Store:
        """Open the store at target (creating it if needed, unless read_only) with its schema up to date."""
        return open_store(target, read_only=read_only, wait_seconds=wait_seconds)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what an engine implements -------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back)."""

    @abstractmethod
    def execute(self, sql: str, params: list | tuple | None = None) -> None:
        """Run one statement for its effect."""

    @abstractmethod
    def fetch(self, sql: str, params: list | tuple | None = None) -> list[tuple]:
        """Run a query and return every row as a tuple."""

    @abstractmethod
    def query(self, sql: str, params: list | tuple | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    @abstractmethod
    def batches(
        self, sql: str, params: list | tuple | None = None, rows: int = BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in Arrow record batches of at most `rows` rows."""

    @abstractmethod
    def insert(self, table: str, data: pa.Table, columns: list[str] | None = None) -> int:
        """Append Arrow rows to a table (columns: the table's columns they fill, default data's names)."""

    @abstractmethod
    def staged(self, name: str, data: pa.Table, once: bool = False) -> AbstractContextManager[str]:
        """A temporary relation called name holding data, usable in SQL inside the block.
        once: one statement reads it, once (the engine may then stream it and keep nothing of it)."""

    @abstractmethod
    def next_id(self, sequence: str) -> int:
        """The next value of a sequence."""

    @abstractmethod
    def lock(self, key: str) -> AbstractContextManager[None]:
        """An exclusive section across processes sharing the store, held to the end of the block."""

    @abstractmethod
    def lock_until_commit(self, key: str) -> None:
        """Inside a transaction: an exclusive lock on key across processes, held until it commits or rolls back."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The store's own tables, sorted."""

    @abstractmethod
    def sequences(self) -> dict[str, int]:
        """The store's sequences and the value each would give next."""

    @abstractmethod
    def restart_sequence(self, sequence: str, next_value: int) -> None:
        """Make a sequence give next_value next (used when a store is copied)."""

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    # --- common behaviour -------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run a block in one transaction: all of it is committed, or none of it (nested blocks join)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._rollback()
            raise
        else:
            self._commit()
        finally:
            self._depth = 0

    def fetch_one(self, sql: str, params: list | tuple | None = None) -> tuple | None:
        """The first row of a query, or None when it has none."""
        rows = self.fetch(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: list | tuple | None = None) -> Any:
        """The first column of a query's first row, or None when it has no rows."""
        row = self.fetch_one(sql, params)
        return row[0] if row else None

    def read_table(self, name: str, where: str | None = None, params: list | None = None) -> pa.Table:
        """Read a whole table (optionally filtered by a SQL condition with ? parameters) as Arrow."""
        sql = f"SELECT * FROM {table_name(name)}" + (f" WHERE {where}" if where else "")
        return self.query(sql, params)

    def counts(self) -> dict[str, int]:
        """Row counts of every table of the store."""
        return {table: self.scalar(f'SELECT count(*) FROM "{table}"') for table in self.tables()}

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new store)."""
        if "schema_migrations" not in self.tables():
            return 0
        return self.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations")

    def migrate(self, up_to: int | None = None) -> list[int]:
        """Apply every migration newer than the store's version (up to version `up_to` when given: tests build
        a store as an older ParcelAudit left it), each in its own transaction."""
        with self.lock("schema_migrations"):
            self.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
            applied = {row[0] for row in self.fetch("SELECT version FROM schema_migrations")}
            known = available_migrations(self.engine)
            newest_known = max((version for version, _, _ in known), default=0)
            if applied and max(applied) > newest_known:
                raise StoreError(
                    f"the store was written by a newer ParcelAudit (schema {max(applied)}, this one knows {newest_known})",
                    file=self.location,
                    hint="upgrade parcelaudit",
                )
            done = []
            for version, name, path in known:
                if version in applied or (up_to is not None and version > up_to):
                    continue
                with self.transaction():
                    native = path.name.endswith(f".{self.engine}.sql")
                    self._run_script(path.read_text(encoding="utf-8"), native=native)
                    self.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utc_now()])
                done.append(version)
            return done

    def _run_script(self, sql: str, native: bool = False) -> None:
        """Run a migration file (several statements); native: written in this engine's own dialect."""
        self.execute(sql)

    def verify(self) -> None:
        """Read every row of every table once, so that damage shows here and not in the middle of a run."""
        for table in self.tables():
            self.fetch(f'SELECT count(*) FROM (SELECT * FROM "{table}") t')


def open_store(
    target: str | Path | None = None, *, read_only: bool = False, wait_seconds: float | None = None
) -> Store:
    """Open the store named by target: a postgresql:// URL (PostgreSQL) or a file path (DuckDB, the default);
    None: $PARCELAUDIT_DB or ./parcelaudit.duckdb."""
    target = default_target() if target is None else target
    if is_url(str(target)):
        from parcelaudit.store.postgres_engine import PostgresStore

        return PostgresStore.connect(str(target), read_only=read_only, wait_seconds=wait_seconds)
    from parcelaudit.store.duckdb_engine import DuckDBStore

    return DuckDBStore.connect(Path(target), read_only=read_only, wait_seconds=wait_seconds)
