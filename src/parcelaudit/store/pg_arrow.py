"""Arrow to and from PostgreSQL: column types as DuckDB gives them for the same schema, and CSV for COPY.

Rows cross in PostgreSQL's CSV form (COPY), parsed and written by pyarrow's C++ CSV code, so neither
direction builds a Python object per value. In that form an unquoted empty field is NULL and a quoted one
("") the empty string, on both sides.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from parcelaudit.errors import StoreError

# A NUMERIC without precision (a sum or a division) comes back as DECIMAL(38,9), DuckDB's widest decimal.
LOOSE_NUMERIC = (38, 9)

# PostgreSQL type OID -> Arrow type (as DuckDB returns the matching column).
_BY_OID: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    25: pa.string(),
    1043: pa.string(),
    1042: pa.string(),
    19: pa.string(),
    705: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    1083: pa.time64("us"),
}
_NUMERIC_OID = 1700
_TIMESTAMPTZ_OID = 1184


@dataclass(frozen=True)
class ResultShape:
    """A query's result columns: their names, Arrow types, and the select list that makes PostgreSQL print
    each in a form Arrow reads (loose numerics fixed to DECIMAL(38,9), time zones to UTC, others as text)."""

    names: list[str]
    schema: pa.Schema
    select: str


def result_shape(description: Iterable[Any]) -> ResultShape:
    """The shape of a result from a psycopg cursor description; columns are read as q.c0, q.c1, ..."""
    names, fields, select = [], [], []
    for index, column in enumerate(description):
        ref = f"q.c{index}"
        oid = column.type_code
        if oid == _NUMERIC_OID:
            precision, scale = column.precision, column.scale
            if precision is None or precision > 38:
                precision, scale = LOOSE_NUMERIC
                ref = f"CAST({ref} AS NUMERIC({precision}, {scale}))"
            kind: pa.DataType = pa.decimal128(precision, scale or 0)
        elif oid in _BY_OID:
            kind = _BY_OID[oid]
            if oid == _TIMESTAMPTZ_OID:
                ref = f"({ref} AT TIME ZONE 'UTC')"
        else:  # json, uuid, intervals, arrays...: their text, as DuckDB's VARCHAR of them would read
            kind = pa.string()
            ref = f"CAST({ref} AS TEXT)"
        names.append(column.name)
        fields.append(pa.field(f"c{index}", kind))
        select.append(ref)
    return ResultShape(names, pa.schema(fields), ", ".join(select) or "1")


def _convert_options(schema: pa.Schema) -> pa_csv.ConvertOptions:
    return pa_csv.ConvertOptions(
        column_types=schema,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["t"],
        false_values=["f"],
    )


# A one-column row holding NULL is an empty line: it is a row, not a blank to skip.
_PARSE = pa_csv.ParseOptions(ignore_empty_lines=False)


def _renamed(table: pa.Table, shape: ResultShape) -> pa.Table:
    return table.rename_columns(shape.names)


def read_csv(source: IO[bytes], shape: ResultShape) -> pa.Table:
    """PostgreSQL CSV (COPY ... TO STDOUT) from a file, as an Arrow table of the result's shape."""
    if not source.read(1):
        return _renamed(shape.schema.empty_table(), shape)
    source.seek(0)
    table = pa_csv.read_csv(
        source,
        read_options=pa_csv.ReadOptions(column_names=shape.schema.names),
        parse_options=_PARSE,
        convert_options=_convert_options(shape.schema),
    )
    return _renamed(table, shape)


def read_csv_batches(source: IO[bytes], shape: ResultShape, rows: int) -> Iterator[pa.RecordBatch]:
    """PostgreSQL CSV from a file, as record batches of at most `rows` rows (the last may be shorter)."""
    schema = pa.schema([pa.field(name, f.type) for name, f in zip(shape.names, shape.schema, strict=True)])
    if not source.read(1):
        return
    source.seek(0)
    reader = pa_csv.open_csv(
        source,
        read_options=pa_csv.ReadOptions(column_names=shape.schema.names, block_size=16 << 20),
        parse_options=_PARSE,
        convert_options=_convert_options(shape.schema),
    )
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in reader:
        pending.append(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
        held += batch.num_rows
        while held >= rows:
            combined = pa.Table.from_batches(pending, schema).combine_chunks()
            yield from combined.slice(0, rows).to_batches(max_chunksize=rows)
            rest = combined.slice(rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield from pa.Table.from_batches(pending, schema).combine_chunks().to_batches(max_chunksize=rows)


def _column_type(kind: pa.DataType, column: str) -> str:
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_int8(kind) or pa.types.is_int16(kind) or pa.types.is_uint8(kind):
        return "SMALLINT"
    if pa.types.is_int32(kind) or pa.types.is_uint16(kind):
        return "INTEGER"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_float32(kind):
        return "REAL"
    if pa.types.is_floating(kind):
        return "DOUBLE PRECISION"
    if pa.types.is_decimal(kind):
        return f"NUMERIC({kind.precision}, {kind.scale})"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
        return "TEXT"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    if pa.types.is_time(kind):
        return "TIME"
    raise StoreError(
        f"column {column!r} has Arrow type {kind}, which the PostgreSQL engine does not store",
        hint="give the column a plain type (number, text, boolean, date or timestamp)",
    )


def plain(data: pa.Table) -> pa.Table:
    """data with dictionary-encoded columns decoded to their values (what PostgreSQL stores)."""
    for index, field in enumerate(data.schema):
        if pa.types.is_dictionary(field.type):
            data = data.set_column(index, field.name, data.column(index).cast(field.type.value_type))
    return data


def column_definitions(schema: pa.Schema) -> str:
    """A CREATE TABLE column list for an Arrow schema (how staged data is typed on PostgreSQL)."""
    return ", ".join(
        f'"{f.name}" {_column_type(f.type.value_type if pa.types.is_dictionary(f.type) else f.type, f.name)}'
        for f in schema
    )


def csv_chunks(data: pa.Table, table: str, rows: int = 100_000) -> Iterator[bytes]:
    """data as PostgreSQL CSV (no header), in chunks of at most `rows` rows, for COPY ... FROM STDIN into
    table; refuses, before any row is sent, a nested type or text with a NUL character (PostgreSQL stores
    neither)."""
    data = plain(data)
    for field in data.schema:
        _column_type(field.type, field.name)
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            found = pc.match_substring(data.column(field.name), "\x00")
            if pc.any(found).as_py():
                row = pc.index(found, True).as_py()
                raise StoreError(
                    f"text with a NUL character (\\x00) in row {row + 1} of the data for {table}",
                    field=field.name,
                    hint="remove NUL characters from the source (PostgreSQL cannot store them)",
                )
    for batch in data.to_batches(max_chunksize=rows):
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
        yield buffer.getvalue()
