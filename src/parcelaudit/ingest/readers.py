"""Format and encoding detection, and streaming readers that yield string-typed Arrow batches.

Every reader yields (batch, first_row_number) where every column is a string (or null) exactly as
the source had it, so validation sees the raw text. Row numbers are 1-based record numbers with the
header counted as row 1 (what a spreadsheet shows); in JSON Lines, the line number; in Parquet, the
row index + 1.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from parcelaudit.errors import InputError
from parcelaudit.hashing import file_sha256

BATCH_ROWS = 131_072
SNIFF_BYTES = 1 << 20
CSV_DELIMITERS = (",", ";", "\t", "|")
FORMATS = ("csv", "jsonl", "parquet", "xlsx")
# Resource limits (docs/limits.md). The CSV parser reads 32 MiB blocks: one field cannot be longer.
CSV_BLOCK_BYTES = 32 << 20
MAX_RECORD_CHARS = 1 << 20  # one JSON Lines record (a manifest line is a few hundred characters)
MAX_COLUMNS = 2_000


@dataclass
class SourceInfo:
    """What was learnt about a file before reading it: format, encoding, delimiter, hash, header."""

    path: Path
    format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    sha256: str = ""
    columns: list[str] = field(default_factory=list)
    # Records the CSV parser could not split into the header's number of fields: (row_number, text, reason).
    malformed: list[tuple[int, str, str]] = field(default_factory=list)
    sheet: str | None = None  # the worksheet of an .xlsx file


def detect_format(path: Path, head: bytes) -> str:
    """Guess the format from the extension, then from the first bytes."""
    suffixes = "".join(path.suffixes).lower()
    if head.startswith(b"PAR1") or suffixes.endswith(".parquet"):
        return "parquet"
    if suffixes.endswith((".xlsx", ".xlsm")) or (head.startswith(b"PK\x03\x04") and b"xl/" in head[:4096]):
        return "xlsx"
    if suffixes.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if suffixes.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{") else "csv"


def detect_encoding(path: Path, head: bytes, declared: str | None) -> str:
    """Return the text encoding; refuse binary files and non-UTF-8 text unless an encoding is declared."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if declared:
        try:
            codec = codecs.lookup(declared)
        except LookupError as error:
            raise InputError(
                f"unknown encoding {declared!r}",
                file=str(path),
                hint="use a Python codec name such as utf-8, latin-1, cp1252, gb18030",
            ) from error
        if not getattr(codec, "_is_text_encoding", True):
            raise InputError(
                f"{declared!r} is not a text encoding (it transforms bytes or text, it does not decode a file)",
                file=str(path),
                hint="use a text encoding such as utf-8, latin-1, cp1252, gb18030",
            )
        return codec.name
    if b"\x00" in head[:8192]:
        raise InputError(
            "this is a binary file, not CSV or JSON Lines text",
            file=str(path),
            hint="export the manifest as CSV (UTF-8), JSON Lines, Parquet or .xlsx",
        )
    sample = head[:SNIFF_BYTES]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sample's end is not an error.
        if error.start < len(sample) - 4:
            line = sample.count(b"\n", 0, error.start) + 1
            raise InputError(
                f"the file is not UTF-8 (byte 0x{sample[error.start]:02x} at byte offset {error.start}, line {line})",
                file=str(path),
                hint="re-save it as UTF-8, or pass --encoding with its encoding (e.g. cp1252, latin-1, gb18030)",
            ) from error
    return "utf-8"


