"""Map source column names to canonical fields, and decide which canonical tables a file feeds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parcelaudit.errors import InputError
from parcelaudit.schema import LINES, ORDERS, PAYMENTS, SHIPMENTS, TABLES, Table

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_column(name: str) -> str:
    """Lower-case a header and fold every run of other characters to one underscore."""
    return _NON_WORD.sub("_", name.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class TableMapping:
    """For one canonical table: canonical field -> source column that feeds it."""

    table: Table
    columns: dict[str, str]


def map_columns(table: Table, source_columns: list[str]) -> TableMapping:
    """Match source columns to a table's fields: exact canonical names first, then documented aliases."""
    normalised = {normalise_column(column): column for column in reversed(source_columns)}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for spec in table.fields:
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


def detect_tables(
    source_columns: list[str], forced: str | None = None, *, file: str = ""
) -> list[TableMapping]:
    """Decide which canonical tables the file feeds (a flat manifest feeds shipments and lines)."""
    if forced:
        names = ["shipments", "lines"] if forced == "flat" else [forced]
        unknown = [n for n in names if n not in TABLES]
        if unknown:
            raise InputError(
                f"unknown table {forced!r}", file=file, hint="use shipments, lines, orders, payments or flat"
            )
        return [map_columns(TABLES[n], source_columns) for n in names]
    mappings = {name: map_columns(table, source_columns) for name, table in TABLES.items()}
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


def require_columns(mapping: TableMapping, file: str) -> None:
    """Refuse a file whose header lacks a required column that has no default."""
    missing = [
        f.name
        for f in mapping.table.fields
        if f.required and f.default is None and f.name not in mapping.columns
    ]
    if missing:
        accepted = "; ".join(
            f"{name} (or {', '.join(mapping.table.field(name).aliases[:4]) or 'no alias'})"
            for name in missing
        )
        raise InputError(
            f"the {mapping.table.name} columns lack required field(s): {', '.join(missing)}",
            file=file,
            row=1,
            hint=f"add a column named {accepted}",
        )


__all__ = [
    "LINES",
    "ORDERS",
    "PAYMENTS",
    "SHIPMENTS",
    "TableMapping",
    "detect_tables",
    "map_columns",
    "normalise_column",
    "require_columns",
]
