"""Validate one batch of raw string columns against a canonical table: typed rows out, rejects out.

Pure function over Arrow (no storage): every field is parsed by its kind; a row with any problem is
rejected with one reject record per problem (row, field, value, reason). Values that a column holds
only a few distinct times (dates, countries, codes) are parsed once per distinct value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import InputError
from parcelaudit.ingest.mapping import TableMapping
from parcelaudit.ingest.readers import PARSE_ERROR, RAW_LINE, ROW_NUMBER
from parcelaudit.reference.codes import currency_codes, normalise_country
from parcelaudit.schema import ENTRY_TYPES, Field

MAX_TEXT_CHARS = 4_000  # a manifest field longer than this is junk or an attack, not data
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)
REJECT_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("field", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)


@dataclass
class Validated:
    """The outcome of validating one batch: all rows typed (with source_row), which are good, and rejects."""

    rows: pa.Table
    rejects: pa.Table
    ok_mask: pa.Array


def _clean_text(raw: pa.Array) -> pa.Array:
    """Trim whitespace; an empty value is absent (null). The common batch has no empty value at all."""
    trimmed = pc.utf8_trim_whitespace(raw)
    if not pc.any(pc.equal(pc.binary_length(trimmed), 0)).as_py():
        return trimmed
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _too_long(text: pa.Array) -> pa.Array:
    """Values over MAX_TEXT_CHARS characters (bytes bound characters from above, so most batches stop early)."""
    if not pc.any(pc.greater(pc.binary_length(text), MAX_TEXT_CHARS)).as_py():
        return pa.array(np.zeros(len(text), dtype=bool))
    return pc.fill_null(pc.greater(pc.utf8_length(text), MAX_TEXT_CHARS), False)


def _map_distinct(values: pa.Array, parse: Callable[[str], object], out_type: pa.DataType) -> pa.Array:
    """Apply parse to each distinct non-null value once; unparseable values (None) become null."""
    distinct = pc.unique(values.drop_null())
    parsed = [parse(v) for v in distinct.to_pylist()]
    indices = pc.index_in(values, value_set=distinct)
    return pc.take(pa.array(parsed, out_type), indices)


ISO_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
# Formats tried on a date column that is not ISO; a column is read in the one format all its values fit.
OTHER_DATE_FORMATS = (
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%m-%d-%Y",
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d, %Y",
)
_TIME_PART = re.compile(
    r"^(\S+(?:\s\S+,?\s\S+)?)[ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\s*([AaPp][Mm])?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def _date_part(text: str) -> str:
    if len(text) > 10 and text[10] in "T " and text[4:5] == "-":
        return text[:10]
    match = _TIME_PART.match(text)
    return match.group(1) if match else text


def _parse_date(text: str, formats: tuple[str, ...] = ISO_DATE_FORMATS) -> date | None:
    candidate = _date_part(text)
    for fmt in formats:
        try:
            parsed = datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
        return parsed if EARLIEST <= parsed <= LATEST else None
    return None


_FORMAT_NAMES = {"%m": "MM", "%d": "DD", "%Y": "YYYY", "%y": "YY", "%b": "Mon"}


def format_label(fmt: str) -> str:
    """A strftime format as people write it: %m/%d/%Y -> MM/DD/YYYY."""
    for code, name in _FORMAT_NAMES.items():
        fmt = fmt.replace(code, name)
    return fmt


def choose_date_format(values: list[str], column: str, file: str) -> tuple[str | None, str | None]:
    """The format a date column is written in: (format or None for ISO, note); refuses an ambiguous column.

    A column is read in the one non-ISO format that the most of its distinct values fit; if two formats
    fit equally many values and read some value differently (03/04 as March or April), it is refused.
    """
    distinct = [v for v in dict.fromkeys(v.strip() for v in values) if v]
    if not distinct or all(_parse_date(v) for v in distinct):
        return None, None
    fits: dict[str, list[date | None]] = {}
    for fmt in OTHER_DATE_FORMATS:
        parsed = [_parse_date(v, (fmt,)) for v in distinct]
        if any(parsed):
            fits[fmt] = parsed
    if not fits:
        return None, None
    best = max(sum(p is not None for p in parsed) for parsed in fits.values())
    top = [fmt for fmt, parsed in fits.items() if sum(p is not None for p in parsed) == best]
    readings = {tuple(fits[fmt]) for fmt in top}
    if len(readings) > 1:
        example = next(v for i, v in enumerate(distinct) if len({fits[fmt][i] for fmt in top}) > 1)
        raise InputError(
            f"the dates of column {column!r} are ambiguous: {example!r} reads as "
            + " or ".join(format_label(fmt) for fmt in top),
            file=file,
            field=column,
            hint=f"pass --date-format (e.g. --date-format {top[0]}) or set date_format in the map",
        )
    fmt = top[0]
    ambiguous = "" if len(top) == 1 else " (every value reads the same either way)"
    note = (
        f"column {column!r}: dates read as {format_label(fmt)} ({fmt}){ambiguous}; "
        f"{best:,} of {len(distinct):,} distinct values fit"
    )
    return fmt, note


def _parse_timestamp(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed if EARLIEST <= parsed.date() <= LATEST else None


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _parse_bool(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def _parse_entry_type(text: str) -> str | None:
    key = text.lower().replace(" ", "").replace("-", "")
    for prefix in ("section", "entrytype", "type", "et", "t"):
        if key.startswith(prefix) and key[len(prefix) :]:
            key = key[len(prefix) :]
            break
    key = {"1": "01", "321": "321", "mail": "postal", "post": "postal"}.get(key, key)
    return key if key in ENTRY_TYPES else None


def _parse_currency(text: str) -> str | None:
    code = text.upper()
    return code if code in currency_codes() else None


_NUMBER = r"^[0-9]+(\.[0-9]+)?$"
_THOUSANDS = r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"


def _parse_numbers(text: pa.Array, integer: bool) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Vectorised number parsing: (values, unparseable mask, negative mask)."""
    present = pc.is_valid(text)
    fast = _cast_plain_numbers(text, integer)
    if fast is not None:
        no_errors = pa.array(np.zeros(len(text), dtype=bool))
        return fast, no_errors, pc.fill_null(pc.less(fast, 0), False)
    stripped = pc.replace_substring_regex(text, r"^\$|\s", "")
    stripped = pc.if_else(
        pc.match_substring_regex(stripped, r"^-?" + _THOUSANDS[1:]),
        pc.replace_substring(stripped, ",", ""),
        stripped,
    )
    negative = pc.fill_null(pc.starts_with(stripped, "-"), False)
    magnitude = pc.replace_substring_regex(stripped, r"^-", "")
    pattern = r"^[0-9]+$" if integer else _NUMBER
    well_formed = pc.fill_null(pc.match_substring_regex(magnitude, pattern), True)
    bad = pc.and_(present, pc.invert(well_formed))
    safe = pc.if_else(well_formed, magnitude, pa.scalar(None, pa.string()))
    values = pc.cast(safe, pa.int64() if integer else pa.float64())
    return values, bad, pc.and_(present, pc.and_(negative, well_formed))


