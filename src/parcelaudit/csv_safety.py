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


def safe_column(values: list[Any]) -> list[Any]:
    """The cells of one column, each neutralised (as safe_row does cell by cell): a column of clean strings,
    the common case, is recognised in two joins at C speed and returned as it is."""
    try:
        printable = "".join(values).isprintable()
    except TypeError:  # not all strings: numbers, None, lists
        return [neutralise(cell) for cell in values]
    if printable:
        # Every character csv_text escapes is unprintable, "\t" and "\r" among the prefixes too: only the
        # printable formula prefixes are left to look for, each at the start of a cell.
        lines = "\n" + "\n".join(values)
        if not any("\n" + prefix in lines for prefix in FORMULA_PREFIXES[:4]):
            return values
    return [neutralise(cell) for cell in values]


_QUOTED = (
    ",",
    '"',
    "\r",
    "\n",
)  # a cell with one of these is quoted (csv.QUOTE_MINIMAL, the default dialect)


def _csv_column(values: list[Any]) -> list[str]:
    """A column's cells as csv.writer (default dialect) writes them: None empty, floats by repr, anything else
    by str; quoted, with doubled quotes, when it holds a comma, quote or line break."""
    try:
        text = "".join(values)
    except TypeError:  # not all strings
        values = [
            "" if cell is None else repr(cell) if cell.__class__ is float else str(cell) for cell in values
        ]
        text = "".join(values)
    if not any(mark in text for mark in _QUOTED):
        return values
    return [
        '"' + cell.replace('"', '""') + '"' if any(mark in cell for mark in _QUOTED) else cell
        for cell in values
    ]


def write_column_batches(path: Path, header: Sequence[str], batches: Iterable[Sequence[list[Any]]]) -> int:
    """Write batches of columns (each batch a list of equally long columns, in header order) as a UTF-8 CSV
    with every cell neutralised, byte for byte as write_rows writes the same rows; return the number of rows.
    The cells are turned into text a column at a time (no per-row Python list); one batch is held at once."""
    written = 0
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(safe_row(header))
        for columns in batches:
            if len(columns) < 2:  # csv.writer quotes a lone empty cell; leave such rows to it
                csv.writer(handle).writerows(zip(*(safe_column(list(c)) for c in columns), strict=True))
                written += len(columns[0]) if columns else 0
                continue
            cells = [_csv_column(safe_column(list(column))) for column in columns]
            handle.write("".join([",".join(row) + "\r\n" for row in zip(*cells, strict=True)]))
            written += len(cells[0])
    return written


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
