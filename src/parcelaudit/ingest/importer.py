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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.csv_safety import write_table
from parcelaudit.ingest.mapping import TableMapping, detect_tables, require_columns
from parcelaudit.ingest.readers import SourceInfo, inspect_source, read_batches
from parcelaudit.ingest.validate import validate_batch
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


def _hash_expression(columns: list[str]) -> str:
    # chr(1) stands for NULL so that (NULL, 'a') and ('a', NULL) hash differently. MD5 identifies
    # content (it is not a security boundary), is stable across versions, and anyone can recompute it.
    parts = ", ".join(f'coalesce(CAST("{c}" AS VARCHAR), chr(1))' for c in columns)
    return f"md5(concat_ws(chr(31), {parts}))"


class _Import:
    """The state of one import while its transaction is open."""

    def __init__(self, store: Store, info: SourceInfo, mappings: list[TableMapping], import_id: int) -> None:
        self.con = store.con
        self.info = info
        self.mappings = mappings
        self.import_id = import_id
        self.rows_read = 0
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

    def validate(self, raw: pa.Table, first_row: int) -> list[tuple[TableMapping, pa.Table, pa.Table]]:
        """Validate a batch for every table the file feeds: (mapping, good rows, rejects) each."""
        self.rows_read += raw.num_rows
        results = [validate_batch(raw, mapping, first_row) for mapping in self.mappings]
        ok = results[0].ok_mask
        for result in results[1:]:
            ok = pc.and_(ok, result.ok_mask)
        return [(m, r.rows.filter(ok), r.rejects) for m, r in zip(self.mappings, results, strict=True)]

    def write(self, validated: list[tuple[TableMapping, pa.Table, pa.Table]]) -> None:
        """Insert a validated batch into the canonical tables (with hash, import and source row)."""
        for mapping, good, rejects in validated:
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
        return stored

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
        )
        mapping_json = json.dumps({m.table.name: m.columns for m in self.mappings}, ensure_ascii=False)
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
) -> ImportResult:
    """Import one file; returns its counts. The whole import is one transaction."""
    started = utc_now()
    info = inspect_source(Path(path), fmt, encoding)
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
    mappings = detect_tables(info.columns, table, file=str(info.path))
    for mapping in mappings:
        require_columns(mapping, str(info.path))
    previous_limit = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    store.con.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
    try:
        result = _run_import(store, info, mappings, started, on_progress)
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
) -> ImportResult:
    with store.transaction() as con, ThreadPoolExecutor(max_workers=1) as writer:
        import_id = con.execute("SELECT nextval('import_id_seq')").fetchall()[0][0]
        job = _Import(store, info, mappings, import_id)
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
        stored = job.resolve_duplicates()
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
