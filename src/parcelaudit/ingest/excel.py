"""Excel (.xlsx) manifests: the first sheet (or a named one), streamed row by row with openpyxl's
read-only reader, after the archive has been checked against the limits in docs/limits.md.

An .xlsx file is a ZIP of XML parts. Before openpyxl parses anything, the archive is checked: its
total decompressed size, each part's compression ratio (a "zip bomb"), and every XML part's prologue
for a DOCTYPE (entity-expansion bombs need one; Excel never writes one). Rows beyond MAX_ROWS are
refused rather than read for minutes.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa

from parcelaudit.errors import InputError

MAX_DECOMPRESSED_BYTES = 1 << 30  # 1 GiB of XML: about a full 1,048,576-row sheet of a typical manifest
MAX_COMPRESSION_RATIO = 200  # XML compresses 5-30x; hundreds of times is a bomb
MAX_ROWS = 1_048_576  # Excel's own sheet limit
MAX_COLUMNS = 2_000
PROLOGUE_BYTES = 4096


# What zipfile raises on a damaged archive (a truncated or altered file, an unknown compression).
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, KeyError, zlib.error)


def check_archive(path: Path, max_bytes: int | None = None) -> None:
    """Refuse an .xlsx that is not a readable ZIP, whose parts would expand past the limits (max_bytes in
    all; MAX_DECOMPRESSED_BYTES unless given), or whose XML declares entities. The one home of these checks
    for every .xlsx we read."""
    max_bytes = MAX_DECOMPRESSED_BYTES if max_bytes is None else max_bytes
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as error:
        raise InputError(
            f"not a readable .xlsx workbook ({error})",
            file=str(path),
            hint="save it again from Excel as .xlsx",
        ) from error
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > max_bytes:
            raise InputError(
                f"the workbook expands to {total / (1 << 20):,.0f} MiB (the limit is {max_bytes >> 20:,} MiB)",
                file=str(path),
                hint="export the sheet as CSV, or split the workbook",
            )
        for member in members:
            if member.file_size > 1 << 20 and member.file_size > MAX_COMPRESSION_RATIO * max(
                member.compress_size, 1
            ):
                raise InputError(
                    f"part {member.filename!r} expands {member.file_size // max(member.compress_size, 1):,} "
                    f"times (the limit is {MAX_COMPRESSION_RATIO}): a compression bomb, not a workbook",
                    file=str(path),
                )
            if member.filename.endswith((".xml", ".rels", ".vml")):
                try:
                    with archive.open(member) as handle:
                        prologue = handle.read(PROLOGUE_BYTES)
                except ZIP_ERRORS as error:
                    raise InputError(
                        f"not a readable .xlsx workbook: part {member.filename!r} cannot be read ({error})",
                        file=str(path),
                        hint="save it again from Excel as .xlsx",
                    ) from error
                if b"<!DOCTYPE" in prologue.upper() or b"<!ENTITY" in prologue.upper():
                    raise InputError(
                        f"part {member.filename!r} declares a DOCTYPE/entities (Excel never does; "
                        "this is how entity-expansion bombs work)",
                        file=str(path),
                        hint="save the workbook again from Excel, or export the sheet as CSV",
                    )


def _open_sheet(path: Path, sheet: str | None, max_bytes: int | None):
    import openpyxl

    check_archive(path, max_bytes)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise InputError(
            f"not a readable .xlsx workbook ({type(error).__name__}: {_one_line(error)})",
            file=str(path),
            hint="save it again from Excel as .xlsx",
        ) from error
    names = workbook.sheetnames
    if sheet is None:
        if not names:
            workbook.close()
            raise InputError("the workbook has no sheet", file=str(path))
        return workbook, workbook[names[0]], names[0]
    if sheet not in names:
        workbook.close()
        raise InputError(
            f"no sheet named {sheet!r} (sheets: {', '.join(repr(n) for n in names)})",
            file=str(path),
            field="--sheet",
        )
    return workbook, workbook[sheet], sheet


def cell_text(value: object) -> str | None:
    """A cell's value as the text a CSV export would hold (dates as ISO, whole numbers without .0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())[:200]


def sheet_rows(
    path: Path, sheet: str | None = None, max_bytes: int | None = None
) -> Iterator[tuple[str, tuple]]:
    """(sheet name, cell values) of each row of the sheet (the first unless named), after check_archive;
    a damaged workbook raises a one-line InputError."""
    workbook, worksheet, name = _open_sheet(path, sheet, max_bytes)
    try:
        for row in worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield name, row
    except InputError:
        raise
    except Exception as error:
        raise InputError(
            f"not a readable .xlsx workbook: sheet {name!r} cannot be read "
            f"({type(error).__name__}: {_one_line(error)})",
            file=str(path),
            hint="save it again from Excel as .xlsx",
        ) from error
    finally:
        workbook.close()


def inspect_workbook(path: Path, sheet: str | None) -> tuple[str, list[str]]:
    """The sheet that will be read and its header (the first non-empty row)."""
    from parcelaudit.ingest.readers import header_names

    for name, row in sheet_rows(path, sheet):
        texts = [cell_text(v) or "" for v in row]
        while texts and not texts[-1].strip():
            texts.pop()
        if any(t.strip() for t in texts):
            return name, header_names(texts)
    raise InputError("the sheet is empty", file=str(path), hint="put the header in the first row")


def read_workbook(
    path: Path, sheet: str | None, columns: list[str], batch_rows: int
) -> Iterator[tuple[pa.Table, int]]:
    """Yield string batches of the sheet's rows below the header, numbered as Excel numbers them."""
    width = len(columns)
    buffer: list[list[str | None]] = []
    numbers: list[str] = []
    header_seen = False
    for number, (_, row) in enumerate(sheet_rows(path, sheet), start=1):
        texts = [cell_text(v) for v in row]
        if not header_seen:
            header_seen = any((t or "").strip() for t in texts)
            continue
        if number > MAX_ROWS:
            raise InputError(f"the sheet has more than {MAX_ROWS:,} rows", file=str(path), row=number)
        if not any((t or "").strip() for t in texts):
            continue
        if len(texts) > width and any((t or "").strip() for t in texts[width:]):
            extra = ", ".join(t for t in texts[width:] if t)[:100]
            raise InputError(
                f"a value stands right of the last named column ({extra!r})",
                file=str(path),
                row=number,
                hint="give that column a header",
            )
        buffer.append((texts + [None] * width)[:width])
        numbers.append(str(number))
        if len(buffer) >= batch_rows:
            yield _table(columns, buffer, numbers), int(numbers[0])
            buffer, numbers = [], []
    if buffer:
        yield _table(columns, buffer, numbers), int(numbers[0])


def _table(columns: list[str], rows: list[list[str | None]], numbers: list[str]) -> pa.Table:
    from parcelaudit.ingest.readers import ROW_NUMBER

    data = {name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(columns)}
    data[ROW_NUMBER] = pa.array(numbers, pa.string())
    return pa.table(data)
