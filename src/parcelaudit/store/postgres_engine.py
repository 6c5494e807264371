"""The server engine: a store in a PostgreSQL database (one schema per store), for teams sharing one store.

A store is named by a URL: postgresql://[user[:password]@]host[:port]/database[?schema=NAME&...]. `schema`
(default `public`) is the PostgreSQL schema holding the store's tables, so one database can hold several
stores; it is created on first use. Every other query parameter is handed to libpq as is.

House SQL (DuckDB's dialect, `?` placeholders) is translated with sqlglot (parcelaudit.store.dialect). Rows
travel by COPY in PostgreSQL's CSV form, read and written by pyarrow (parcelaudit.store.pg_arrow). Many
processes may use one store at once: PostgreSQL isolates their transactions, and `lock(key)` is an
advisory lock that excludes across processes (migrations take one, so two processes migrating at once
apply each migration once).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import IO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pyarrow as pa
from psycopg import sql as pgsql

from parcelaudit.errors import InputError, StoreError
from parcelaudit.store.base import BATCH_ROWS, Store, table_name
from parcelaudit.store.dialect import Translated, to_postgres
from parcelaudit.store.duckdb_engine import lock_timeout
from parcelaudit.store.pg_arrow import (
    column_definitions,
    csv_chunks,
    read_csv,
    read_csv_batches,
    result_shape,
)

DEFAULT_SCHEMA = "public"
CONNECT_TIMEOUT_SECONDS = 10
_SPOOL_BYTES = 64 << 20  # a batches() result larger than this waits in a temporary file, not in memory


def split_url(url: str) -> tuple[str, str, str, str]:
    """(libpq connection URL without our `schema` and `options` parameters, schema, the URL's own libpq
    options (kept, ours are added after them), URL to show with the password hidden)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not schema or not _plain_identifier(schema):
        raise StoreError(
            f"schema {schema!r} is not a plain lower-case name",
            file=hide_password(url),
            hint="use ?schema=NAME with letters, digits and underscores",
        )
    options = " ".join(value for key, value in query if key == "options")
    rest = urlencode([(key, value) for key, value in query if key not in ("schema", "options")])
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, ""))
    return conninfo, schema, options, hide_password(url)


def _plain_identifier(name: str) -> bool:
    try:
        table_name(name)
    except StoreError:
        return False
    return True


def hide_password(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class NoRawConnection(StoreError, AttributeError):
    """Code asked a PostgreSQL store for `con`, the DuckDB engine's raw connection (hasattr gives False)."""


class _NumericLoader(psycopg.adapt.Loader):
    """NUMERIC values as DuckDB gives them to Python: a whole number (a sum of integers) as int, else Decimal."""

    def load(self, data) -> int | Decimal:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)