def locate_undecodable(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """The first bytes the encoding cannot decode: (line, byte offset, reason), reading in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                start = max(0, min(error.start, len(chunk)))
                return lines + chunk.count(b"\n", 0, start), offset + start, error.reason
            offset += len(chunk)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            return lines, offset, error.reason
    return None


def require_decodable(path: Path, hint: str, encoding: str = "utf-8") -> None:
    """Refuse a text file with bytes the encoding cannot decode, naming the line and byte offset of the first."""
    where = locate_undecodable(path, encoding)
    if where:
        raise InputError(
            f"the file has bytes that are not valid {encoding} at line {where[0]}, "
            f"byte offset {where[1]} ({where[2]})",
            file=str(path),
            hint=hint,
        )


def undecodable_error(info: SourceInfo) -> InputError:
    """A one-line error naming the line and byte offset where the file stops being valid text."""
    where = locate_undecodable(info.path, info.encoding)
    at = f" at line {where[0]}, byte offset {where[1]} ({where[2]})" if where else ""
    return InputError(
        f"the file has bytes that are not valid {info.encoding}{at}",
        file=str(info.path),
        hint="re-save it as UTF-8, or pass --encoding with its encoding (e.g. cp1252, latin-1, gb18030)",
    )


def header_names(raw: list[str]) -> list[str]:
    """Header names made usable: byte-order marks and spaces trimmed, blanks and repeats numbered."""
    names: list[str] = []
    seen: set[str] = set()
    for index, name in enumerate(raw, start=1):
        base = name.replace("\ufeff", "").strip() or f"column_{index}"
        candidate, n = base, 2
        while candidate in seen:
            candidate, n = f"{base} ({n})", n + 1
        seen.add(candidate)
        names.append(candidate)
    return names


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that splits the header line into the most fields."""
    counts = {d: header_line.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def inspect_source(
    path: Path, declared_format: str | None = None, encoding: str | None = None, sheet: str | None = None
) -> SourceInfo:
    """Open a file just enough to learn its format, encoding, delimiter, header and hash."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise InputError("the file is empty", file=str(path), hint="export the data again")
    fmt = declared_format or detect_format(path, head)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", file=str(path), hint=f"use one of {', '.join(FORMATS)}")
    info = SourceInfo(path=path, format=fmt, sha256=file_sha256(path))
    if fmt == "parquet":
        try:
            info.columns = header_names(pq.ParquetFile(path).schema_arrow.names)
        except Exception as error:  # a damaged footer fails in many ways inside pyarrow (Arrow, OS, Unicode)
            raise InputError(f"not a readable Parquet file: {_first_line(error)}", file=str(path)) from error
        return info
    if fmt == "xlsx":
        from parcelaudit.ingest.excel import inspect_workbook

        info.sheet, info.columns = inspect_workbook(path, sheet)
        return info
    info.encoding = detect_encoding(path, head, encoding)
    try:
        text = codecs.getincrementaldecoder(info.encoding)(errors="replace").decode(head).lstrip("\ufeff")
    except (UnicodeError, ValueError) as error:
        raise InputError(
            f"cannot decode the file as {info.encoding}: {_first_line(error)}",
            file=str(path),
            hint="pass the file's own --encoding (e.g. utf-8, cp1252, gb18030)",
        ) from error
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if fmt == "csv":
        import csv

        info.delimiter = sniff_delimiter(first_line)
        try:
            info.columns = header_names(next(csv.reader([first_line], delimiter=info.delimiter), []))
        except csv.Error as error:
            raise InputError(f"cannot read the header row: {error}", file=str(path), row=1) from error
        if len(info.columns) > MAX_COLUMNS:
            raise InputError(
                f"the header has {len(info.columns):,} columns (the limit is {MAX_COLUMNS:,})",
                file=str(path),
                row=1,
                hint="check the delimiter, or split the file",
            )
    else:
        first = _parse_json_line(first_line, 1)
        if PARSE_ERROR in first:
            raise InputError(
                f"the first line is {first[PARSE_ERROR]}",
                file=str(path),
                row=1,
                hint="JSON Lines needs one flat JSON object per line",
            )
        info.columns = [k for k in first if k != ROW_NUMBER]
    return info


def json_key(key: str) -> str:
    """A JSON record's key as a column name: byte-order marks and spaces trimmed, reader names kept free."""
    key = key.replace("\ufeff", "").strip()
    return key.lstrip("_") or "unnamed" if key.startswith("__") or not key else key


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def _as_strings(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """Cast every column to string so validation sees text, whatever the source typed it as."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns.append(column.cast(pa.string()))
        elif pa.types.is_boolean(column.type):
            columns.append(pc.if_else(column, "true", "false"))
        else:
            try:
                columns.append(pc.cast(column, pa.string()))
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                # Lists, structs, maps, binary: kept as JSON text, so that nothing is lost.
                columns.append(pa.array([_as_text(v) for v in column.to_pylist()], pa.string()))
    return pa.table(columns, names=header_names(table.column_names))


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return json.dumps(value, ensure_ascii=False, default=str)


def read_batches(info: SourceInfo) -> Iterator[tuple[pa.Table, int]]:
    """Yield (string table, row number of its first record) for the whole file."""
    if info.format == "csv":
        yield from _read_csv(info)
    elif info.format == "jsonl":
        yield from _read_jsonl(info)
    elif info.format == "xlsx":
        from parcelaudit.ingest.excel import read_workbook

        yield from read_workbook(info.path, info.sheet, info.columns, BATCH_ROWS)
    else:
        yield from _read_parquet(info)


def _read_csv(info: SourceInfo) -> Iterator[tuple[pa.Table, int]]:
    malformed_text: list[tuple[str, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reason = f"has {row.actual_columns} fields, the header has {row.expected_columns}"
        malformed_text.append((row.text or "", reason))
        return "skip"

    read_options = pacsv.ReadOptions(
        block_size=CSV_BLOCK_BYTES, encoding=info.encoding, column_names=info.columns, skip_rows=1
    )
    parse_options = pacsv.ParseOptions(
        delimiter=info.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
    )
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in info.columns},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        reader = pacsv.open_csv(
            info.path, read_options=read_options, parse_options=parse_options, convert_options=convert_options
        )
        next_row = 2
        for batch in reader:
            yield _as_strings(batch), next_row
            next_row += batch.num_rows
    except UnicodeError as error:
        raise undecodable_error(info) from error
    except pa.ArrowException as error:
        raise _arrow_error(info, error) from error
    if malformed_text:
        info.malformed = _locate_malformed(info, malformed_text)


def _locate_malformed(info: SourceInfo, malformed: list[tuple[str, str]]) -> list[tuple[int, str, str]]:
    """Find the record numbers of rows the fast parser skipped (rare: re-scan with the csv module)."""
    import csv

    expected = len(info.columns)
    located: list[tuple[int, str, str]] = []
    csv.field_size_limit(CSV_BLOCK_BYTES)
    try:
        with info.path.open(encoding=info.encoding, errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=info.delimiter)
            for index, record in enumerate(reader):
                if index and len(record) != expected and any(cell.strip() for cell in record):
                    located.append((index + 1, info.delimiter.join(record)[:2000], ""))
    except csv.Error:
        located = []  # the slow parser gave up: keep the fast parser's texts, without row numbers
    reasons = iter(reason for _, reason in malformed)
    if len(located) != len(malformed):
        # The two parsers disagree (e.g. on quoting); keep the fast parser's texts and reasons.
        return [(0, text, reason) for text, reason in malformed]
    return [(row, text, next(reasons)) for row, text, _ in located]


def _arrow_error(info: SourceInfo, error: Exception) -> InputError:
    message = _first_line(error)
    if "UTF8" in message or "utf8" in message.lower():
        return undecodable_error(info)
    if "straddling" in message or "straddle" in message:
        return InputError(
            f"a field is longer than the limit of {CSV_BLOCK_BYTES >> 20} MiB (or a quote is never closed)",
            file=str(info.path),
            hint="check the quoting; a manifest field is never that long",
        )
    return InputError(
        f"cannot parse the file: {message}",
        file=str(info.path),
        hint="check that it is a well-formed CSV with a header row",
    )


def _read_jsonl(info: SourceInfo) -> Iterator[tuple[pa.Table, int]]:
    """Parse JSON Lines in bounded chunks; an unparseable line becomes a record with a parse error."""
    buffer: list[dict] = []
    first_row = 1
    with info.path.open(encoding=info.encoding, errors="strict") as handle:
        try:
            number = 0
            while line := handle.readline(MAX_RECORD_CHARS + 1):
                number += 1
                if len(line) > MAX_RECORD_CHARS and not line.endswith("\n"):
                    while (rest := handle.readline(MAX_RECORD_CHARS)) and not rest.endswith("\n"):
                        pass
                    record = _unparsed(number, f"longer than {MAX_RECORD_CHARS:,} characters", line)
                else:
                    if number == 1:
                        line = line.lstrip("\ufeff")
                    if not line.strip():
                        continue
                    record = _parse_json_line(line, number)
                if not buffer:
                    first_row = number
                buffer.append(record)
                if len(buffer) >= BATCH_ROWS // 4:
                    yield _records_table(buffer), first_row
                    buffer = []
        except UnicodeError as error:
            raise undecodable_error(info) from error
    if buffer:
        yield _records_table(buffer), first_row


# Reader-made columns of JSON Lines batches (validation drops every `__` column from the raw record).
PARSE_ERROR = "__parse_error__"
ROW_NUMBER = "__row__"
RAW_LINE = "__raw__"


def _unparsed(number: int, reason: str, line: str) -> dict:
    return {ROW_NUMBER: str(number), PARSE_ERROR: reason, RAW_LINE: line[:2000]}


def _parse_json_line(line: str, number: int) -> dict:
    try:
        record = json.loads(line)
        if not isinstance(record, dict):
            return _unparsed(number, "not a JSON object", line)
        out = {ROW_NUMBER: str(number)}
        for key, value in record.items():
            key = json_key(key)
            if value is None:
                out[key] = None
            elif isinstance(value, bool):
                out[key] = "true" if value else "false"
            elif isinstance(value, (dict, list)):
                out[key] = json.dumps(value, ensure_ascii=False)
            else:
                out[key] = str(value)
        return out
    except json.JSONDecodeError as error:
        return _unparsed(number, f"not valid JSON ({error.msg} at column {error.colno})", line)
    except RecursionError:
        return _unparsed(number, "nested too deeply (a manifest record is a flat JSON object)", line)
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        return _unparsed(number, f"not a usable JSON record ({_first_line(error)})", line)


def _records_table(records: list[dict]) -> pa.Table:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return pa.table({name: pa.array([r.get(name) for r in records], pa.string()) for name in names})


def _read_parquet(info: SourceInfo) -> Iterator[tuple[pa.Table, int]]:
    next_row = 1
    try:
        for batch in pq.ParquetFile(info.path).iter_batches(batch_size=BATCH_ROWS):
            yield _as_strings(batch), next_row
            next_row += batch.num_rows
    except InputError:
        raise
    except Exception as error:  # damaged pages fail in many ways inside pyarrow (Arrow, OS, Unicode)
        raise InputError(
            f"cannot read the Parquet file: {_first_line(error)}", file=str(info.path)
        ) from error
