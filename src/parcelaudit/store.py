"""DuckDB persistence: opening the store file, versioned schema migrations, transactions, table reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from parcelaudit.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def utc_now() -> datetime:
    """The current time in UTC as a naive datetime, the form the store's TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def available_migrations() -> list[tuple[int, str, Path]]:
    """The migration files in numeric order as (version, name, path)."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StoreError(f"migration file name {path.name!r} is not NNNN_name.sql", file=str(path))
        found.append((int(match.group(1)), match.group(2), path))
    versions = [version for version, _, _ in found]
    if len(versions) != len(set(versions)):
        raise StoreError("two migration files share a version number", file=str(MIGRATIONS_DIR))
    return found


class Store:
    """An open ParcelAudit store: one DuckDB file with the canonical tables and every stage's results."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path = Path(path)
        self.con = con
        self._depth = 0

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> Store:
        """Open (creating if needed) the store at path and bring its schema up to date."""
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError("no store at this path", file=str(path), hint="ingest data first or pass --db")
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            raise StoreError(
                f"cannot open the store: {error}",
                file=str(path),
                hint="close other programs using it, or pass another --db",
            ) from error
        except duckdb.Error as error:
            raise StoreError(f"not a ParcelAudit/DuckDB store: {error}", file=str(path)) from error
        store = cls(path, con)
        if not read_only:
            store.migrate()
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back)."""
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction: all of it is committed, or none of it (nested blocks join)."""
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._depth = 0

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new file)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()[0]
        if not exists:
            return 0
        return self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]

    def migrate(self) -> list[int]:
        """Apply every migration newer than the file's version, each in its own transaction."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        applied = {row[0] for row in self.con.execute("SELECT version FROM schema_migrations").fetchall()}
        known = available_migrations()
        newest_known = max((version for version, _, _ in known), default=0)
        if applied and max(applied) > newest_known:
            raise StoreError(
                f"the store was written by a newer ParcelAudit (schema {max(applied)}, this one knows {newest_known})",
                file=str(self.path),
                hint="upgrade parcelaudit",
            )
        done = []
        for version, name, path in known:
            if version in applied:
                continue
            with self.transaction() as con:
                con.execute(path.read_text(encoding="utf-8"))
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, name, utc_now()],
                )
            done.append(version)
        return done

    def read_table(self, name: str, where: str | None = None, params: list | None = None) -> pa.Table:
        """Read a whole table (optionally filtered by a SQL condition with ? parameters) as Arrow."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise StoreError(f"not a table name: {name!r}")
        sql = f"SELECT * FROM {name}" + (f" WHERE {where}" if where else "")
        return self.query(sql, params)

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table (without an extra copy)."""
        # DuckDB refuses a relation query while an execute() result is unread; settle it first.
        self.con.complete()
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def counts(self) -> dict[str, int]:
        """Row counts of every user table in the store."""
        tables = [
            row[0]
            for row in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        return {table: self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
