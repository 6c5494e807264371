"""Storing imports: one file's validated rows written into the canonical tables, de-duplicated by the file's
SHA-256 and by each table's key, with every rejected record kept, all in one transaction.

Rows go straight into their canonical table, batch by batch, on a writer thread while the caller reads and
validates the next batch (pyarrow and DuckDB both release the GIL, so the two overlap on two cores).
Duplicate keys are rare, so they are resolved after the last batch: later rows of a repeated key, and
rows whose key an earlier import stored, are deleted again and become duplicates or rejects. A crash at
any point leaves the store as it was (the engine rolls back an uncommitted transaction). Re-importing the
same file, or the same rows in another file, stores nothing new.

`store_import` is the one place an import is stored: the file's SHA-256 is looked up again inside its
transaction, so that two imports of one file store it once (an engine that serves several writers holds
a lock on the SHA-256 there).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import pyarrow as pa

from parcelaudit.schema import Table
from parcelaudit.store.base import Store, utc_now
from parcelaudit.store.memory import capped_memory

# DuckDB's own memory during an import; past it, uncommitted data spills to disk.
IMPORT_MEMORY_LIMIT = "900MB"
# Fields added after stores already held rows: a null adds nothing to the hash (concat_ws skips NULL),
# so a row without them hashes as it did before they existed.
LATE_FIELDS = frozenset({"export_date"})


@dataclass(frozen=True)
class Target:
    """A canonical table one file feeds, and the fields the store computes after the load (line_no numbered
    in file order, declared_value summed from the lines)."""

    table: Table
    derived: frozenset[str] = frozenset()


class Batch(Protocol):
    """One validated batch: records read, per target its accepted rows (canonical columns + source_row) and
    its rejects (row_number, field, value, reason, raw), and the unplaced source columns of accepted rows
    (+ source_row) or None."""

    rows: int
    accepted: list[pa.Table]
    rejects: list[pa.Table]
    extras: pa.Table | None


class ValidatedSource(Protocol):
    """A file being read and validated: its batches in file order; then, once every batch is read, the
    records the parser could not split (row_number, text, reason, valid_before) and the mapping used (JSON)."""

    def batches(self) -> Iterator[Batch]: ...

    def malformed(self) -> pa.Table | None: ...

    def mapping_json(self) -> str: ...


@dataclass
class ImportRecord:
    """The file an import reads: path, SHA-256, format, and when the import started."""

    path: str
    sha256: str
    format: str
    started: datetime


@dataclass
class StoredImport:
    """What storing one import did: records read, per table (stored, duplicates), distinct rejected
    records, notes."""

    import_id: int
    tables: list[str]
    rows_read: int = 0
    stored: dict[str, tuple[int, int]] = field(default_factory=dict)
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    already_imported: bool = False


def _hash_text(table: Table, column: str, engine: str) -> str:
    """SQL for a column's text in the row hash, the same on every engine: DuckDB writes a whole DOUBLE as
    "100.0" where PostgreSQL writes "100" (and "1e+15" from 1e15), so on PostgreSQL a whole double below 1e16
    is written DuckDB's way; other values are the shortest round-trip text on both."""
    name = f'"{column}"'
    if engine == "postgresql" and pa.types.is_floating(table.field(column).type):
        return (
            f"CASE WHEN {name} = trunc({name}) AND abs({name}) < 1e16 "
            f"THEN CAST(CAST({name} AS BIGINT) AS VARCHAR) || '.0' ELSE CAST({name} AS VARCHAR) END"
        )
    return f"CAST({name} AS VARCHAR)"


def _hash_expression(table: Table, engine: str) -> str:
    # chr(1) stands for NULL so that (NULL, 'a') and ('a', NULL) hash differently. MD5 identifies
    # content (it is not a security boundary), is stable across versions and engines, and anyone can
    # recompute it.
    parts = ", ".join(
        _hash_text(table, c, engine)
        if c in LATE_FIELDS
        else f"coalesce({_hash_text(table, c, engine)}, chr(1))"
        for c in table.names
    )
    return f"md5(concat_ws(chr(31), {parts}))"


