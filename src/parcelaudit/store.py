"""DuckDB persistence: opening the store file, versioned schema migrations, transactions, table reads."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from parcelaudit.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
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
    def open(cls, path: Path | str, *, read_only: bool = False, wait_seconds: float | None = None) -> Store:
        """Open (creating if needed, unless read_only) the store at path and bring its schema up to date.

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
                store.con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        except duckdb.Error as error:
            con.close()
            raise open_error(error, path) from error
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

    def verify(self) -> None:
        """Read every block of every table once, so that a corrupt file fails here (checksums) and not later."""
        for table in self.counts():
            self.con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchall()

    def counts(self) -> dict[str, int]:
        """Row counts of every user table in the store."""
        tables = [
            row[0]
            for row in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        return {table: self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
