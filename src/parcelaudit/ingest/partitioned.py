"""Ingesting a folder of Parquet files in hive layout (key=value folders with an arrival_date= level), such
as `parcelaudit export --parquet` writes: every part file goes through the normal import (validation,
dedupe by SHA-256 and by key), with the values its path gives (the arrival day) read as columns.

The table of a part file is the folder above its first key=value folder when that names a canonical table
(TABLE/arrival_date=.../part-0.parquet), else it is recognised from the columns as for any file. Files are
imported day by day, each day's files (shipments, lines, orders, payments, then the rest) in one
transaction, so a day is stored whole or not at all. Every footer is read before anything is stored, so a
damaged footer is one error naming the file and nothing of the folder is imported; a file imported before
(same SHA-256) is a duplicate and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import pyarrow.parquet as pq

from parcelaudit.errors import InputError
from parcelaudit.ingest.importer import ImportResult, ingest_file
from parcelaudit.partitioned.layout import PARTITION_KEY, hive_values, relative_to, table_of
from parcelaudit.schema import TABLES
from parcelaudit.store import Store

_TABLE_ORDER = {name: index for index, name in enumerate(("shipments", "lines", "orders", "payments"))}


@dataclass(frozen=True)
class PartSource:
    """One part file of a partitioned folder: its path, its name in the folder, its table (None: recognise
    from the columns) and the values its path gives."""

    path: Path
    name: str
    table: str | None
    values: dict[str, str | None]


def is_partitioned(path: Path) -> bool:
    """True when path is a folder (ingest reads the part files in it)."""
    return Path(path).is_dir()


def partition_sources(root: Path) -> list[PartSource]:
    """The part files under root in import order; refuses a folder with none in an arrival_date= folder."""
    root = Path(root)
    found = []
    for path in sorted(root.rglob("*.parquet")):
        relative = relative_to(root, path)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue  # temporary files of a writer, and hidden folders
        values = hive_values(relative)
        if PARTITION_KEY not in values:
            continue
        table = table_of(relative)
        found.append(PartSource(path, relative.as_posix(), table if table in TABLES else None, values))
    if not found:
        raise InputError(
            f"no Parquet files in {PARTITION_KEY}=YYYY-MM-DD folders",
            file=str(root),
            hint="pass a folder written by `parcelaudit export --parquet`, or files one by one",
        )
    return sorted(found, key=lambda s: (_day(s), _TABLE_ORDER.get(s.table or "", len(_TABLE_ORDER)), s.name))


def _day(source: PartSource) -> str:
    """The day of a part file as it sorts (rows without a day last)."""
    return source.values[PARTITION_KEY] or "~"


def check_footers(sources: list[PartSource]) -> None:
    """Read every file's Parquet footer; a damaged one is an error naming it."""
    for source in sources:
        try:
            pq.ParquetFile(source.path).close()
        except Exception as error:  # a damaged footer fails in many ways inside pyarrow (Arrow, OS, Unicode)
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
            raise InputError(
                f"not a readable Parquet file: {first}",
                file=str(source.path),
                hint="export that day again, or remove the file and ingest the folder again",
            ) from error


def ingest_partitioned(
    store: Store,
    root: Path,
    *,
    table: str | None = None,
    on_file: Callable[[PartSource], Callable[[int], None] | None] | None = None,
    **options,
) -> Iterator[tuple[PartSource, ImportResult]]:
    """Import every part file under root (options as for ingest_file; table, when given, overrides the
    layout's); yields each file with its result. on_file(source) may return a progress callback for it."""
    sources = partition_sources(root)
    check_footers(sources)
    rejects_dir = options.pop("rejects_dir", Path("rejects"))
    for _, day in groupby(sources, key=_day):
        done = []
        with store.transaction():  # a day is imported whole or not at all
            for source in day:
                progress = on_file(source) if on_file else None
                result = ingest_file(
                    store,
                    source.path,
                    table=table or source.table,
                    fmt="parquet",
                    on_progress=progress,
                    partition=source.values,
                    # Every part file is called part-0.parquet: its rejects go under its folder's name.
                    rejects_dir=None
                    if rejects_dir is None
                    else Path(rejects_dir) / Path(root).name / source.path.parent.relative_to(root),
                    **options,
                )
                done.append((source, result))
        yield from done
