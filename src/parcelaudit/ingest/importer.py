"""Import one file into the store: stream, validate, de-duplicate by content hash, all in one transaction.

Rows go straight into their canonical table, batch by batch, while the next batch is being read and
validated on the main thread (pyarrow and DuckDB both release the GIL, so the two overlap on two cores).
Duplicate keys are rare, so they are resolved after the last batch: later rows of a repeated key, and
rows whose key an earlier import stored, are deleted again and become duplicates or rejects. A crash at
any point leaves the store as it was (DuckDB rolls back an uncommitted transaction on the next open).
Re-importing the same file, or the same rows in another file, stores nothing new. Every rejected
record is kept in the `rejects` table and a rejects CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.csv_safety import write_table
from parcelaudit.ingest.mapping import (
    ColumnMap,
    TableMapping,
    plan_tables,
    require_columns,
    unplaced_columns,
)
from parcelaudit.ingest.readers import SourceInfo, inspect_source, read_batches
from parcelaudit.ingest.validate import choose_date_format, validate_batch
from parcelaudit.store import Store, utc_now

ProgressCallback = Callable[[int], None]
# DuckDB's own memory during an import; past it, uncommitted data spills to disk.
IMPORT_MEMORY_LIMIT = "900MB"


@dataclass
class ImportResult:
    """What one import did: counts per outcome and where its rejects went."""

    path: Path
    import_id: int | None
    tables: list[str]
    rows_read: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    already_imported: bool = False
    stored_by_table: dict[str, int] = field(default_factory=dict)
    rejects_path: Path | None = None
    format: str = ""
    notes: list[str] = field(default_factory=list)  # what was assumed: date formats, extras kept
    unplaced: list[str] = field(default_factory=list)  # source columns kept in source_extras

    @property
    def shipments_stored(self) -> int:
        """Shipments this import stored (0 when the file fed no shipments)."""
        return self.stored_by_table.get("shipments", 0)

    @property
    def lines_stored(self) -> int:
        """Lines this import stored (0 when the file fed no lines)."""
        return self.stored_by_table.get("lines", 0)


# Fields added after stores already held rows: a null adds nothing to the hash (concat_ws skips NULL),
# so a row without them hashes as it did before they existed.
LATE_FIELDS = frozenset({"export_date"})


def _hash_expression(columns: list[str]) -> str:
    # chr(1) stands for NULL so that (NULL, 'a') and ('a', NULL) hash differently. MD5 identifies
    # content (it is not a security boundary), is stable across versions, and anyone can recompute it.
    parts = ", ".join(
        f'CAST("{c}" AS VARCHAR)' if c in LATE_FIELDS else f'coalesce(CAST("{c}" AS VARCHAR), chr(1))'
        for c in columns
    )
    return f"md5(concat_ws(chr(31), {parts}))"


def _sql_text(text: str) -> str:
    return "'{}'".format(text.replace("'", "''"))


def _sql_name(text: str) -> str:
    return '"{}"'.format(text.replace('"', '""'))


class _Import:
    """The state of one import while its transaction is open."""

    def __init__(
        self,
        store: Store,
        info: SourceInfo,
        mappings: list[TableMapping],
        import_id: int,
        unplaced: list[str] | None = None,
    ) -> None:
        self.con = store.con
        self.info = info
        self.mappings = mappings
        self.import_id = import_id
        self.rows_read = 0
        self.unplaced = unplaced or []
        self.notes: list[str] = []
        self._formats_chosen = False
        self.con.execute(
            f"CREATE TEMP TABLE {self._rejects} (row_number BIGINT, field VARCHAR, value VARCHAR, "
            "reason VARCHAR, raw VARCHAR)"
        )
        for mapping in mappings:
            self.con.execute(f"CREATE TEMP TABLE {self._excluded(mapping)} (source_row BIGINT)")

    @property
    def _rejects(self) -> str:
        return f"_import_rejects_{self.import_id}"

    def _excluded(self, mapping: TableMapping) -> str:
        return f"_import_excluded_{mapping.table.name}_{self.import_id}"

    def _own_rows(self, alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        return f"{prefix}import_id = {self.import_id}"

    def choose_date_formats(self, raw: pa.Table) -> None:
        """Decide, on the first batch, the format of every date column the user gave no format for."""
        self._formats_chosen = True
        chosen: dict[str, tuple[str | None, str | None]] = {}
        updated = []
        for mapping in self.mappings:
            formats = dict(mapping.date_formats)
            for spec in mapping.table.fields:
                source = mapping.columns.get(spec.name)
                if spec.kind != "date" or not source or spec.name in formats:
                    continue
                if source not in chosen:
                    values = pc.unique(raw[source].combine_chunks().drop_null()).to_pylist()
                    chosen[source] = choose_date_format(values, source, str(self.info.path))
                    if chosen[source][1]:
                        self.notes.append(chosen[source][1])
                if chosen[source][0]:
                    formats[spec.name] = chosen[source][0]
            updated.append(replace(mapping, date_formats=formats))
        self.mappings = updated

    def validate(
        self, raw: pa.Table, first_row: int
    ) -> tuple[list[tuple[TableMapping, pa.Table, pa.Table]], pa.Table | None]:
        """Validate a batch for every table the file feeds: (mapping, good rows, rejects) each, and extras."""
        if not self._formats_chosen:
            self.choose_date_formats(raw)
        self.rows_read += raw.num_rows
        results = [validate_batch(raw, mapping, first_row) for mapping in self.mappings]
        ok = results[0].ok_mask
        for result in results[1:]:
            ok = pc.and_(ok, result.ok_mask)
        extras = None
        if self.unplaced:
            present = [c for c in self.unplaced if c in raw.column_names]
            extras = raw.select(present).append_column("source_row", results[0].rows["source_row"]).filter(ok)
        return [
            (m, r.rows.filter(ok), r.rejects) for m, r in zip(self.mappings, results, strict=True)
        ], extras

    def write(self, validated: tuple[list[tuple[TableMapping, pa.Table, pa.Table]], pa.Table | None]) -> None:
        """Insert a validated batch into the canonical tables (with hash, import and source row)."""
        tables, extras = validated
        if extras is not None and extras.num_rows:
            pairs = ", ".join(
                f"{_sql_text(c)}, {_sql_name(c)}" for c in extras.column_names if c != "source_row"
            )
            self.con.register("_extras", extras)
            self.con.execute(
                f"INSERT INTO source_extras SELECT {self.import_id}, source_row, "
                f"CAST(json_object({pairs}) AS VARCHAR) FROM _extras"
            )
            self.con.unregister("_extras")
        for mapping, good, rejects in tables:
            names = mapping.table.names
            self.con.register("_batch", good)
            self.con.execute(
                f"INSERT INTO {mapping.table.name} ({', '.join(names)}, row_hash, import_id, source_row) "
                f"SELECT {', '.join(names)}, {_hash_expression(names)}, {self.import_id}, source_row FROM _batch"
            )
            self.con.unregister("_batch")
            if rejects.num_rows:
                self.con.register("_rej", rejects)
                self.con.execute(f"INSERT INTO {self._rejects} SELECT DISTINCT * FROM _rej")
                self.con.unregister("_rej")

    def add_malformed(self) -> None:
        """Record the CSV records the parser skipped, and renumber the rows that came after them."""
        if not self.info.malformed:
            return
        rows = pa.table(
            {
                "row_number": [r for r, _, _ in self.info.malformed],
                "text": [t for _, t, _ in self.info.malformed],
                "reason": [why for _, _, why in self.info.malformed],
            }
        )
        rows = rows.append_column(
            "valid_before",
            pc.subtract(pc.subtract(rows["row_number"], 2), pa.array(range(rows.num_rows), pa.int64())),
        )
        self.con.register("_bad", rows)
        if all(number > 0 for number in rows["row_number"].to_pylist()):
            shift = "(SELECT count(*) FROM _bad WHERE _bad.valid_before <= {column} - 2)"
            for mapping in self.mappings:
                self.con.execute(
                    f"UPDATE {mapping.table.name} SET source_row = source_row + "
                    f"{shift.format(column=mapping.table.name + '.source_row')} WHERE {self._own_rows()}"
                )
            self.con.execute(
                f"UPDATE {self._rejects} SET row_number = row_number + "
                f"{shift.format(column=self._rejects + '.row_number')}"
            )
        self.con.execute(
            f"INSERT INTO {self._rejects} SELECT row_number, NULL, left(text, 200), "
            f"'malformed record: ' || reason || ' (check quoting and delimiters)', "
            f"to_json({{'text': left(text, 2000)}}) FROM _bad"
        )
        self.con.unregister("_bad")

    def resolve_duplicates(self) -> dict[str, tuple[int, int]]:
        """Remove this import's repeated and already-stored keys; returns table -> (stored, duplicates)."""
        duplicates = {m.table.name: self._dedupe(m) for m in self.mappings}
        if len(self.mappings) == 2:
            # In a flat manifest a line whose shipment was rejected is rejected with it.
            self.con.execute(
                f"INSERT INTO {self._excluded(self.mappings[1])} SELECT DISTINCT row_number "
                f"FROM {self._rejects} WHERE field = 'shipment_id'"
            )
        stored = {}
        for mapping in self.mappings:
            table, excluded = mapping.table.name, self._excluded(mapping)
            if self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {excluded})").fetchall()[0][0]:
                self.con.execute(
                    f"DELETE FROM {table} WHERE {self._own_rows()} "
                    f"AND source_row IN (SELECT source_row FROM {excluded})"
                )
            count = self.con.execute(f"SELECT count(*) FROM {table} WHERE {self._own_rows()}").fetchall()[0][
                0
            ]
            stored[table] = (count, duplicates[table])
        if self.unplaced:
            primary = self.mappings[-1].table.name
            self.con.execute(
                f"DELETE FROM source_extras WHERE import_id = {self.import_id} AND source_row NOT IN "
                f"(SELECT source_row FROM {primary} WHERE {self._own_rows()})"
            )
        return stored

    def _rehash(self, mapping: TableMapping) -> None:
        table = mapping.table
        self.con.execute(
            f"UPDATE {table.name} SET row_hash = {_hash_expression(table.names)} WHERE {self._own_rows()}"
        )

    def number_lines(self) -> None:
        """Number the lines of each parcel 1, 2, ... in file order, where the file has no line numbers."""
        lines = next((m for m in self.mappings if m.table.name == "lines"), None)
        if lines is None or "line_no" not in lines.derived:
            return
        self.con.execute(
            f"""UPDATE lines SET line_no = t.n FROM
                (SELECT source_row, row_number() OVER (PARTITION BY shipment_id ORDER BY source_row) AS n
                 FROM lines WHERE {self._own_rows()}) t
                WHERE lines.source_row = t.source_row AND lines.{self._own_rows()}"""
        )
        self._rehash(lines)

    def derive_values(self) -> None:
        """Set each new shipment's declared_value to the sum of its line values, where the file gave none."""
        shipments = next((m for m in self.mappings if m.table.name == "shipments"), None)
        if shipments is None or "declared_value" not in shipments.derived:
            return
        self.con.execute(
            f"""UPDATE shipments SET declared_value = t.total FROM
                (SELECT shipment_id, coalesce(sum(value), 0) AS total FROM lines
                 WHERE {self._own_rows()} GROUP BY shipment_id) t
                WHERE shipments.shipment_id = t.shipment_id AND shipments.{self._own_rows()}"""
        )
        self._rehash(shipments)
        self.notes.append(
            "declared_value of each shipment is the sum of its line values (no parcel value column)"
        )

    def _dedupe(self, mapping: TableMapping) -> int:
        """Exclude later rows of a repeated key and rows whose key is already stored; returns duplicates."""
        target, excluded = mapping.table.name, self._excluded(mapping)
        keys = list(mapping.table.key)
        key_list = ", ".join(keys)
        key_label = "+".join(keys)
        shown_key = " || '/' || ".join(f"CAST(s.{k} AS VARCHAR)" for k in keys)
        join = " AND ".join(f"s.{k} = o.{k}" for k in keys)
        columns = ", ".join(f"s.{name}" for name in mapping.table.names)
        raw = f"to_json(struct_pack({', '.join(f'{n} := s.{n}' for n in mapping.table.names)}))"
        con = self.con
        duplicates = 0
        own = f"(SELECT * FROM {target} WHERE {self._own_rows()})"
        repeated = con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {own} GROUP BY {key_list} HAVING count(*) > 1)"
        ).fetchall()[0][0]
        if repeated:
            # A later row with the key of an earlier one: the same content is a repeat, other content a conflict.
            later = f"_import_later_{target}_{self.import_id}"
            con.execute(f"""CREATE TEMP TABLE {later} AS
                SELECT {columns}, s.source_row, s.row_hash = o.first_hash AS same, o.first_row FROM {own} s
                JOIN (SELECT {key_list}, min(source_row) AS first_row, arg_min(row_hash, source_row) AS first_hash
                      FROM {own} GROUP BY {key_list} HAVING count(*) > 1) o ON {join}
                WHERE s.source_row > o.first_row""")
            con.execute(f"""INSERT INTO {self._rejects}
                SELECT source_row, '{key_label}', {shown_key},
                       'duplicate {key_label}: row ' || first_row || ' has the same key with different content '
                       || '(keep one row per key, or give this row its own key)', {raw}
                FROM {later} s WHERE NOT same""")
            duplicates += con.execute(f"SELECT count(*) FROM {later} WHERE same").fetchall()[0][0]
            con.execute(f"INSERT INTO {excluded} SELECT source_row FROM {later}")
            con.execute(f"DROP TABLE {later}")
        earlier = f"(SELECT * FROM {target} WHERE NOT {self._own_rows()})"
        if con.execute(f"SELECT EXISTS {earlier}").fetchall()[0][0]:
            clash = f"_import_clash_{target}_{self.import_id}"
            con.execute(f"""CREATE TEMP TABLE {clash} AS
                SELECT {columns}, s.source_row, s.row_hash = o.row_hash AS same, o.import_id AS stored_by
                FROM {own} s JOIN {earlier} o ON {join}
                WHERE s.source_row NOT IN (SELECT source_row FROM {excluded})""")
            con.execute(f"""INSERT INTO {self._rejects}
                SELECT source_row, '{key_label}', {shown_key},
                       'this {key_label} is already stored with different content (import ' || stored_by
                       || '); stored rows are never overwritten: give the corrected record its own key', {raw}
                FROM {clash} s WHERE NOT same""")
            duplicates += con.execute(f"SELECT count(*) FROM {clash} WHERE same").fetchall()[0][0]
            con.execute(f"INSERT INTO {excluded} SELECT source_row FROM {clash}")
            con.execute(f"DROP TABLE {clash}")
        return duplicates

    def rejected_rows(self) -> int:
        """Distinct source records with at least one reject reason."""
        return self.con.execute(f"SELECT count(DISTINCT row_number) FROM {self._rejects}").fetchall()[0][0]

    def finish(self, started: datetime, stored: dict[str, tuple[int, int]]) -> ImportResult:
        """Persist the rejects and the import record, drop the scratch tables, and summarise."""
        self.con.execute(
            f"INSERT INTO rejects SELECT {self.import_id}, ?, row_number, field, value, reason, raw "
            f"FROM {self._rejects} ORDER BY row_number",
            [str(self.info.path)],
        )
        rejected = self.rejected_rows()
        # One source record per row of the last table: the line in a flat manifest, else the only table.
        primary = stored[self.mappings[-1].table.name]
        result = ImportResult(
            path=self.info.path,
            import_id=self.import_id,
            tables=[m.table.name for m in self.mappings],
            rows_read=self.rows_read,
            rows_stored=primary[0],
            rows_duplicate=primary[1],
            rows_rejected=rejected,
            stored_by_table={name: counts[0] for name, counts in stored.items()},
            format=self.info.format,
            notes=self.notes,
            unplaced=self.unplaced,
        )
        described: dict[str, object] = {m.table.name: m.columns for m in self.mappings}
        described["_options"] = {
            m.table.name: {
                "constants": m.constants,
                "date_formats": m.date_formats,
                "decimal": m.decimal,
                "derived": sorted(m.derived),
            }
            for m in self.mappings
        }
        described["_unplaced"] = self.unplaced
        mapping_json = json.dumps(described, ensure_ascii=False)
        self.con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.import_id,
                str(self.info.path),
                self.info.sha256,
                self.info.format,
                ",".join(result.tables),
                started,
                utc_now(),
                result.rows_read,
                sum(c[0] for c in stored.values()),
                result.rows_duplicate,
                rejected,
                mapping_json,
            ],
        )
        for mapping in self.mappings:
            self.con.execute(f"DROP TABLE {self._excluded(mapping)}")
        self.con.execute(f"DROP TABLE {self._rejects}")
        return result