def _sql_text(text: str) -> str:
    return "'{}'".format(text.replace("'", "''"))


def _sql_name(text: str) -> str:
    return '"{}"'.format(text.replace('"', '""'))


# A JSON object from key, value, key, value...: DuckDB's json_object; PostgreSQL before 16 has no
# JSON_OBJECT(k: v) constructor, so it is spelt json_build_object there (formatted with spaces: the raw
# text of a reject differs between the engines, its content does not).
_JSON_OBJECT = {"duckdb": "json_object", "postgresql": "json_build_object"}


def _json_object(store: Store, pairs: str) -> str:
    """SQL for a JSON object of the given `'key', value, ...` pairs, as text, on the store's engine."""
    return f"CAST({_JSON_OBJECT.get(store.engine, 'json_object')}({pairs}) AS VARCHAR)"


def _json_row(store: Store, names: list[str], alias: str) -> str:
    """A row's canonical fields as a JSON object (the `raw` of a reject)."""
    return _json_object(store, ", ".join(f"{_sql_text(n)}, {alias}.{n}" for n in names))


def find_import(store: Store, sha256: str) -> tuple[int, list[str]] | None:
    """(import id, tables) of the first import of a file with this SHA-256, or None."""
    row = store.fetch_one(
        "SELECT import_id, tables FROM imports WHERE source_sha256 = ? ORDER BY import_id LIMIT 1", [sha256]
    )
    return (row[0], row[1].split(",")) if row else None


def store_import(
    store: Store, record: ImportRecord, targets: list[Target], source: ValidatedSource
) -> StoredImport:
    """Store one file's import in one transaction: its batches, then malformed records, line numbers,
    duplicates resolved, derived values, rejects and the import record. When another import of the same
    file was stored first, nothing is stored and that import is returned (already_imported)."""
    with capped_memory(store, IMPORT_MEMORY_LIMIT), store.transaction():
        previous = find_import(store, record.sha256)
        if previous is not None:
            return StoredImport(previous[0], previous[1], already_imported=True)
        job = _Scratch(store, store.next_id("import_id_seq"), targets)
        job.write_all(source.batches())
        job.add_malformed(source.malformed())
        job.number_lines()
        # Concurrent imports (PostgreSQL) de-duplicate one at a time, each seeing the keys the others committed.
        store.lock_until_commit("import:keys")
        stored = job.resolve_duplicates()
        job.derive_values()
        return job.finish(record, stored, source.mapping_json())


