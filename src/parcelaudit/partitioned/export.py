"""Writing the canonical tables as Parquet partitioned by arrival day (layout: parcelaudit.partitioned.layout).

Rows stream from the store in bounded batches (parcelaudit.store.partitions.day_batches), ordered by day, so
one day's file is open at a time. Each file is written under a temporary name beside its final one and
renamed into place when complete, so a reader never sees half a partition and an interrupted export leaves
the earlier files whole. Row groups have a fixed size and rows a fixed order, so exporting the same store
again gives byte-identical files. manifest.json lists every file with its rows and SHA-256.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parcelaudit.hashing import file_sha256
from parcelaudit.partitioned.layout import MANIFEST, PARTITION_KEY, part_path, partition_value
from parcelaudit.schema import Table
from parcelaudit.store import Store
from parcelaudit.store.partitions import (
    CANONICAL_TABLES,
    PARTITION_COLUMN,
    DayRange,
    count_day_rows,
    day_batches,
)

ROW_GROUP_ROWS = 131_072
COMPRESSION = "zstd"
FORMAT = "parcelaudit-partitioned/1"

ProgressCallback = Callable[[str, int], None]  # (table, rows just written)


@dataclass(frozen=True)
class PartFile:
    """One written file: its path in the export folder, table, day, rows and SHA-256."""

    path: str
    table: str
    arrival_date: str
    rows: int
    sha256: str


def file_schema(table: Table) -> pa.Schema:
    """The columns of a table's part files: its canonical fields but the partition key, all nullable."""
    return pa.schema(
        [pa.field(f.name, f.type, nullable=True) for f in table.fields if f.name != PARTITION_KEY]
    )


class _DayFile:
    """One day's file being written under a temporary name, in row groups of ROW_GROUP_ROWS rows."""

    def __init__(self, root: Path, table: Table, day: date | None) -> None:
        self.relative = part_path(table.name, day)
        self.final = root / self.relative
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.temporary = self.final.with_name(f".{self.final.name}.{os.getpid()}.tmp")
        self.table = table
        self.day = day
        self.schema = file_schema(table)
        self.writer = pq.ParquetWriter(self.temporary, self.schema, compression=COMPRESSION)
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.rows = 0

    def add(self, rows: pa.Table) -> None:
        """Queue rows; write every full row group."""
        self.pending.append(rows.select(self.schema.names).cast(self.schema))
        self.pending_rows += rows.num_rows
        if self.pending_rows >= ROW_GROUP_ROWS:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        data = pa.concat_tables(self.pending) if self.pending else self.schema.empty_table()
        whole = data.num_rows if final else data.num_rows - data.num_rows % ROW_GROUP_ROWS
        if whole:
            self.writer.write_table(data.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
            self.rows += whole
        rest = data.slice(whole)
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def close(self) -> PartFile:
        """Write what is left, close, and rename the file into place."""
        try:
            self._flush(final=True)
            self.writer.close()
            os.replace(self.temporary, self.final)
        except BaseException:
            self.temporary.unlink(missing_ok=True)
            raise
        return PartFile(
            self.relative.as_posix(),
            self.table.name,
            partition_value(self.day),
            self.rows,
            file_sha256(self.final),
        )

    def abandon(self) -> None:
        """Close and delete the temporary file (the final one, if any, stays as it was)."""
        self.writer.close()
        self.temporary.unlink(missing_ok=True)


def _day_runs(batch: pa.RecordBatch) -> list[tuple[date | None, pa.Table]]:
    """A batch ordered by day cut into one slice per day (the day column dropped)."""
    rows = pa.Table.from_batches([batch])
    runs = pc.run_end_encode(rows[PARTITION_COLUMN].combine_chunks())
    days = runs.values.to_pylist()
    ends = runs.run_ends.to_pylist()
    rows = rows.drop_columns([PARTITION_COLUMN])
    start, cut = 0, []
    for day, end in zip(days, ends, strict=True):
        cut.append((day, rows.slice(start, end - start)))
        start = end
    return cut


def export_table(
    store: Store, table: Table, root: Path, days: DayRange, on_progress: ProgressCallback | None = None
) -> list[PartFile]:
    """Write one table's rows in the range as one file per day; returns the files written."""
    written: list[PartFile] = []
    current: _DayFile | None = None
    try:
        for batch in day_batches(store, table, days):
            for day, rows in _day_runs(batch):
                if current is None or current.day != day:
                    if current is not None:
                        finished, current = current, None
                        written.append(finished.close())
                    current = _DayFile(root, table, day)
                current.add(rows)
            if on_progress:
                on_progress(table.name, batch.num_rows)
        if current is not None:
            written.append(current.close())
            current = None
    finally:
        if current is not None:
            current.abandon()
    return written


def export_rows(store: Store, days: DayRange = DayRange()) -> dict[str, int]:
    """How many rows of each canonical table an export of the range writes (for progress totals)."""
    return {table.name: count_day_rows(store, table, days) for table in CANONICAL_TABLES}


def export_parquet(
    store: Store, root: Path, days: DayRange = DayRange(), on_progress: ProgressCallback | None = None
) -> list[PartFile]:
    """Export every canonical table in the range under root and update root/manifest.json; returns the
    files written now."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    written = [
        part for table in CANONICAL_TABLES for part in export_table(store, table, root, days, on_progress)
    ]
    write_manifest(root, written)
    return written


def read_manifest(root: Path) -> list[PartFile]:
    """The files an earlier export listed in root/manifest.json (none when there is no manifest)."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        return []
    return [PartFile(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))["files"]]


def write_manifest(root: Path, written: list[PartFile]) -> Path:
    """Write root/manifest.json (atomically): the files written now, plus those an earlier export of other
    days listed that are still there, sorted by path."""
    entries = {part.path: part for part in read_manifest(root) if (root / part.path).is_file()}
    entries.update({part.path: part for part in written})
    manifest = {
        "format": FORMAT,
        "partition_key": PARTITION_KEY,
        "tables": [table.name for table in CANONICAL_TABLES],
        "files": [asdict(entries[path]) for path in sorted(entries)],
    }
    path = Path(root) / MANIFEST
    temporary = path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path
