"""Import one file into the store: inspect it, plan the tables it feeds, then read and validate it batch by
batch (parcelaudit.ingest.validation) while parcelaudit.store.ingest stores the accepted rows, resolves
duplicates and keeps every rejected record, all in one transaction. A file already imported (same SHA-256)
stores nothing new; its rejects go to a spreadsheet-safe CSV as well as the `rejects` table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from parcelaudit.csv_safety import write_table
from parcelaudit.ingest.mapping import ColumnMap, plan_tables, require_columns, unplaced_columns
from parcelaudit.ingest.readers import SourceInfo, inspect_source, read_batches
from parcelaudit.ingest.validation import Batch, FileValidation, malformed_records
from parcelaudit.store import Store, utc_now
from parcelaudit.store import ingest as stored

ProgressCallback = Callable[[int], None]


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


class _Reading:
    """The file read and validated batch by batch, as parcelaudit.store.ingest.store_import consumes it."""

    def __init__(
        self,
        info: SourceInfo,
        validation: FileValidation,
        on_progress: ProgressCallback | None,
        constants: dict[str, str | None] | None = None,
    ):
        self.info = info
        self.validation = validation
        self.on_progress = on_progress
        self.constants = constants or {}

    def batches(self) -> Iterator[Batch]:
        """Each batch validated, in file order (progress reported after each); the path's partition values
        are added as columns of every record."""
        for raw, first_row in read_batches(self.info):
            for name, value in self.constants.items():
                raw = raw.append_column(name, pa.array([value] * raw.num_rows, pa.string()))
            batch = self.validation.batch(raw, first_row)
            yield batch
            if self.on_progress:
                self.on_progress(raw.num_rows)

    def malformed(self) -> pa.Table | None:
        """The records the parser could not split (known once every batch is read)."""
        return malformed_records(self.info.malformed)

    def mapping_json(self) -> str:
        """The mapping used, date formats as chosen on the first batch."""
        return self.validation.describe()


def _already(info: SourceInfo, import_id: int, tables: list[str]) -> ImportResult:
    return ImportResult(
        path=info.path, import_id=import_id, tables=tables, already_imported=True, format=info.format
    )


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
    partition: dict[str, str | None] | None = None,
) -> ImportResult:
    """Import one file; returns its counts. The whole import is one transaction.

    Two imports of the same file at once (two processes on a PostgreSQL store) store it once: each takes a
    lock on the file's SHA-256, so the second waits for the first to commit and then finds it imported.

    partition: values a hive path gives every record of the file (e.g. arrival_date=2025-03-01), read as
    columns when the file lacks them and a table it feeds has the field; otherwise ignored."""
    started = utc_now()
    column_map = column_map or ColumnMap()
    info = inspect_source(Path(path), fmt, encoding, sheet or column_map.sheet)
    with store.lock(f"import:{info.sha256}"):
        return _import_source(
            store, info, started, table, rejects_dir, on_progress, column_map, date_format, partition
        )


def _import_source(
    store: Store,
    info: SourceInfo,
    started: datetime,
    table: str | None,
    rejects_dir: Path | None,
    on_progress: ProgressCallback | None,
    column_map: ColumnMap,
    date_format: str | None,
    partition: dict[str, str | None] | None = None,
) -> ImportResult:
    """Import an inspected file unless a file with its SHA-256 was imported before (under the file's lock)."""
    previous = stored.find_import(store, info.sha256)
    if previous:
        return _already(info, *previous)
    implied = {k: v for k, v in (partition or {}).items() if k not in info.columns}
    mappings = plan_tables(
        [*info.columns, *implied], table, file=str(info.path), column_map=column_map, date_format=date_format
    )
    used = {source for mapping in mappings for source in mapping.columns.values()}
    implied = {k: v for k, v in implied.items() if k in used}
    unplaced = unplaced_columns([*info.columns, *implied], mappings)
    for mapping in mappings:
        require_columns(mapping, str(info.path), unplaced)
    validation = FileValidation(str(info.path), mappings, unplaced)
    record = stored.ImportRecord(str(info.path), info.sha256, info.format, started)
    targets = [stored.Target(m.table, m.derived) for m in mappings]
    done = stored.store_import(store, record, targets, _Reading(info, validation, on_progress, implied))
    if done.already_imported:
        return _already(info, done.import_id, done.tables)
    notes = [*validation.notes, *done.notes]
    if unplaced:
        notes.append(
            f"{len(unplaced)} column(s) not placed, kept per row in source_extras: "
            + ", ".join(repr(c) for c in unplaced)
        )
    primary = done.stored[done.tables[-1]]
    result = ImportResult(
        path=info.path,
        import_id=done.import_id,
        tables=done.tables,
        rows_read=done.rows_read,
        rows_stored=primary[0],
        rows_duplicate=primary[1],
        rows_rejected=done.rejected,
        stored_by_table={name: counts[0] for name, counts in done.stored.items()},
        format=info.format,
        notes=notes,
        unplaced=unplaced,
    )
    if rejects_dir is not None and result.rows_rejected:
        result.rejects_path = write_rejects(
            store, result.import_id, Path(rejects_dir) / f"{info.path.name}.rejects.csv"
        )
    return result


def write_rejects(store: Store, import_id: int, path: Path) -> Path:
    """Write one import's rejects as a spreadsheet-safe CSV (file, row, field, value, reason, raw)."""
    write_table(path, stored.import_rejects(store, import_id))
    return path
