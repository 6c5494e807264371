"""Small builders for ingest tests: write a CSV from rows, open a store in tmp_path."""

from __future__ import annotations

import csv
from pathlib import Path

SHIPMENT_HEADER = [
    "shipment_id",
    "entry_type",
    "arrival_date",
    "country_of_shipment",
    "declared_value",
    "currency",
    "consignee_name",
]


def write_csv(
    path: Path, header: list[str], rows: list[list[object]], delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    """Write rows under header with the csv module (proper quoting)."""
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_shipment(ident: str = "P1", **changes: object) -> list[object]:
    """A valid shipment row (SHIPMENT_HEADER order) with some fields changed."""
    row = {
        "shipment_id": ident,
        "entry_type": "11",
        "arrival_date": "2025-09-02",
        "country_of_shipment": "CN",
        "declared_value": "25.50",
        "currency": "USD",
        "consignee_name": "Ann Lee",
    }
    row.update(changes)
    return [row[h] for h in SHIPMENT_HEADER]
