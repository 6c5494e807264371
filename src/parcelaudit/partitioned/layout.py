"""Where a partitioned export puts each file, and how a hive path is read back.

DIR/<table>/arrival_date=YYYY-MM-DD/part-0.parquet, one folder per day and table; rows without a day go to
arrival_date=__HIVE_DEFAULT_PARTITION__ (hive's name for NULL). The day is in the path, not in the file
(hive convention: Spark, DuckDB and pyarrow.dataset read it back as a column). DIR/manifest.json lists
every file with its rows and SHA-256.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path, PurePosixPath

PARTITION_KEY = "arrival_date"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
PART_NAME = "part-0.parquet"
MANIFEST = "manifest.json"


def partition_value(day: date | None) -> str:
    """The folder value of a day (hive's NULL name when there is none)."""
    return NULL_PARTITION if day is None else day.isoformat()


def part_path(table: str, day: date | None) -> PurePosixPath:
    """The file of one table's rows of one day, relative to the export folder."""
    return PurePosixPath(table) / f"{PARTITION_KEY}={partition_value(day)}" / PART_NAME


def hive_values(relative: PurePosixPath) -> dict[str, str | None]:
    """The key=value folders of a path relative to the dataset root (hive's NULL name read as None)."""
    values: dict[str, str | None] = {}
    for part in relative.parts[:-1]:
        key, sep, value = part.partition("=")
        if sep and key:
            values[key] = None if value == NULL_PARTITION else value
    return values


def table_of(relative: PurePosixPath) -> str | None:
    """The folder above the first key=value folder (the table in an export's layout), or None."""
    before = []
    for part in relative.parts[:-1]:
        if "=" in part:
            break
        before.append(part)
    return before[-1] if before else None


def relative_to(root: Path, path: Path) -> PurePosixPath:
    """path inside root, with forward slashes (as the manifest names it)."""
    return PurePosixPath(path.relative_to(root).as_posix())
