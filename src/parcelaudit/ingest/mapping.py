"""Map source column names to canonical fields, and decide which canonical tables a file feeds."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from parcelaudit.errors import InputError
from parcelaudit.schema import LINES, ORDERS, PAYMENTS, SHIPMENTS, TABLES, Table

VALUE_SCOPES = ("shipment", "line")

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_column(name: str) -> str:
    """Lower-case a header and fold every run of other characters to one underscore."""
    return _NON_WORD.sub("_", name.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class TableMapping:
    """For one canonical table: canonical field -> source column that feeds it, and how to read values.

    constants: field -> value for every row (a map's file-level currency); date_formats: field ->
    strptime format; decimal: the decimal mark of numbers; derived: fields the importer computes after
    the load (declared_value summed from line values).
    """

    table: Table
    columns: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)
    decimal: str = "."
    derived: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ColumnMap:
    """A user's mapping file (`--map map.toml`): header -> field, and how the file writes its values."""

    columns: dict[str, str] = field(default_factory=dict)  # source header -> field ("" keeps it as extra)
    date_format: str | None = None
    decimal: str = "."
    currency: str | None = None
    value_scope: str | None = None
    sheet: str | None = None


def all_field_names() -> set[str]:
    """Every canonical field name of every table."""
    return {spec.name for table in TABLES.values() for spec in table.fields}


def check_date_format(text: str, where: str, file: str) -> str:
    """Refuse a strftime format that does not read back a day, a month and a year."""
    from datetime import datetime

    probe = date(2031, 12, 25)
    try:
        shown = probe.strftime(text)
        ok = datetime.strptime(shown, text).date() == probe
    except ValueError:
        ok = False
    if not ok:
        raise InputError(
            f"date format {text!r} does not read a day, a month and a year",
            file=file,
            field=where,
            hint="use strftime codes, e.g. %m/%d/%Y for 03/08/2025 or %d.%m.%Y for 08.03.2025",
        )
    return text


def load_map(path: Path) -> ColumnMap:
    """Read and check a mapping file; every problem is a one-line error naming the key."""
    from parcelaudit.reference.codes import currency_codes

    file = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError as error:
        raise InputError("no such map file", file=file, hint="check the --map path") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        raise InputError(f"not a readable TOML map: {error}", file=file) from error
    known = {"columns", "date_format", "decimal", "currency", "value_scope", "sheet"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(unknown)}", file=file, hint=f"use only {', '.join(sorted(known))}"
        )
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError("[columns] must map header names to field names (strings)", file=file)
    fields = all_field_names()
    for header, target in columns.items():
        if target and target not in fields:
            raise InputError(
                f"{target!r} is not a field name",
                file=file,
                field=header,
                hint='use a field of docs/data-model.md, or "" to keep the column as an extra',
            )
    date_format = data.get("date_format")
    if date_format is not None:
        date_format = check_date_format(str(date_format), "date_format", file)
    decimal = str(data.get("decimal", "."))
    if decimal not in (".", ","):
        raise InputError(f'decimal must be "." or ",", not {decimal!r}', file=file, field="decimal")
    currency = data.get("currency")
    if currency is not None and str(currency).upper() not in currency_codes():
        raise InputError(f"unknown currency {currency!r}", file=file, field="currency", hint="use ISO 4217")
    scope = data.get("value_scope")
    if scope is not None and scope not in VALUE_SCOPES:
        raise InputError(
            f'value_scope must be "shipment" or "line", not {scope!r}', file=file, field="value_scope"
        )
    sheet = data.get("sheet")
    return ColumnMap(
        columns=dict(columns),
        date_format=date_format,
        decimal=decimal,
        currency=str(currency).upper() if currency else None,
        value_scope=scope,
        sheet=str(sheet) if sheet is not None else None,
    )


