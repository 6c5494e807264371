"""Propose a mapping file for a foreign manifest: header aliases first, then the shapes of the values.

The proposal is a starting point the user edits: every column is listed, placed or not, with the
reason; date columns get the format their values fit (or a note that they are ambiguous).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import InputError
from parcelaudit.ingest.mapping import detect_tables, unplaced_columns
from parcelaudit.ingest.readers import SourceInfo, read_batches
from parcelaudit.ingest.validate import _parse_date, _parse_entry_type, choose_date_format, format_label
from parcelaudit.reference.codes import currency_codes, normalise_country

SAMPLE_ROWS = 1_000
_HTS = re.compile(r"^\d{4}[.\s]?\d{2}([.\s]?\d{2}([.\s]?\d{2})?)?$")


def _sample(info: SourceInfo) -> pa.Table:
    for raw, _ in read_batches(info):
        return raw.slice(0, SAMPLE_ROWS)
    raise InputError("the file has a header but no rows", file=str(info.path), hint="export the data again")


def _values(raw: pa.Table, column: str) -> list[str]:
    if column not in raw.column_names:
        return []
    values = pc.utf8_trim_whitespace(raw[column].combine_chunks().drop_null())
    return [v for v in pc.unique(values).to_pylist() if v]


def _all(values: list[str], test) -> bool:
    return bool(values) and all(test(v) for v in values)


def _guess(values: list[str], taken: set[str]) -> tuple[str, str] | None:
    """(field, why) for a column by the shape of its values, when one field fits and is still free."""

    def is_date(v: str) -> bool:
        try:
            return _parse_date(v) is not None or choose_date_format([v], "", "")[0] is not None
        except InputError:
            return True  # ambiguous on its own, but a date

    shapes = [
        (
            "entry_type",
            lambda v: (_parse_entry_type(v) is not None and not v.isdigit()) or v in ("86", "321"),
        ),
        ("hts_code", lambda v: bool(_HTS.match(v))),
        ("currency", lambda v: v.upper() in currency_codes() and len(v) == 3 and v.isalpha()),
        ("country_of_origin", lambda v: len(v) == 2 and normalise_country(v) is not None),
        ("country_of_shipment", lambda v: len(v) == 2 and normalise_country(v) is not None),
        ("arrival_date", is_date),
    ]
    for name, test in shapes:
        if name in taken or not _all(values, test):
            continue
        return name, f"values look like {name.replace('_', ' ')}"
    return None


def suggest_map(info: SourceInfo) -> str:
    """A proposed map.toml for the file: placed columns, guessed ones, and every column left unplaced."""
    raw = _sample(info)
    try:
        mappings = detect_tables(info.columns, file=str(info.path))
    except InputError:
        mappings = []
    placed: dict[str, tuple[str, str]] = {}
    for mapping in mappings:
        for name, source in mapping.columns.items():
            placed.setdefault(source, (name, "header"))
    taken = {name for name, _ in placed.values()}
    for column in unplaced_columns(info.columns, mappings):
        guess = _guess(_values(raw, column), taken)
        if guess:
            placed[column] = guess
            taken.add(guess[0])
    lines = [
        f"# Proposed by `parcelaudit ingest --suggest-map` for {info.path.name}; check every line, then",
        f"# run `parcelaudit ingest {info.path.name} --map THIS_FILE`. Field names: docs/data-model.md.",
        '# A column mapped to "" (or not listed) is kept per row in the store\'s source_extras table.',
    ]
    date_columns = [c for c, (name, _) in placed.items() if name.endswith("_date")]
    formats: dict[str, str] = {}
    ambiguous: list[str] = []
    for column in date_columns:
        try:
            fmt, _ = choose_date_format(_values(raw, column), column, str(info.path))
        except InputError as error:
            ambiguous.append(f"# {error.message}")
            continue
        if fmt:
            formats[column] = fmt
    if len(set(formats.values())) == 1:
        fmt = next(iter(formats.values()))
        lines.append(f"date_format = {json.dumps(fmt)}  # {format_label(fmt)}: every sampled value fits")
    elif formats:
        lines.extend(f"# {c!r} fits {f}" for c, f in formats.items())
        lines.append('# date_format = "..."  # the date columns differ: choose one or fix the file')
    if ambiguous:
        lines.extend(ambiguous)
        lines.append('# date_format = "%m/%d/%Y"  # US carriers write MM/DD/YYYY; choose the file\'s')
    lines.append('decimal = "."  # "," when the file writes 12,50')
    names = set(taken)
    if "currency" not in names:
        lines.append('# currency = "USD"  # no currency column: the currency of every value in the file')
    if "value" in names and "declared_value" not in names:
        lines.append(
            'value_scope = "line"  # the value column is per line; use "shipment" if it is the parcel\'s value'
        )
    lines.append("")
    lines.append("[columns]")
    unplaced = []
    for column in info.columns:
        if column in placed:
            name, why = placed[column]
            lines.append(f"{json.dumps(column, ensure_ascii=False)} = {json.dumps(name)}  # {why}")
        else:
            unplaced.append(column)
    if unplaced:
        lines.append("# Not placed (kept as extras unless you name a field):")
        lines.extend(f'{json.dumps(column, ensure_ascii=False)} = ""' for column in unplaced)
    required_missing = [
        f.name
        for m in (mappings or [])
        for f in m.table.fields
        if f.required and f.default is None and f.name not in taken and f.name != "declared_value"
    ]
    if required_missing:
        lines.append(f"# Still missing required field(s): {', '.join(dict.fromkeys(required_missing))}")
    return "\n".join(lines) + "\n"


def write_suggestion(info: SourceInfo, out: Path) -> tuple[Path, list[str]]:
    """Write the proposed map to out (never over an existing file); returns it and the unplaced columns."""
    if out.exists():
        raise InputError("the map file already exists", file=str(out), hint="move it away or pass --map-out")
    text = suggest_map(info)
    out.write_text(text, encoding="utf-8")
    unplaced = [json.loads(line.split(" = ")[0]) for line in text.splitlines() if line.endswith(' = ""')]
    return out, unplaced
