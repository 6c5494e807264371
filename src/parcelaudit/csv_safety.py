"""Spreadsheet-safe output: cells that a spreadsheet would execute are neutralised on every CSV/Excel write.

Input data is stored as received (a formula-looking string is data); only when we write a file that a
person may open in Excel or LibreOffice do we prefix such cells with an apostrophe (OWASP CSV injection)
and show control characters (ANSI escapes and the like) as visible escapes (text_safety.csv_text).
Every CSV is written whole or not at all (outputs.atomic_path).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from itertools import count
from pathlib import Path
from typing import Any

import pyarrow as pa

from parcelaudit.outputs import atomic_path
from parcelaudit.text_safety import csv_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return value with control characters escaped and, for a string a spreadsheet would treat as a formula,
    a leading apostrophe."""
    if not isinstance(value, str):
        return value
    if value.isprintable() and not value.startswith(FORMULA_PREFIXES):
        return value  # the common case: nothing to escape (every character csv_text escapes is unprintable)
    value = csv_text(value)
    if value.startswith(FORMULA_PREFIXES):
        # A plain negative number is data, not a formula; keep it readable.
        if value[0] == "-" and _is_number(value):
            return value
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_row(row: Iterable[Any]) -> list[Any]:
    """The cells of one row, each neutralised (the common clean string is tested inline, without a call:
    an annex of millions of rows spends most of its time here)."""
    return [
        cell
        if cell.__class__ is str and cell.isprintable() and not cell.startswith(FORMULA_PREFIXES)
        else neutralise(cell)
        for cell in row
    ]


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows to a UTF-8 CSV with every cell neutralised; return the number of rows written."""
    counter = count()
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(safe_row(header))
        # zip takes a row before a number, so the counter stops at the number of rows written.
        writer.writerows(safe_row(row) for row, _ in zip(rows, counter, strict=False))
    return next(counter)


def write_table(path: Path, table: pa.Table) -> int:
    """Write an Arrow table as a spreadsheet-safe CSV, batch by batch; return the number of rows."""
    return write_batches(path, table.column_names, table.to_batches(max_chunksize=65536))


def write_batches(path: Path, header: Sequence[str], batches: Iterable[pa.RecordBatch]) -> int:
    """Write Arrow record batches (columns as in header) as a spreadsheet-safe CSV; return the number of rows.
    Only one batch is in memory at a time."""
    count = 0
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(name) for name in header])
        for batch in batches:
            columns = [column.to_pylist() for column in batch.columns]
            for row in zip(*columns, strict=True):
                writer.writerow([neutralise("" if cell is None else cell) for cell in row])
                count += 1
    return count