def ingest_file(
    store: Store,
    path: Path,
    *,
    table: str | None = None,
    fmt: str | None = None,
    encoding: str | None = None,
    rejects_dir: Path | None = Path("rejects"),
    on_progress: ProgressCallback | None = None,
    column_map: ColumnMap | None = None,
    date_format: str | None = None,
    sheet: str | None = None,
) -> ImportResult:
    """Import one file; returns its counts. The whole import is one transaction.

    Two imports of the same file at once (two processes on a PostgreSQL store) store it once: each takes a
    lock on the file's SHA-256, so the second waits for the first to commit and then finds it imported.
    """
    started = utc_now()
    column_map = column_map or ColumnMap()
    info = inspect_source(Path(path), fmt, encoding, sheet or column_map.sheet)
    with store.lock(f"import:{info.sha256}"):
        return _import_source(store, info, started, table, rejects_dir, on_progress, column_map, date_format)


def _import_source(
    store: Store,
    info: SourceInfo,
    started: datetime,
    table: str | None,
    rejects_dir: Path | None,
    on_progress: ProgressCallback | None,
    column_map: ColumnMap,
    date_format: str | None,
) -> ImportResult:
    """Import an inspected file unless a file with its SHA-256 was imported before (under the file's lock)."""
    previous = store.con.execute(
        "SELECT import_id, tables FROM imports WHERE source_sha256 = ? ORDER BY import_id", [info.sha256]
    ).fetchall()
    if previous:
        return ImportResult(
            path=info.path,
            import_id=previous[0][0],
            tables=previous[0][1].split(","),
            already_imported=True,
            format=info.format,
        )
    mappings = plan_tables(
        info.columns, table, file=str(info.path), column_map=column_map, date_format=date_format
    )
    unplaced = unplaced_columns(info.columns, mappings)
    for mapping in mappings:
        require_columns(mapping, str(info.path), unplaced)
    previous_limit = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    store.con.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
    try:
        result = _run_import(store, info, mappings, started, on_progress, unplaced)
    finally:
        store.con.execute(f"SET memory_limit = '{previous_limit}'")
    if rejects_dir is not None and result.rows_rejected:
        result.rejects_path = write_rejects(
            store, result.import_id, Path(rejects_dir) / f"{info.path.name}.rejects.csv"
        )
    return result