def map_columns(
    table: Table, source_columns: list[str], explicit: dict[str, str] | None = None
) -> TableMapping:
    """Match source columns to a table's fields: a map's entries, exact canonical names, then aliases."""
    explicit = {k: v for k, v in (explicit or {}).items() if k in source_columns}
    mapping: dict[str, str] = {}
    for source, target in explicit.items():
        if target and target in table.names and target not in mapping:
            mapping[target] = source
    free = [c for c in source_columns if c not in explicit]
    normalised = {normalise_column(column): column for column in reversed(free)}
    used: set[str] = set()
    for spec in table.fields:
        if spec.name in mapping:
            continue
        if spec.name in normalised:
            mapping[spec.name] = normalised[spec.name]
            used.add(spec.name)
    for spec in table.fields:
        if spec.name in mapping:
            continue
        for alias in spec.aliases:
            if alias in normalised and alias not in used:
                mapping[spec.name] = normalised[alias]
                used.add(alias)
                break
    return TableMapping(table, mapping)


_LINE_ONLY = {
    "line_no",
    "description",
    "hts_code",
    "quantity",
    "unit",
    "value",
    "country_of_origin",
    "manufacturer_name",
    "manufacturer_address",
    "manufacturer_country",
    "sku",
    "listing_url",
    "image_url",
}


def plan_tables(
    source_columns: list[str],
    forced: str | None = None,
    *,
    file: str = "",
    column_map: ColumnMap | None = None,
    date_format: str | None = None,
) -> list[TableMapping]:
    """The tables a file feeds and how each is read: detection, then the map's value scope and options."""
    column_map = column_map or ColumnMap()
    mappings = detect_tables(source_columns, forced, file=file, explicit=column_map.columns)
    # Without a line number column, the lines of a parcel are numbered 1, 2, ... in file order.
    mappings = [
        replace(m, derived=frozenset({"line_no"})) if m.table is LINES and "line_no" not in m.columns else m
        for m in mappings
    ]
    by_name = {m.table.name: m for m in mappings}
    shipments, lines = by_name.get("shipments"), by_name.get("lines")
    if shipments and lines:
        ship_cols, line_cols = dict(shipments.columns), dict(lines.columns)
        derived: frozenset[str] = frozenset()
        if (
            column_map.value_scope == "shipment"
            and "value" in line_cols
            and "declared_value" not in ship_cols
        ):
            ship_cols["declared_value"] = line_cols.pop("value")
        elif column_map.value_scope == "line" and "declared_value" in ship_cols and "value" not in line_cols:
            line_cols["value"] = ship_cols.pop("declared_value")
        if column_map.value_scope == "shipment" and "value" in line_cols:
            line_cols.pop("value")  # the value is the parcel's: line values stay empty
        if "declared_value" not in ship_cols and "value" in line_cols:
            derived = frozenset({"declared_value"})  # the parcel's value is the sum of its line values
        shipments = TableMapping(SHIPMENTS, ship_cols, derived=derived)
        lines = TableMapping(LINES, line_cols, derived=lines.derived)
        by_name.update(shipments=shipments, lines=lines)
        mappings = [by_name[m.table.name] for m in mappings]
    fmt = date_format or column_map.date_format
    planned = []
    for mapping in mappings:
        constants = dict(mapping.constants)
        if "declared_value" in mapping.derived:
            constants["declared_value"] = "0"  # a placeholder the importer replaces by the lines' sum
        if column_map.currency and "currency" in mapping.table.names and "currency" not in mapping.columns:
            constants["currency"] = column_map.currency
        formats = (
            {f.name: fmt for f in mapping.table.fields if f.kind == "date" and f.name in mapping.columns}
            if fmt
            else {}
        )
        planned.append(
            TableMapping(
                mapping.table,
                mapping.columns,
                constants=constants,
                date_formats=formats,
                decimal=column_map.decimal,
                derived=mapping.derived,
            )
        )
    return planned


