"""SQL over Arrow tables in an in-process DuckDB: how a stage groups and joins its inputs, engine-free.

A stage function takes Arrow tables and returns Arrow; when grouping or joining is clearer (and faster) in
SQL, it opens an `ArrowSQL` session over those tables, runs DuckDB-dialect SQL on them and gets Arrow back.
Nothing here touches the store: the session is in memory, opened and closed inside the function, so a
stage runs the same whatever engine holds the store. This module (with parcelaudit.store) is the only
place that imports duckdb (tests/test_architecture.py keeps it so).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa


def exact_sum(expression: str) -> str:
    """SQL for sum(expression) that is the same however threads split the rows: each term is taken to 9
    decimal places and added as DECIMAL (exact), then returned as DOUBLE. A float sum's last bit depends on
    the order the terms are added in, which DuckDB does not fix; rounded to cents, that bit flips a cent."""
    return f"CAST(sum(CAST({expression} AS DECIMAL(38, 9))) AS DOUBLE)"


class ArrowSQL:
    """An in-memory DuckDB session over named Arrow tables (read in place, not copied); use it as a context
    manager so it is closed when the stage function returns."""

    def __init__(self, tables: Mapping[str, pa.Table] | None = None, threads: int | None = None) -> None:
        self._db = duckdb.connect()
        if threads:
            self._db.execute(f"SET threads = {int(threads)}")
        for name, table in (tables or {}).items():
            self.register(name, table)

    def __enter__(self) -> ArrowSQL:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable in SQL under name (replacing what had that name)."""
        self._db.register(name, table)

    def unregister(self, name: str) -> None:
        """Forget a registered Arrow table."""
        self._db.unregister(name)

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a query and return its result as Arrow."""
        return self._db.sql(sql, params=params or None).to_arrow_table()

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a query and return its rows as tuples (for small results)."""
        return self._db.execute(sql, params or None).fetchall()

    def create(self, name: str, sql: str, params: list | None = None) -> None:
        """Keep a query's result in the session as a table called name (replacing one of that name)."""
        self._db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params or None)

    def drop(self, *names: str) -> None:
        """Drop tables made by create()."""
        for name in names:
            self._db.execute(f"DROP TABLE IF EXISTS {name}")

    def scope(self, tables: Mapping[str, pa.Table] | None = None) -> Scope:
        """A block of work with extra tables (see Scope); use it with `with`."""
        return Scope(self, tables)

    def close(self) -> None:
        """Release the in-memory database."""
        self._db.close()


class Scope:
    """Extra Arrow tables registered in a shared session for one block; they, and the tables the block
    creates, are gone when it closes (so one rule's scratch tables never meet another's)."""

    def __init__(self, session: ArrowSQL, tables: Mapping[str, pa.Table] | None = None) -> None:
        self._session = session
        self._registered: dict[str, None] = {}  # ordered set
        self._created: list[str] = []
        for name, table in (tables or {}).items():
            self.register(name, table)

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable under name for the block."""
        self._session.register(name, table)
        self._registered[name] = None

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a query and return its result as Arrow."""
        return self._session.query(sql, params)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a query and return its rows as tuples (for small results)."""
        return self._session.rows(sql, params)

    def create(self, name: str, sql: str, params: list | None = None) -> None:
        """Keep a query's result as a table called name until the block ends."""
        self._session.create(name, sql, params)
        self._created.append(name)

    def close(self) -> None:
        """Drop what the block created and forget what it registered."""
        self._session.drop(*self._created)
        for name in self._registered:
            self._session.unregister(name)
        self._created, self._registered = [], {}


def run_sql(sql: str, tables: Mapping[str, pa.Table], params: list | None = None) -> pa.Table:
    """One query over named Arrow tables, in a session opened and closed for it."""
    with ArrowSQL(tables) as session:
        return session.query(sql, params)
