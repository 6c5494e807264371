"""A carrier-style manifest, written after the layout of an express carrier's Type 86 clearance export
(house bill per parcel, one row per commodity line, US dates, values in USD, HS codes with dots) -
not from our generator."""

from __future__ import annotations

import csv
from pathlib import Path

CARRIER_HEADER = [
    "HAWB",
    "MAWB",
    "Ship Date",
    "Arrival Date",
    "Clearance Type",
    "Shipper Name",
    "Origin",
    "Consignee Name",
    "Consignee Address",
    "Consignee Zip",
    "Order #",
    "Description",
    "HS Code",
    "Qty",
    "Value USD",
    "Country of Origin",
    "Weight KG",
]

CARRIER_ROWS = [
    [
        "1Z84E5X0412",
        "784-29311002",
        "03/08/2025",
        "03/10/2025",
        "T86",
        "Shenzhen Lumen Trading Co",
        "CN",
        "Dana Whitfield",
        "55 Orchard Street Apt 2C Tampa FL",
        "33602",
        "A-99120",
        "LED desk lamp",
        "9405.21.8000",
        "1",
        "24.90",
        "CN",
        "1.2",
    ],
    [
        "1Z84E5X0412",
        "784-29311002",
        "03/08/2025",
        "03/10/2025",
        "T86",
        "Shenzhen Lumen Trading Co",
        "CN",
        "Dana Whitfield",
        "55 Orchard Street Apt 2C Tampa FL",
        "33602",
        "A-99120",
        "USB-C cable 2m",
        "8544.42.9090",
        "3",
        "11.97",
        "CN",
        "0.3",
    ],
    [
        "1Z84E5X0413",
        "784-29311002",
        "03/13/2025",
        "03/15/2025",
        "T86",
        "Ningbo Homeware Ltd",
        "CN",
        "Luis Ortega",
        "901 Pine Ave Austin TX",
        "78701",
        "A-99121",
        "Silicone baking mat",
        "3924.10.4000",
        "2",
        "15.00",
        "CN",
        "0.4",
    ],
    [
        "1Z84E5X0414",
        "784-29311003",
        "03/21/2025",
        "03/24/2025",
        "T86",
        "Hanoi Craft Export JSC",
        "VN",
        "Mei Tanaka",
        "12 Elm St Portland OR",
        "97201",
        "B-20011",
        "Bamboo cutting board",
        "4419.11.0000",
        "1",
        "32.50",
        "VN",
        "1.1",
    ],
]


def write_carrier_csv(path: Path, rows: list[list[str]] | None = None) -> Path:
    """The carrier manifest as CSV (a spreadsheet export: comma-separated, quoted where needed)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CARRIER_HEADER)
        writer.writerows(CARRIER_ROWS if rows is None else rows)
    return path


def write_carrier_xlsx(path: Path, rows: list[list[str]] | None = None) -> Path:
    """The same manifest as an Excel workbook, with typed cells (dates, numbers) as Excel keeps them."""
    from datetime import datetime

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Manifest"
    sheet.append(CARRIER_HEADER)
    for row in CARRIER_ROWS if rows is None else rows:
        typed: list[object] = list(row)
        for index in (2, 3):
            typed[index] = datetime.strptime(row[index], "%m/%d/%Y")
        typed[13], typed[14], typed[16] = int(row[13]), float(row[14]), float(row[16])
        sheet.append(typed)
    workbook.save(path)
    return path