class _Scratch:
    """One import while its transaction is open: its scratch tables of rejects and excluded rows."""

    def __init__(self, store: Store, import_id: int, targets: list[Target]) -> None:
        self.store = store
        self.import_id = import_id
        self.targets = targets
        self.notes: list[str] = []
        self.rows_read = 0
        self.has_extras = False
        store.execute(
            f"CREATE TEMP TABLE {self._rejects} (row_number BIGINT, field VARCHAR, value VARCHAR, "
            "reason VARCHAR, raw VARCHAR)"
        )
        for target in targets:
            store.execute(f"CREATE TEMP TABLE {self._excluded(target)} (source_row BIGINT)")

    @property
    def _rejects(self) -> str:
        return f"_import_rejects_{self.import_id}"

    def _excluded(self, target: Target) -> str:
        return f"_import_excluded_{target.table.name}_{self.import_id}"

    def _own_rows(self, alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        return f"{prefix}import_id = {self.import_id}"

    def write_all(self, batches: Iterable[Batch]) -> None:
        """Write each batch on a writer thread while the next one is read and validated, in file order."""
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future | None = None
            try:
                for batch in batches:
                    if pending is not None:
                        pending.result()  # one writer at a time on the connection, in file order
                    pending = writer.submit(self.write, batch)
            finally:
                if pending is not None:
                    pending.result()

    def write(self, batch: Batch) -> None:
        """Insert a validated batch into the canonical tables (with hash, import and source row)."""
        store = self.store
        self.rows_read += batch.rows
        extras = batch.extras
        if extras is not None and extras.num_rows:
            self.has_extras = True
            pairs = ", ".join(
                f"{_sql_text(c)}, {_sql_name(c)}" for c in extras.column_names if c != "source_row"
            )
            with store.staged("_extras", extras, once=True):
                store.execute(
                    f"INSERT INTO source_extras SELECT {self.import_id}, source_row, "
                    f"{_json_object(store, pairs)} FROM _extras"
                )
        for target, good, rejects in zip(self.targets, batch.accepted, batch.rejects, strict=True):
            names = target.table.names
            with store.staged("_batch", good, once=True):
                store.execute(
                    f"INSERT INTO {target.table.name} ({', '.join(names)}, row_hash, import_id, source_row) "
                    f"SELECT {', '.join(names)}, {_hash_expression(target.table, store.engine)}, "
                    f"{self.import_id}, source_row "
                    "FROM _batch"
                )
            if rejects.num_rows:
                with store.staged("_rej", rejects, once=True):
                    store.execute(f"INSERT INTO {self._rejects} SELECT DISTINCT * FROM _rej")

    def add_malformed(self, rows: pa.Table | None) -> None:
        """Record the CSV records the parser skipped, and renumber the rows that came after them."""
        if rows is None or not rows.num_rows:
            return
        store = self.store
        with store.staged("_bad", rows):
            if all(number > 0 for number in rows["row_number"].to_pylist()):
                shift = "(SELECT count(*) FROM _bad WHERE _bad.valid_before <= {column} - 2)"
                for target in self.targets:
                    name = target.table.name
                    store.execute(
                        f"UPDATE {name} SET source_row = source_row + "
                        f"{shift.format(column=name + '.source_row')} WHERE {self._own_rows()}"
                    )
                store.execute(
                    f"UPDATE {self._rejects} SET row_number = row_number + "
                    f"{shift.format(column=self._rejects + '.row_number')}"
                )
            raw = _json_object(store, "'text', left(text, 2000)")
            store.execute(
                f"INSERT INTO {self._rejects} SELECT row_number, NULL, left(text, 200), "
                f"'malformed record: ' || reason || ' (check quoting and delimiters)', {raw} FROM _bad"
            )

    def resolve_duplicates(self) -> dict[str, tuple[int, int]]:
        """Remove this import's repeated and already-stored keys; returns table -> (stored, duplicates)."""
        store = self.store
        duplicates = {t.table.name: self._dedupe(t) for t in self.targets}
        if len(self.targets) == 2:
            # In a flat manifest a line whose shipment was rejected is rejected with it.
            store.execute(
                f"INSERT INTO {self._excluded(self.targets[1])} SELECT DISTINCT row_number "
                f"FROM {self._rejects} WHERE field = 'shipment_id'"
            )
        stored = {}
        for target in self.targets:
            table, excluded = target.table.name, self._excluded(target)
            if store.scalar(f"SELECT EXISTS (SELECT 1 FROM {excluded})"):
                store.execute(
                    f"DELETE FROM {table} WHERE {self._own_rows()} "
                    f"AND source_row IN (SELECT source_row FROM {excluded})"
                )
            count = store.scalar(f"SELECT count(*) FROM {table} WHERE {self._own_rows()}")
            stored[table] = (count, duplicates[table])
        if self.has_extras:
            primary = self.targets[-1].table.name
            store.execute(
                f"DELETE FROM source_extras WHERE import_id = {self.import_id} AND source_row NOT IN "
                f"(SELECT source_row FROM {primary} WHERE {self._own_rows()})"
            )
        return stored

    def _rehash(self, target: Target) -> None:
        table = target.table
        self.store.execute(
            f"UPDATE {table.name} SET row_hash = {_hash_expression(table, self.store.engine)} "
            f"WHERE {self._own_rows()}"
        )

    def _target(self, name: str, derived: str) -> Target | None:
        return next((t for t in self.targets if t.table.name == name and derived in t.derived), None)

    def number_lines(self) -> None:
        """Number the lines of each parcel 1, 2, ... in file order, where the file has no line numbers."""
        lines = self._target("lines", "line_no")
        if lines is None:
            return
        self.store.execute(
            f"""UPDATE lines SET line_no = t.n FROM
                (SELECT source_row, row_number() OVER (PARTITION BY shipment_id ORDER BY source_row) AS n
                 FROM lines WHERE {self._own_rows()}) t
                WHERE lines.source_row = t.source_row AND lines.{self._own_rows()}"""
        )
        self._rehash(lines)

    def derive_values(self) -> None:
        """Set each new shipment's declared_value to the sum of its line values, where the file gave none."""
        shipments = self._target("shipments", "declared_value")
        if shipments is None:
            return
        self.store.execute(
            f"""UPDATE shipments SET declared_value = t.total FROM
                (SELECT shipment_id, coalesce(sum(value), 0) AS total FROM lines
                 WHERE {self._own_rows()} GROUP BY shipment_id) t
                WHERE shipments.shipment_id = t.shipment_id AND shipments.{self._own_rows()}"""
        )
        self._rehash(shipments)
        self.notes.append(
            "declared_value of each shipment is the sum of its line values (no parcel value column)"
        )

    def _dedupe(self, target: Target) -> int:
        """Exclude later rows of a repeated key and rows whose key is already stored; returns duplicates."""
        store = self.store
        table, excluded = target.table.name, self._excluded(target)
        keys = list(target.table.key)
        key_list = ", ".join(keys)
        key_label = "+".join(keys)
        shown_key = " || '/' || ".join(f"CAST(s.{k} AS VARCHAR)" for k in keys)
        join = " AND ".join(f"s.{k} = o.{k}" for k in keys)
        columns = ", ".join(f"s.{name}" for name in target.table.names)
        raw = _json_row(store, target.table.names, "s")
        duplicates = 0
        own = f"(SELECT * FROM {table} WHERE {self._own_rows()})"
        repeated = store.scalar(
            f"SELECT count(*) FROM (SELECT 1 FROM {own} r GROUP BY {key_list} HAVING count(*) > 1) k"
        )
        if repeated:
            # A later row with the key of an earlier one: the same content is a repeat, other content a conflict.
            # (source_row is unique within one import's rows of a table.)
            later = f"_import_later_{table}_{self.import_id}"
            store.execute(f"""CREATE TEMP TABLE {later} AS
                SELECT {columns}, s.source_row, s.row_hash = f.row_hash AS same, o.first_row FROM {own} s
                JOIN (SELECT {key_list}, min(source_row) AS first_row FROM {own} r
                      GROUP BY {key_list} HAVING count(*) > 1) o ON {join}
                JOIN {own} f ON f.source_row = o.first_row
                WHERE s.source_row > o.first_row""")
            store.execute(f"""INSERT INTO {self._rejects}
                SELECT source_row, '{key_label}', {shown_key},
                       'duplicate {key_label}: row ' || first_row || ' has the same key with different content '
                       || '(keep one row per key, or give this row its own key)', {raw}
                FROM {later} s WHERE NOT same""")
            duplicates += store.scalar(f"SELECT count(*) FROM {later} WHERE same")
            store.execute(f"INSERT INTO {excluded} SELECT source_row FROM {later}")
            store.execute(f"DROP TABLE {later}")
        earlier = f"(SELECT * FROM {table} WHERE NOT {self._own_rows()})"
        if store.scalar(f"SELECT EXISTS {earlier}"):
            # This import's keys first, in a table of their own: its exact size makes the engine build the
            # join's hash table on them and probe the stored rows (DuckDB then skips the stored row groups
            # outside the new keys' range). Joined with the stored rows directly, both sides were estimates
            # of one table, and DuckDB built on the whole stored table: 3-5 s a table for 10,000 new rows on
            # a 1,000,000-parcel store (EXPLAIN ANALYZE, issue 16).
            new_keys = f"_import_keys_{table}_{self.import_id}"
            store.execute(f"""CREATE TEMP TABLE {new_keys} AS
                SELECT {", ".join(f"s.{k}" for k in keys)}, s.source_row, s.row_hash FROM {own} s
                WHERE NOT EXISTS (SELECT 1 FROM {excluded} x WHERE x.source_row = s.source_row)""")
            clash = f"_import_clash_{table}_{self.import_id}"
            store.execute(f"""CREATE TEMP TABLE {clash} AS
                SELECT {columns}, s.source_row, m.same, m.stored_by FROM
                  (SELECT s.source_row, s.row_hash = o.row_hash AS same, o.import_id AS stored_by
                   FROM {new_keys} s JOIN {table} o ON {join} WHERE NOT o.{self._own_rows()}) m
                JOIN {own} s ON s.source_row = m.source_row""")
            store.execute(f"DROP TABLE {new_keys}")
            store.execute(f"""INSERT INTO {self._rejects}
                SELECT source_row, '{key_label}', {shown_key},
                       'this {key_label} is already stored with different content (import ' || stored_by
                       || '); stored rows are never overwritten: give the corrected record its own key',
                       {raw}
                FROM {clash} s WHERE NOT same""")
            duplicates += store.scalar(f"SELECT count(*) FROM {clash} WHERE same")
            store.execute(f"INSERT INTO {excluded} SELECT source_row FROM {clash}")
            store.execute(f"DROP TABLE {clash}")
        return duplicates

    def finish(
        self, record: ImportRecord, stored: dict[str, tuple[int, int]], mapping_json: str
    ) -> StoredImport:
        """Persist the rejects and the import record, drop the scratch tables, and summarise."""
        store = self.store
        store.execute(
            f"INSERT INTO rejects SELECT {self.import_id}, ?, row_number, field, value, reason, raw "
            f"FROM {self._rejects} ORDER BY row_number",
            [record.path],
        )
        rejected = store.scalar(f"SELECT count(DISTINCT row_number) FROM {self._rejects}")
        tables = [t.table.name for t in self.targets]
        # One source record per row of the last table: the line in a flat manifest, else the only table.
        duplicates = stored[tables[-1]][1]
        store.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.import_id,
                record.path,
                record.sha256,
                record.format,
                ",".join(tables),
                record.started,
                utc_now(),
                self.rows_read,
                sum(c[0] for c in stored.values()),
                duplicates,
                rejected,
                mapping_json,
            ],
        )
        for target in self.targets:
            store.execute(f"DROP TABLE {self._excluded(target)}")
        store.execute(f"DROP TABLE {self._rejects}")
        return StoredImport(self.import_id, tables, self.rows_read, stored, rejected, self.notes)


def import_rejects(store: Store, import_id: int) -> pa.Table:
    """One import's rejects: file, row, field, value, reason, raw, in row order."""
    return store.query(
        "SELECT source_path AS file, row_number AS row, field, value, reason, raw FROM rejects "
        "WHERE import_id = ? ORDER BY row_number, field",
        [import_id],
    )


def arrival_range(store: Store) -> tuple[date | None, date | None]:
    """The first and last arrival date of the stored shipments."""
    return store.fetch_one("SELECT min(arrival_date), max(arrival_date) FROM shipments")


def recent_imports(store: Store, limit: int = 10) -> list[tuple]:
    """The latest imports: id, file, finished, rows read, shipments and lines still stored, duplicates, rejected."""
    return store.fetch(
        """SELECT i.import_id, i.source_path, i.finished_at, i.rows_read,
                  (SELECT count(*) FROM shipments s WHERE s.import_id = i.import_id),
                  (SELECT count(*) FROM lines l WHERE l.import_id = i.import_id),
                  i.rows_duplicate, i.rows_rejected
           FROM imports i ORDER BY i.import_id DESC LIMIT ?""",
        [limit],
    )