def _cast_plain_numbers(text: pa.Array, integer: bool) -> pa.Array | None:
    """The common case in one step: every value is a plain number; None sends the batch to the slow path."""
    try:
        values = pc.cast(text, pa.int64() if integer else pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not integer and pc.any(pc.invert(pc.is_finite(values))).as_py():
        return None  # nan or inf: the slow path rejects them with a reason
    return values


def _hts_digits(text: pa.Array) -> pa.Array:
    """HTS codes without their separators: dots always; spaces and dashes (rarer) only when present."""
    digits = pc.replace_substring(text, ".", "")
    if pc.any(pc.match_substring_regex(digits, r"[\s\-]")).as_py():
        digits = pc.replace_substring_regex(digits, r"[\s\-]", "")
    return digits


def _parse_field(
    spec: Field, text: pa.Array, date_format: str | None = None, decimal: str = "."
) -> tuple[pa.Array, list[tuple[pa.Array, str]]]:
    """Parse one column by its kind; return typed values and (error mask, reason) pairs."""
    errors: list[tuple[pa.Array, str]] = []
    present = pc.is_valid(text)

    def unparsed(values: pa.Array, reason: str) -> None:
        errors.append((pc.and_(present, pc.is_null(values)), reason))

    kind = spec.kind
    if kind in ("money", "number", "integer"):
        if decimal == ",":
            # 1.234,50 -> 1234.50: the dot and spaces group thousands, the comma marks decimals.
            text = pc.replace_substring(pc.replace_substring_regex(text, r"[.\s]", ""), ",", ".")
        values, bad, negative = _parse_numbers(text, integer=kind == "integer")
        what = (
            "a whole number"
            if kind == "integer"
            else 'a number such as 12,50 (the map says decimal = ",")'
            if decimal == ","
            else "a number such as 12.50"
        )
        errors.append((bad, f"not {what}"))
        errors.append((negative, "negative value"))
    elif kind == "date" and date_format:
        values = _map_distinct(
            text, lambda t, f=(date_format, *ISO_DATE_FORMATS): _parse_date(t, f), pa.date32()
        )
        unparsed(
            values, f"not a date in the format {format_label(date_format)} (or ISO), between 1990 and 2100"
        )
    elif kind == "date":
        values = _map_distinct(text, _parse_date, pa.date32())
        unparsed(values, "not a date (use YYYY-MM-DD, between 1990 and 2100)")
    elif kind == "timestamp":
        values = _map_distinct(text, _parse_timestamp, pa.timestamp("s"))
        unparsed(values, "not a date or date-time (use ISO 8601, e.g. 2025-06-01T14:30:00Z)")
    elif kind == "country":
        values = _map_distinct(text, normalise_country, pa.string())
        unparsed(values, "unknown country code (use ISO 3166-1 alpha-2, e.g. CN)")
    elif kind == "currency":
        values = _map_distinct(text, _parse_currency, pa.string())
        unparsed(values, "unknown currency code (use ISO 4217, e.g. USD)")
    elif kind == "bool":
        values = _map_distinct(text, _parse_bool, pa.bool_())
        unparsed(values, "not true/false (use true, false, yes, no, 1 or 0)")
    elif kind == "hts":
        digits = _hts_digits(text)
        length = pc.binary_length(digits)
        right_length = pc.or_(pc.equal(length, 10), pc.or_(pc.equal(length, 8), pc.equal(length, 6)))
        well_formed = pc.fill_null(pc.and_(right_length, pc.utf8_is_digit(digits)), True)
        errors.append(
            (
                pc.and_(present, pc.invert(well_formed)),
                "malformed HTS code (use 6, 8 or 10 digits, e.g. 6109.10.0012)",
            )
        )
        values = pc.if_else(well_formed, digits, pa.scalar(None, pa.string()))
    elif kind == "enum":
        parse = (
            _parse_entry_type
            if spec.name == "entry_type"
            else (lambda t, choices=spec.choices: t.lower() if t.lower() in choices else None)
        )
        values = _map_distinct(text, parse, pa.string())
        unparsed(values, f"unknown value (use one of {', '.join(spec.choices)})")
    else:
        values = text
    return values, errors


def validate_batch(raw: pa.Table, mapping: TableMapping, first_row: int) -> Validated:
    """Validate a raw string batch for one canonical table; rows are numbered from first_row."""
    n = raw.num_rows
    if ROW_NUMBER in raw.column_names:
        source_row = pc.cast(raw[ROW_NUMBER], pa.int64()).combine_chunks()
    else:
        source_row = pa.array(range(first_row, first_row + n), pa.int64())
    columns: dict[str, pa.Array] = {}
    problems: list[tuple[str, pa.Array, pa.Array, str]] = []  # field, mask, shown value, reason
    parse_error = parse_error_column(raw)
    unparsed = pc.is_valid(parse_error) if parse_error is not None else None
    for spec in mapping.table.fields:
        source = mapping.columns.get(spec.name)
        constant = mapping.constants.get(spec.name)
        if source:
            text = _clean_text(raw[source].combine_chunks())
        elif constant is not None:
            text = pa.array([constant] * n, pa.string())
        else:
            text = pa.nulls(n, pa.string())
        if source and pc.any(pc.fill_null(pc.match_substring(text, "\ufeff"), False)).as_py():
            problems.append(
                (
                    spec.name,
                    pc.fill_null(pc.match_substring(text, "\ufeff"), False),
                    pc.replace_substring(text, "\ufeff", "<U+FEFF>"),
                    "holds a byte-order mark (U+FEFF) inside the value: two files joined into one? "
                    "remove it and import again",
                )
            )
        too_long = _too_long(text)
        problems.append(
            (
                spec.name,
                too_long,
                pc.utf8_slice_codeunits(text, 0, 200),
                f"longer than {MAX_TEXT_CHARS} characters",
            )
        )
        if pc.any(too_long).as_py():
            text = pc.if_else(too_long, pa.scalar(None, pa.string()), text)
        values, errors = _parse_field(spec, text, mapping.date_formats.get(spec.name), mapping.decimal)
        problems.extend((spec.name, mask, text, reason) for mask, reason in errors)
        if spec.default is not None:
            default = (
                pa.scalar(spec.default).cast(values.type)
                if spec.kind != "integer"
                else pa.scalar(int(spec.default), pa.int64())
            )
            values = pc.fill_null(values, default)
        if spec.required:
            failed_parse = _any([mask for mask, _ in errors]) if errors else None
            missing = (
                pc.is_null(values)
                if failed_parse is None
                else pc.and_(pc.is_null(values), pc.invert(failed_parse))
            )
            problems.append(
                (spec.name, pc.and_(missing, pc.invert(too_long)), text, "missing required field")
            )
        columns[spec.name] = values.cast(spec.type)
    if unparsed is not None:
        # A line that is not JSON has one problem to report, not one per missing field.
        problems = [(f, pc.and_(m, pc.invert(unparsed)), v, r) for f, m, v, r in problems]
        problems.insert(0, ("", unparsed, raw[RAW_LINE].combine_chunks(), ""))
    bad_rows = _any([mask for _, mask, _, _ in problems])
    ok = pc.invert(bad_rows)
    rows = pa.table({**columns, "source_row": source_row})
    return Validated(rows=rows, rejects=_reject_records(raw, source_row, problems, parse_error), ok_mask=ok)


def parse_error_column(raw: pa.Table) -> pa.Array | None:
    """The JSON Lines parse error per record, when the reader found any."""
    return raw[PARSE_ERROR].combine_chunks() if PARSE_ERROR in raw.column_names else None


def _any(masks: list[pa.Array]) -> pa.Array:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.or_(result, mask)
    return pc.fill_null(result, False)


def _reject_records(
    raw: pa.Table,
    source_row: pa.Array,
    problems: list[tuple[str, pa.Array, pa.Array, str]],
    parse_error: pa.Array | None,
) -> pa.Table:
    parts = []
    for field_name, mask, shown, reason in problems:
        mask = pc.fill_null(mask, False)
        if not pc.any(mask).as_py():
            continue
        index = pc.indices_nonzero(mask)
        if not field_name and parse_error is not None:
            reasons = pc.take(parse_error, index)
        else:
            reasons = pa.array([reason] * len(index), pa.string())
        parts.append(
            pa.table(
                {
                    "row_number": pc.take(source_row, index),
                    "field": pa.array([field_name or None] * len(index), pa.string()),
                    "value": pc.utf8_slice_codeunits(pc.take(shown, index), 0, 200),
                    "reason": reasons,
                    "index": index,
                }
            )
        )
    if not parts:
        return REJECT_SCHEMA.empty_table()
    found = pa.concat_tables(parts)
    visible = [c for c in raw.column_names if not c.startswith("__")]
    records = raw.select(visible).take(found["index"]).to_pylist()
    raw_json = [
        json.dumps({k: (v[:2000] if isinstance(v, str) else v) for k, v in r.items()}, ensure_ascii=False)
        for r in records
    ]
    return pa.table(
        {
            "row_number": found["row_number"],
            "field": found["field"],
            "value": found["value"],
            "reason": found["reason"],
            "raw": pa.array(raw_json, pa.string()),
        }
    ).sort_by([("row_number", "ascending")])