def unplaced_columns(source_columns: list[str], mappings: list[TableMapping]) -> list[str]:
    """Source columns that feed no field of any table the file feeds (kept as extras)."""
    used = {source for m in mappings for source in m.columns.values()}
    return [c for c in source_columns if c not in used and not c.startswith("__")]


def detect_tables(
    source_columns: list[str],
    forced: str | None = None,
    *,
    file: str = "",
    explicit: dict[str, str] | None = None,
) -> list[TableMapping]:
    """Decide which canonical tables the file feeds (a flat manifest feeds shipments and lines)."""
    if forced:
        names = ["shipments", "lines"] if forced == "flat" else [forced]
        unknown = [n for n in names if n not in TABLES]
        if unknown:
            raise InputError(
                f"unknown table {forced!r}", file=file, hint="use shipments, lines, orders, payments or flat"
            )
        return [map_columns(TABLES[n], source_columns, explicit) for n in names]
    mappings = {name: map_columns(table, source_columns, explicit) for name, table in TABLES.items()}
    shipment_fields = set(mappings["shipments"].columns)
    line_fields = set(mappings["lines"].columns)
    if not any(m.columns for m in mappings.values()):
        shown = ", ".join(repr(c) for c in source_columns[:6])
        raise InputError(
            f"no recognised column names in the first row (found {shown})",
            file=file,
            row=1,
            hint="the first row must name the columns, e.g. shipment_id, entry_type, arrival_date, "
            "country_of_shipment, declared_value (see README: data model and column aliases)",
        )
    if "payment_id" in mappings["payments"].columns:
        return [mappings["payments"]]
    if "order_date" in mappings["orders"].columns and "shipment_id" not in shipment_fields:
        return [mappings["orders"]]
    if "shipment_id" in shipment_fields:
        # A column that names a line field exactly is never read as a shipment alias (e.g. `value`).
        line_sources = {
            source
            for name, source in mappings["lines"].columns.items()
            if normalise_column(source) == name and name != "shipment_id"
        }
        shipments = TableMapping(
            SHIPMENTS, {k: v for k, v in mappings["shipments"].columns.items() if v not in line_sources}
        )
        has_line = bool(line_fields & _LINE_ONLY)
        has_shipment = bool(
            set(shipments.columns) & {"entry_type", "arrival_date", "declared_value", "country_of_shipment"}
        )
        if has_line and has_shipment:
            return [shipments, mappings["lines"]]
        if has_line:
            return [mappings["lines"]]
        return [shipments]
    raise InputError(
        "cannot tell which table this file holds (no shipment_id, order_id + order_date or payment_id column)",
        file=file,
        row=1,
        hint="name the key column, or pass --table shipments|lines|orders|payments|flat",
    )


def require_columns(mapping: TableMapping, file: str, unplaced: list[str] | None = None) -> None:
    """Refuse a file whose header lacks a required column that has no default, naming unread columns."""
    missing = [
        f.name
        for f in mapping.table.fields
        if f.required
        and f.default is None
        and f.name not in mapping.columns
        and f.name not in mapping.constants
        and f.name not in mapping.derived
    ]
    if missing:
        accepted = "; ".join(
            f"{name} (or {', '.join(mapping.table.field(name).aliases[:4]) or 'no alias'})"
            for name in missing
        )
        not_understood = (
            f"; columns not understood: {', '.join(repr(c) for c in unplaced)}" if unplaced else ""
        )
        raise InputError(
            f"the {mapping.table.name} columns lack required field(s): {', '.join(missing)}{not_understood}",
            file=file,
            row=1,
            hint=f"write a map with `parcelaudit ingest {Path(file).name} --suggest-map`, edit it and pass "
            f"--map, or name a column {accepted}",
        )


__all__ = [
    "LINES",
    "ORDERS",
    "PAYMENTS",
    "SHIPMENTS",
    "ColumnMap",
    "TableMapping",
    "detect_tables",
    "load_map",
    "map_columns",
    "normalise_column",
    "plan_tables",
    "require_columns",
    "unplaced_columns",
]
