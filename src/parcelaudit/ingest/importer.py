"""Import one file into the store: stream, validate, de-duplicate by content hash, all in one transaction.

A crash at any point leaves the store as it was before the import (DuckDB rolls back an uncommitted
transaction when the file is next opened). Re-importing the same file, or the same rows from another
file, stores nothing new. Every rejected record is kept in the `rejects` table and a rejects CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.csv_safety import write_table
from parcelaudit.ingest.mapping import TableMapping, detect_tables, require_columns
from parcelaudit.ingest.readers import SourceInfo, inspect_source, read_batches
from parcelaudit.ingest.validate import validate_batch
from parcelaudit.store import Store

ProgressCallback = Callable[[int], None]
# DuckDB's own memory during an import; past it, staging spills to disk (peak RSS stays near this).
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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash_expression(columns: list[str]) -> str:
    # chr(1) stands for NULL so that (NULL, 'a') and ('a', NULL) hash differently. MD5 identifies
    # content (it is not a security boundary) and costs less than SHA-256 on every row.
    parts = ", ".join(f'coalesce(CAST("{c}" AS VARCHAR), chr(1))' for c in columns)
    return f"md5(concat_ws(chr(31), {parts}))"


class _Import:
    """The state of one import while its transaction is open."""

    def __init__(self, store: Store, info: SourceInfo, mappings: list[TableMapping], import_id: int) -> None:
        self.store = store
        self.con = store.con
        self.info = info
        self.mappings = mappings
        self.import_id = import_id
        self.rows_read = 0
        for mapping in mappings:
            columns = ", ".join(f'"{f.name}" {_sql_type(f.type)}' for f in mapping.table.fields)
            # Staging is a TEMP table: kept in memory (spilling to disk past the memory limit), so each
            # stored row costs one persistent write, into its canonical table.
            self.con.execute(
                f"CREATE TEMP TABLE {self._stage(mapping)} ({columns}, source_row BIGINT, row_hash VARCHAR)"
            )
        self.con.execute(
            f"CREATE TEMP TABLE {self._rejects} (row_number BIGINT, field VARCHAR, value VARCHAR, "
            "reason VARCHAR, raw VARCHAR)"
        )

    @property
    def _rejects(self) -> str:
        return f"_stage_rejects_{self.import_id}"

    def _stage(self, mapping: TableMapping) -> str:
        return f"_stage_{mapping.table.name}_{self.import_id}"

    def add_batch(self, raw: pa.Table, first_row: int) -> None:
        """Validate a batch for every table the file feeds and stage its good rows and rejects."""
        self.rows_read += raw.num_rows
        results = [validate_batch(raw, mapping, first_row) for mapping in self.mappings]
        ok = results[0].ok_mask
        for result in results[1:]:
            ok = pc.and_(ok, result.ok_mask)
        for mapping, result in zip(self.mappings, results, strict=True):
            good = result.rows.filter(ok)
            names = mapping.table.names
            self.con.register("_batch", good)
            self.con.execute(
                f"INSERT INTO {self._stage(mapping)} SELECT {', '.join(names)}, source_row, "
                f"{_hash_expression(names)} FROM _batch"
            )
            self.con.unregister("_batch")
            if result.rejects.num_rows:
                self.con.register("_rej", result.rejects)
                self.con.execute(f"INSERT INTO {self._rejects} SELECT DISTINCT * FROM _rej")
                self.con.unregister("_rej")

    def add_malformed(self) -> None:
        """Record the CSV records the parser skipped, and renumber staged rows that came after them."""
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
            for target in [self._stage(m) for m in self.mappings] + [self._rejects]:
                column = "source_row" if target != self._rejects else "row_number"
                self.con.execute(
                    f"UPDATE {target} SET {column} = {column} + "
                    f"(SELECT count(*) FROM _bad WHERE _bad.valid_before <= {target}.{column} - 2)"
                )
        self.con.execute(
            f"INSERT INTO {self._rejects} SELECT row_number, NULL, left(text, 200), "
            f"'malformed record: ' || reason || ' (check quoting and delimiters)', "
            f"to_json({{'text': left(text, 2000)}}) FROM _bad"
        )
        self.con.unregister("_bad")

    def _excluded(self, mapping: TableMapping) -> str:
        return f"_excluded_{mapping.table.name}_{self.import_id}"

    def merge(self) -> dict[str, tuple[int, int]]:
        """Move staged rows into the canonical tables; returns table -> (stored, duplicates)."""
        duplicates = {m.table.name: self._dedupe(m) for m in self.mappings}
        if len(self.mappings) == 2:
            # In a flat manifest a line whose shipment was rejected is rejected with it.
            self.con.execute(
                f"INSERT INTO {self._excluded(self.mappings[1])} SELECT DISTINCT row_number "
                f"FROM {self._rejects} WHERE field = 'shipment_id'"
            )
        stored = {}
        for mapping in self.mappings:
            names = ", ".join(mapping.table.names)
            count = self.con.execute(
                f"INSERT INTO {mapping.table.name} ({names}, row_hash, import_id) "
                f"SELECT {names}, row_hash, {self.import_id} FROM {self._stage(mapping)} "
                f"WHERE source_row NOT IN (SELECT source_row FROM {self._excluded(mapping)})"
            ).fetchall()[0][0]
            stored[mapping.table.name] = (count, duplicates[mapping.table.name])
        return stored

    def _dedupe(self, mapping: TableMapping) -> int:
        """Exclude later rows of a repeated key and rows whose key is stored; returns the duplicates."""
        stage, target, excluded = self._stage(mapping), mapping.table.name, self._excluded(mapping)
        keys = list(mapping.table.key)
        key_list = ", ".join(keys)
        key_label = "+".join(keys)
        shown_key = " || '/' || ".join(f"CAST(s.{k} AS VARCHAR)" for k in keys)
        join = " AND ".join(f"s.{k} = o.{k}" for k in keys)
        con = self.con
        con.execute(f"CREATE TEMP TABLE {excluded} (source_row BIGINT)")
        duplicates = 0
        repeated = con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {stage} GROUP BY {key_list} HAVING count(*) > 1)"
        ).fetchall()[0][0]
        if repeated:
            # A later row with the key of an earlier one: the same content is a repeat, other content a conflict.
            later = f"_later_{target}_{self.import_id}"
            con.execute(f"""CREATE TEMP TABLE {later} AS
                SELECT s.*, s.row_hash = o.first_hash AS same, o.first_row FROM {stage} s
                JOIN (SELECT {key_list}, min(source_row) AS first_row, arg_min(row_hash, source_row) AS first_hash
                      FROM {stage} GROUP BY {key_list} HAVING count(*) > 1) o ON {join}
                WHERE s.source_row > o.first_row""")
            con.execute(f"""INSERT INTO {self._rejects}
                SELECT source_row, '{key_label}', {shown_key},
                       'duplicate {key_label}: row ' || first_row || ' has the same key with different content '
                       || '(keep one row per key, or give this row its own key)', to_json(s)
                FROM {later} s WHERE NOT same""")
            duplicates += con.execute(f"SELECT count(*) FROM {later} WHERE same").fetchall()[0][0]
            con.execute(f"INSERT INTO {excluded} SELECT source_row FROM {later}")
            con.execute(f"DROP TABLE {later}")
        if con.execute(f"SELECT EXISTS (SELECT 1 FROM {target})").fetchall()[0][0]:
            clash = f"_clash_{target}_{self.import_id}"
            con.execute(f"""CREATE TEMP TABLE {clash} AS
                SELECT s.*, s.row_hash = o.row_hash AS same, o.import_id AS stored_by FROM {stage} s
                JOIN {target} o ON {join}
                WHERE s.source_row NOT IN (SELECT source_row FROM {excluded})""")
            con.execute(f"""INSERT INTO {self._rejects}
                SELECT source_row, '{key_label}', {shown_key},
                       'this {key_label} is already stored with different content (import ' || stored_by
                       || '); stored rows are never overwritten: give the corrected record its own key', to_json(s)
                FROM {clash} s WHERE NOT same""")
            duplicates += con.execute(f"SELECT count(*) FROM {clash} WHERE same").fetchall()[0][0]
            con.execute(f"INSERT INTO {excluded} SELECT source_row FROM {clash}")
            con.execute(f"DROP TABLE {clash}")
        return duplicates

    def rejected_rows(self) -> int:
        """Distinct source records with at least one reject reason."""
        return self.con.execute(f"SELECT count(DISTINCT row_number) FROM {self._rejects}").fetchone()[0]

    def finish(self, started: datetime, stored: dict[str, tuple[int, int]]) -> ImportResult:
        """Persist the rejects and the import record, drop the staging tables, and summarise."""
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
                _now(),
                result.rows_read,
                sum(c[0] for c in stored.values()),
                result.rows_duplicate,
                rejected,
                mapping_json,
            ],
        )
        for mapping in self.mappings:
            self.con.execute(f"DROP TABLE {self._stage(mapping)}")
            self.con.execute(f"DROP TABLE {self._excluded(mapping)}")
        self.con.execute(f"DROP TABLE {self._rejects}")
        return result


def _sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_floating(arrow_type):
        return "DOUBLE"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    return "VARCHAR"


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
    started = _now()
    info = inspect_source(Path(path), fmt, encoding)
    previous = store.con.execute(
        "SELECT import_id, tables FROM imports WHERE source_sha256 = ? ORDER BY import_id", [info.sha256]
    ).fetchone()
    if previous:
        return ImportResult(
            path=info.path,
            import_id=previous[0],
            tables=previous[1].split(","),
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
    with store.transaction() as con:
        import_id = con.execute("SELECT nextval('import_id_seq')").fetchone()[0]
        job = _Import(store, info, mappings, import_id)
        for raw, first_row in read_batches(info):
            job.add_batch(raw, first_row)
            if on_progress:
                on_progress(raw.num_rows)
        job.add_malformed()
        stored = job.merge()
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
