"""The embedded engine: a store in one DuckDB file (the default; one writer at a time, waited for)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from parcelaudit.errors import StoreError
from parcelaudit.store.base import BATCH_ROWS, Store, table_name

LOCK_TIMEOUT_SECONDS = 30.0  # how long a command waits for a store another process holds
LOCK_POLL_SECONDS = 0.2
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_timeout() -> float:
    """Seconds to wait for a held store: PARCELAUDIT_LOCK_TIMEOUT, else LOCK_TIMEOUT_SECONDS."""
    raw = os.environ.get("PARCELAUDIT_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(raw)) if raw else LOCK_TIMEOUT_SECONDS
    except ValueError:
        return LOCK_TIMEOUT_SECONDS


def _is_lock_conflict(error: Exception) -> bool:
    return "Could not set lock" in str(error) or "Conflicting lock" in str(error)


def _holder(error: Exception) -> str:
    """The process holding the store's lock, as DuckDB reports it, with its command line where readable."""
    match = _LOCK_HOLDER.search(str(error))
    if not match:
        return "another process"
    pid = match.group("pid")
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        command = match.group("program")
    return f"process {pid} ({command.strip()[:120]})"


def _check_wal_writable(path: Path) -> None:
    """Refuse at once (not after a long run, at commit) a store whose write-ahead log cannot be created."""
    wal = path.with_name(path.name + ".wal")
    folder = path.parent if str(path.parent) else Path(".")
    if wal.is_dir() or (not wal.exists() and folder.exists() and not os.access(folder, os.W_OK)):
        raise StoreError(
            f"the store's write-ahead log {wal.name} cannot be created "
            + ("(a folder has its name)" if wal.is_dir() else "(the folder is not writable)"),
            file=str(path),
            hint="make the store's folder writable and remove anything named like the .wal file",
        )