def lock_number(schema: str, key: str) -> int:
    """The advisory lock number for key in a schema's store (64 bits of its SHA-256, signed)."""
    digest = hashlib.sha256(f"parcelaudit:{schema}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore(Store):
    """A store in one schema of a PostgreSQL database: concurrent readers and writers, advisory locks."""

    engine = "postgresql"

    def __init__(self, location: str, schema: str, connection: psycopg.Connection, read_only: bool) -> None:
        super().__init__(location)
        self.schema = schema
        self.read_only = read_only
        self._connection = connection
        self._unlock_after_rollback: list[int] = []

    @property
    def con(self):
        """Not available: only the DuckDB engine has a raw connection (use the Store methods)."""
        raise NoRawConnection(
            "this code runs DuckDB SQL on store.con, which a PostgreSQL store does not have",
            file=self.location,
            hint="the stage has not been moved onto the Store methods yet; use a DuckDB store for it",
        )

    @classmethod
    def connect(
        cls, url: str, *, read_only: bool = False, wait_seconds: float | None = None
    ) -> PostgresStore:
        """Connect to the store at url (creating its schema and tables, unless read_only) and bring its
        schema up to date. A lock another process holds is waited for up to wait_seconds (default: the
        PARCELAUDIT_LOCK_TIMEOUT environment variable, else 30 s)."""
        conninfo, schema, own_options, shown = split_url(url)
        wait = lock_timeout() if wait_seconds is None else wait_seconds
        options = f"{own_options} -c search_path={schema} -c TimeZone=UTC -c lock_timeout={int(wait * 1000)}"
        if read_only:
            options += " -c default_transaction_read_only=on"
        try:
            connection = psycopg.connect(
                conninfo,
                autocommit=True,
                cursor_factory=psycopg.ClientCursor,
                options=options,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
            )
        except psycopg.Error as error:
            raise _unreachable(error, shown) from error
        connection.adapters.register_loader("numeric", _NumericLoader)
        store = cls(shown, schema, connection, read_only)
        try:
            if read_only:
                if "schema_migrations" not in store.tables():
                    raise StoreError(
                        f"no store in schema {schema!r} of this database",
                        file=shown,
                        hint="ingest data first, or pass the right --db (and ?schema=)",
                    )
            else:
                with store.lock("schema_migrations"):
                    if not store.fetch("SELECT 1 FROM pg_namespace WHERE nspname = ?", [schema]):
                        store.execute(f'CREATE SCHEMA "{schema}"')
                store.migrate()
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back)."""
        self._connection.close()

    def _begin(self) -> None:
        self._run("BEGIN")

    def _commit(self) -> None:
        self._run("COMMIT")

    def _rollback(self) -> None:
        if not self._connection.closed:
            self._run("ROLLBACK")
            while self._unlock_after_rollback:
                self._run("SELECT pg_advisory_unlock(%s)", [self._unlock_after_rollback.pop()]).close()

    def _usable(self) -> bool:
        """True when statements can run now: connected, and not inside a transaction a failure aborted."""
        status = self._connection.info.transaction_status
        return not self._connection.closed and status != psycopg.pq.TransactionStatus.INERROR

    def _run(self, text: str, params: list | tuple | None = None) -> psycopg.Cursor:
        """Run PostgreSQL text (already translated) on a new cursor; a failure is a StoreError."""
        for value in params or ():
            if isinstance(value, str) and "\x00" in value:
                raise InputError(
                    "text with a NUL character (\\x00) cannot be stored in a PostgreSQL store",
                    file=self.location,
                    hint="remove NUL characters from the value (PostgreSQL text cannot hold them)",
                )
        cursor = self._connection.cursor()
        try:
            cursor.execute(text, params or None)
        except psycopg.errors.LockNotAvailable as error:
            raise StoreError(
                "the store is busy: a lock another process holds was not released in time",
                file=self.location,
                hint="let that command finish, or set PARCELAUDIT_LOCK_TIMEOUT to wait longer",
            ) from error
        return cursor

    def _one(self, sql: str) -> Translated:
        statements = to_postgres(sql)
        if len(statements) != 1:
            raise StoreError(f"expected one SQL statement, got {len(statements)}: {sql[:80]!r}")
        return statements[0]

    def execute(self, sql: str, params: list | tuple | None = None) -> None:
        """Run one statement (or, without parameters, a script of several) for its effect."""
        statements = to_postgres(sql)
        if params and len(statements) != 1:
            raise StoreError(f"parameters go with one statement, got {len(statements)}: {sql[:80]!r}")
        for statement in statements:
            self._run(statement.text(params), params).close()

    def fetch(self, sql: str, params: list | tuple | None = None) -> list[tuple]:
        """Run a query and return every row as a tuple."""
        with self._run(self._one(sql).text(params), params) as cursor:
            return cursor.fetchall() if cursor.description else []

    def _copy_text(self, statement: Translated, params: list | tuple | None):
        """The COPY statement streaming a query's rows as CSV, and the result's shape."""
        text = statement.text(params)
        with self._run(f"SELECT * FROM ({text}) AS q LIMIT 0", params) as cursor:
            shape = result_shape(cursor.description)
            literal = cursor.mogrify(text, params) if params else text
        aliases = ", ".join(f"c{i}" for i in range(len(shape.names)))
        copy = f"COPY (SELECT {shape.select} FROM ({literal}) AS q({aliases})) TO STDOUT (FORMAT csv)"
        return copy, shape

    def query(self, sql: str, params: list | tuple | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table (streamed by COPY, parsed by pyarrow)."""
        statement = self._one(sql)
        if not statement.is_query:
            with self._run(statement.text(params), params) as cursor:
                return _rows_table(cursor)
        copy_text, shape = self._copy_text(statement, params)
        with self._spooled(copy_text) as spool:
            return read_csv(spool, shape)

    def batches(
        self, sql: str, params: list | tuple | None = None, rows: int = BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in Arrow record batches of at most `rows` rows.

        The server streams the whole result first (COPY) into a spool (memory, then a temporary file past
        64 MB), so memory stays bounded and the connection is free for other statements between batches.
        """
        statement = self._one(sql)
        if not statement.is_query:
            yield from self.query(sql, params).to_batches(max_chunksize=rows)
            return
        copy_text, shape = self._copy_text(statement, params)
        with self._spooled(copy_text) as spool:
            yield from read_csv_batches(spool, shape, rows)

    @contextmanager
    def _spooled(self, copy_text: str) -> Iterator[IO[bytes]]:
        """The whole CSV a COPY ... TO STDOUT gives, in memory up to 64 MB and in a temporary file past it."""
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            with self._connection.cursor() as cursor, cursor.copy(copy_text) as copy:
                for chunk in copy:
                    spool.write(chunk)
            spool.seek(0)
            yield spool

    def insert(self, table: str, data: pa.Table, columns: list[str] | None = None) -> int:
        """Append Arrow rows to a table by COPY (columns: the table's columns they fill, default data's names)."""
        columns = columns or data.column_names
        if len(columns) != data.num_columns:
            raise StoreError(f"{len(columns)} column names for {data.num_columns} columns of data")
        target = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            pgsql.Identifier(table_name(table)), pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
        )
        with self._connection.cursor() as cursor, cursor.copy(target) as copy:
            for chunk in csv_chunks(data, table):
                copy.write(chunk)
        return data.num_rows

    @contextmanager
    def staged(self, name: str, data: pa.Table, once: bool = False) -> Iterator[str]:
        """A temporary table called name holding data (created, filled by COPY, dropped after the block).

        A read-only store may stage data too: outside a transaction, the temporary table is made in a
        transaction of its own that may write (temporary tables only live in this session)."""
        name = table_name(name)
        with self._writable_scratch():
            # One left by a block a failed transaction ended before it could drop it goes first.
            self._run(f'DROP TABLE IF EXISTS pg_temp."{name}"').close()
            self._run(f'CREATE TEMP TABLE "{name}" ({column_definitions(data.schema)})').close()
            self.insert(name, data)
        try:
            yield name
        finally:
            if self._usable():  # else the rollback to come drops it, or the next staged() of its name
                with self._writable_scratch():
                    self._run(f'DROP TABLE IF EXISTS pg_temp."{name}"').close()

    @contextmanager
    def _writable_scratch(self) -> Iterator[None]:
        if not self.read_only or self._depth:
            yield
            return
        self._run("BEGIN READ WRITE").close()
        try:
            yield
        except BaseException:
            self._run("ROLLBACK").close()
            raise
        self._run("COMMIT").close()

    def next_id(self, sequence: str) -> int:
        """The next value of a sequence."""
        return self.fetch(f"SELECT nextval('{table_name(sequence)}')")[0][0]

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """An advisory lock on key (within this store's schema), excluding other processes until the block ends.

        Waits up to the connection's lock timeout (PARCELAUDIT_LOCK_TIMEOUT, else 30 s), then raises StoreError.
        """
        number = lock_number(self.schema, key)
        self._run("SELECT pg_advisory_lock(%s)", [number]).close()
        try:
            yield
        finally:
            if self._usable():
                self._run("SELECT pg_advisory_unlock(%s)", [number]).close()
            elif not self._connection.closed:  # a failed transaction: unlock once it is rolled back
                self._unlock_after_rollback.append(number)

    def lock_until_commit(self, key: str) -> None:
        """Inside a transaction: an advisory lock on key held until it ends (pg_advisory_xact_lock)."""
        if not self._depth:
            raise StoreError("lock_until_commit needs an open transaction (store.transaction())")
        self._run("SELECT pg_advisory_xact_lock(%s)", [lock_number(self.schema, key)]).close()

    def tables(self) -> list[str]:
        """The store's own tables (those of its schema), sorted."""
        with self._run(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE' ORDER BY table_name",
            [self.schema],
        ) as cursor:
            return [row[0] for row in cursor.fetchall()]

    def sequences(self) -> dict[str, int]:
        """The store's sequences (those of its schema) and the value each would give next."""
        with self._run(
            "SELECT sequencename, increment_by FROM pg_sequences WHERE schemaname = %s ORDER BY 1",
            [self.schema],
        ) as cursor:
            steps = cursor.fetchall()
        found = {}
        for name, step in steps:
            with self._run(f'SELECT last_value, is_called FROM "{table_name(name)}"') as cursor:
                last, called = cursor.fetchone()
            found[name] = last + step if called else last
        return found

    def restart_sequence(self, sequence: str, next_value: int) -> None:
        """Make a sequence give next_value next."""
        self._run("SELECT setval(%s, %s, false)", [table_name(sequence), int(next_value)]).close()

    def _run_script(self, sql: str, native: bool = False) -> None:
        """Run a migration file: a NNNN_name.postgresql.sql file as written (functions, triggers), a portable one
        statement by statement, translated to PostgreSQL."""
        if native:
            self._run(sql).close()
            return
        for statement in to_postgres(sql):
            self._run(statement.without_params).close()


def schema_has_store(url: str) -> bool:
    """True when the schema the URL names holds a store (its migrations table); StoreError when the server
    does not answer."""
    conninfo, schema, _, shown = split_url(url)
    try:
        with psycopg.connect(
            conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True
        ) as connection:
            found = connection.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = 'schema_migrations'",
                [schema],
            ).fetchone()
    except psycopg.Error as error:
        raise _unreachable(error, shown) from error
    return found is not None


def _rows_table(cursor: psycopg.Cursor) -> pa.Table:
    """A statement's returned rows (e.g. INSERT ... RETURNING) as Arrow, typed like a query's."""
    if not cursor.description:
        return pa.table({})
    shape = result_shape(cursor.description)
    rows = cursor.fetchall()
    columns = [pa.array([row[i] for row in rows], type=field.type) for i, field in enumerate(shape.schema)]
    return pa.Table.from_arrays(columns, names=shape.names)


def server_failure(error: BaseException, target: object = None) -> StoreError | None:
    """A one-line StoreError for a PostgreSQL failure that is the server's or the store's state (connection
    lost, disk full, read-only, no permission), else None."""
    if not isinstance(error, psycopg.Error):
        return None
    shown = hide_password(str(target)) if target is not None else None
    text = _first_line(error)
    if isinstance(error, psycopg.errors.DiskFull):
        return StoreError(
            f"the database server's disk is full: {text}", file=shown, hint="free space on the server"
        )
    if isinstance(error, psycopg.errors.ReadOnlySqlTransaction):
        return StoreError(
            "the store was opened read-only", file=shown, hint="this is a bug: please report it"
        )
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return StoreError(
            f"the database user may not do this: {text}",
            file=shown,
            hint="grant the user rights on the schema",
        )
    if isinstance(error, psycopg.OperationalError):
        return StoreError(
            f"the PostgreSQL connection failed: {text}",
            file=shown,
            hint="check that the server is running and reachable, then run the command again",
        )
    return None


def _unreachable(error: Exception, shown: str) -> StoreError:
    return StoreError(
        f"cannot connect to PostgreSQL: {_first_line(error)}",
        file=shown,
        hint="check the URL in --db / PARCELAUDIT_DB and that the server is running",
    )


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