def _run_import(
    store: Store,
    info: SourceInfo,
    mappings: list[TableMapping],
    started: datetime,
    on_progress: ProgressCallback | None,
    unplaced: list[str],
) -> ImportResult:
    with store.transaction(), ThreadPoolExecutor(max_workers=1) as writer:
        con = store.con
        import_id = con.execute("SELECT nextval('import_id_seq')").fetchall()[0][0]
        job = _Import(store, info, mappings, import_id, unplaced)
        pending: Future | None = None
        try:
            for raw, first_row in read_batches(info):
                validated = job.validate(raw, first_row)
                if pending is not None:
                    pending.result()  # one writer at a time on the connection, in file order
                pending = writer.submit(job.write, validated)
                if on_progress:
                    on_progress(raw.num_rows)
        finally:
            if pending is not None:
                pending.result()
        job.add_malformed()
        job.number_lines()
        # Concurrent imports (PostgreSQL) de-duplicate one at a time, each seeing the keys the others committed.
        store.lock_until_commit("import:keys")
        stored = job.resolve_duplicates()
        job.derive_values()
        if unplaced:
            job.notes.append(
                f"{len(unplaced)} column(s) not placed, kept per row in source_extras: "
                + ", ".join(repr(c) for c in unplaced)
            )
        return job.finish(started, stored)


def write_rejects(store: Store, import_id: int, path: Path) -> Path:
    """Write one import's rejects as a spreadsheet-safe CSV (file, row, field, value, reason, raw)."""
    table = store.query(
        "SELECT source_path AS file, row_number AS row, field, value, reason, raw FROM rejects "
        "WHERE import_id = ? ORDER BY row_number, field",
        [import_id],
    )
    write_table(path, table)
    return path