def open_error(error: Exception, path: Path, *, waited: bool = False) -> StoreError:
    """Turn a DuckDB failure on opening a store into a one-line StoreError with the right hint."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    file = str(path)
    if _is_lock_conflict(error):
        waited_for = f" after waiting {lock_timeout():g} s" if waited else ""
        return StoreError(
            f"the store is in use by {_holder(error)}{waited_for}",
            file=file,
            hint="let that command finish, or set PARCELAUDIT_LOCK_TIMEOUT to wait longer",
        )
    failure = storage_failure(error, path)
    if failure is not None:
        return failure
    return StoreError(f"cannot open the store: {text}", file=file, hint="pass the right --db")


def storage_failure(error: BaseException, path: Path | str | None = None) -> StoreError | None:
    """A one-line StoreError for a DuckDB storage failure (full disk, corrupt file, stale WAL...), else None."""
    if not isinstance(error, duckdb.Error):
        return None
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    lowered = text.lower()
    file = str(path) if path is not None else None
    if "no space left" in lowered or "file too large" in lowered or "disk is full" in lowered:
        return StoreError(
            f"the disk is full: {text}", file=file, hint="free disk space and run the command again"
        )
    if "not a valid duckdb database file" in lowered:
        return StoreError(
            "this file is not a ParcelAudit store", file=file, hint="pass the store file with --db"
        )
    if "corrupt database file" in lowered or "checksum" in lowered:
        return StoreError(
            f"the store file is corrupt ({text})",
            file=file,
            hint="restore it from a backup, or ingest the source files into a new store",
        )
    if "wal" in lowered and ("replay" in lowered or "does not match" in lowered):
        return StoreError(
            "the store's write-ahead log (.wal file beside it) does not belong to this store file",
            file=file,
            hint="move the stale .wal file away (e.g. after restoring the store from a backup) and retry",
        )
    if ".wal" in lowered:
        return StoreError(
            f"cannot write the store's write-ahead log: {text}",
            file=file,
            hint="make the store's folder writable and remove anything named like the .wal file",
        )
    if any(
        sign in lowered
        for sign in ("permission denied", "operation not permitted", "read-only file system", "readonly")
    ):
        return StoreError(
            f"the store is not writable: {text}",
            file=file,
            hint="use a writable copy of the store, or fix its permissions",
        )
    if isinstance(error, duckdb.IOException):
        return StoreError(f"the store cannot be read or written: {text}", file=file)
    return None


class DuckDBStore(Store):
    """A store in one DuckDB file: embedded, no server; other processes wait for its single writer."""

    engine = "duckdb"

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(str(path))
        self.path = Path(path)
        self.con = con

    @classmethod
    def connect(
        cls, path: Path, *, read_only: bool = False, wait_seconds: float | None = None
    ) -> DuckDBStore:
        """Open (creating if needed, unless read_only) the store file and bring its schema up to date.

        A store another process holds is waited for up to wait_seconds (default: the
        PARCELAUDIT_LOCK_TIMEOUT environment variable, else LOCK_TIMEOUT_SECONDS), then refused with a
        message naming the holder.
        """
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError("no store at this path", file=str(path), hint="ingest data first or pass --db")
        if path.is_dir():
            raise StoreError("this is a folder, not a store file", file=str(path), hint="pass --db FILE")
        if not read_only:
            _check_wal_writable(path)
        deadline = time.monotonic() + (lock_timeout() if wait_seconds is None else wait_seconds)
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.Error as error:
                if not _is_lock_conflict(error) or time.monotonic() >= deadline:
                    raise open_error(error, path, waited=_is_lock_conflict(error)) from error
                time.sleep(LOCK_POLL_SECONDS)
        store = cls(path, con)
        try:
            if not read_only:
                store.migrate()
            else:
                store.tables()
        except duckdb.Error as error:
            con.close()
            raise open_error(error, path) from error
        return store

    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back)."""
        self.con.close()

    def _begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        self.con.execute("ROLLBACK")

    def execute(self, sql: str, params: list | tuple | None = None) -> None:
        """Run one statement (or, without parameters, a script of several) for its effect."""
        self.con.execute(sql, params or None)

    def fetch(self, sql: str, params: list | tuple | None = None) -> list[tuple]:
        """Run a query and return every row as a tuple."""
        return self.con.execute(sql, params or None).fetchall()

    def query(self, sql: str, params: list | tuple | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table (without an extra copy)."""
        # DuckDB refuses a relation query while an execute() result is unread; settle it first.
        self.con.complete()
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def batches(
        self, sql: str, params: list | tuple | None = None, rows: int = BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in Arrow record batches of at most `rows` rows."""
        self.con.complete()
        yield from self.con.sql(sql, params=params or None).to_arrow_reader(rows)

    def insert(self, table: str, data: pa.Table, columns: list[str] | None = None) -> int:
        """Append Arrow rows to a table (columns: the table's columns they fill, default data's names)."""
        columns = columns or data.column_names
        names = ", ".join(f'"{c}"' for c in columns)
        with self.staged("_insert_rows", data, once=True):
            self.con.execute(
                f"INSERT INTO {table_name(table)} ({names}) SELECT {', '.join(data.column_names)} "
                "FROM _insert_rows"
            )
        return data.num_rows

    @contextmanager
    def staged(self, name: str, data: pa.Table, once: bool = False) -> Iterator[str]:
        """A temporary relation called name holding data (DuckDB reads the Arrow table in place).

        once: read by one statement only; it is then handed over as a stream of batches. A registered table
        stays alive until the transaction ends, even once unregistered (DuckDB 2.0), so a long transaction
        that stages a table per batch or partition (a check run, a large import) would hold every one of
        them; a stream's batches are released as they are read."""
        if once:
            data = pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
        self.con.register(table_name(name), data)
        try:
            yield name
        finally:
            self.con.unregister(name)

    def next_id(self, sequence: str) -> int:
        """The next value of a sequence."""
        return self.con.execute(f"SELECT nextval('{table_name(sequence)}')").fetchall()[0][0]

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Nothing to do: a DuckDB file has one writing process at a time (others wait to open it)."""
        yield

    def lock_until_commit(self, key: str) -> None:
        """Nothing to do: a DuckDB file has one writing process at a time."""

    def tables(self) -> list[str]:
        """The store's own tables, sorted."""
        return [
            row[0]
            for row in self.con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]

    def sequences(self) -> dict[str, int]:
        """The store's sequences and the value each would give next."""
        rows = self.con.execute(
            "SELECT sequence_name, last_value, start_value, increment_by FROM duckdb_sequences() "
            "WHERE database_name = current_database() AND schema_name = 'main' ORDER BY 1"
        ).fetchall()
        return {name: start if last is None else last + step for name, last, start, step in rows}

    def restart_sequence(self, sequence: str, next_value: int) -> None:
        """Make a sequence give next_value next (DuckDB cannot alter one: it is created anew)."""
        name = table_name(sequence)
        self.con.execute(f"DROP SEQUENCE {name}")
        self.con.execute(f"CREATE SEQUENCE {name} START {int(next_value)}")

    def verify(self) -> None:
        """Read every block of every table once, so that a corrupt file fails here (checksums) and not later."""
        for table in self.tables():
            self.con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchall()
