"""Every check rule's precision and recall on a carrier-style manifest we did not generate, beside the
generator's figures.

bench/data/foreign/ holds a hand-written carrier manifest (one row per item, the parcel's fields repeated:
HAWB, MM/DD/YYYY dates, EUR/CNY/GBP/CHF values with a rates file, parcel-level values without item
values, address variants), the rates file, and expected.csv listing each (parcel, rule) that must fire and
why. CARRIER_MAP turns the carrier's headers into our fields here, standing in for the ingest map file
(`--map`) until that lands; the checks then run as `parcelaudit check --rates` would (screening off: the
restricted lists are measured by the screening bench). DATA-MISSING counts required elements only; the
NPRM's proposed ones are reported apart. Generator figures are read from bench/results/checks.json.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from parcelaudit.pipeline import evaluate
from parcelaudit.reference.currency import load_rates_file
from parcelaudit.schema import LINES, SHIPMENTS

FOREIGN = Path(__file__).resolve().parent / "data" / "foreign"
RESULTS = Path(__file__).resolve().parent / "results" / "checks.json"
CARRIER_MAP = {
    "HAWB": "shipment_id",
    "Arrival Date": "arrival_date",
    "Entry Type": "entry_type",
    "Shipper": "shipper_name",
    "Shipper Address": "shipper_address",
    "Shipper Country": "country_of_shipment",
    "Consignee": "consignee_name",
    "Consignee Address": "consignee_address",
    "Order #": "order_id",
    "Currency": "currency",
    "Total Value": "declared_value",
    "Gift": "gift",
    "Item #": "line_no",
    "Description": "description",
    "HS Code": "hts_code",
    "Qty": "quantity",
    "Item Value": "value",
    "Country of Origin": "country_of_origin",
    "Manufacturer": "manufacturer_name",
    "Manufacturer Country": "manufacturer_country",
}
DATE_FORMAT = "%m/%d/%Y"


def _value(field: str, text: str):
    text = text.strip()
    if not text:
        return None
    if field == "arrival_date":
        return datetime.strptime(text, DATE_FORMAT).date()
    if field in ("declared_value", "value", "quantity"):
        return float(text)
    if field == "line_no":
        return int(text)
    if field == "gift":
        return text.upper() in ("Y", "YES", "TRUE", "1")
    return text


def carrier_tables() -> tuple[pa.Table, pa.Table]:
    """Shipments (one per HAWB, the seller being the shipper) and lines from the carrier manifest."""
    shipments: dict[str, dict] = {}
    lines = []
    with (FOREIGN / "manifest.csv").open(encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            row = {CARRIER_MAP[k]: _value(CARRIER_MAP[k], v or "") for k, v in raw.items()}
            shipment = {f.name: row.get(f.name) for f in SHIPMENTS.arrow_schema}
            shipment["seller_name"], shipment["seller_address"] = row["shipper_name"], row["shipper_address"]
            shipment["shipper_country"] = shipment["seller_country"] = row["country_of_shipment"]
            shipments.setdefault(row["shipment_id"], shipment)
            lines.append({f.name: row.get(f.name) for f in LINES.arrow_schema})
    return (
        pa.Table.from_pylist(list(shipments.values()), schema=SHIPMENTS.arrow_schema),
        pa.Table.from_pylist(lines, schema=LINES.arrow_schema),
    )


def expected_pairs() -> set[tuple[str, str]]:
    """(parcel, rule) pairs that must fire."""
    with (FOREIGN / "expected.csv").open(encoding="utf-8") as handle:
        return {(r["HAWB"], r["rule_id"]) for r in csv.DictReader(handle)}


def scores(found: set[tuple[str, str]], expected: set[tuple[str, str]]) -> dict[str, dict]:
    """Precision and recall per rule at parcel level."""
    result = {}
    for rule_id in sorted({r for _, r in found | expected}):
        flagged = {s for s, r in found if r == rule_id}
        true = {s for s, r in expected if r == rule_id}
        result[rule_id] = {
            "expected": len(true),
            "flagged": len(flagged),
            "precision": round(len(flagged & true) / len(flagged), 4) if flagged else None,
            "recall": round(len(flagged & true) / len(true), 4) if true else None,
            "false": sorted(flagged - true),
            "missed": sorted(true - flagged),
        }
    return result


def _generator() -> dict[str, dict]:
    if not RESULTS.exists():
        return {}
    rich = json.loads(RESULTS.read_text(encoding="utf-8")).get("rich", {})
    recall = {v["rule"]: v["recall"] for v in rich.get("recall", {}).values()}
    return {
        rule: {"precision": v.get("precision"), "recall": recall.get(rule)}
        for rule, v in rich.get("precision", {}).items()
    }


def run(work_dir: Path) -> dict:
    """Rules over the carrier manifest with its rates file; scores next to the generator's."""
    shipments, lines = carrier_tables()
    result = evaluate(shipments, lines, screening=False, rates=load_rates_file(FOREIGN / "rates.csv"))
    rows = result.findings.to_pylist()
    proposed = sum(1 for r in rows if r["rule_id"] == "DATA-MISSING" and r["variant"] == "proposed")
    found = {
        (r["shipment_id"], r["rule_id"])
        for r in rows
        if not (r["rule_id"] == "DATA-MISSING" and r["variant"] == "proposed")
        and not (r["rule_id"] == "VAL-FX" and r["variant"] == "approximate")
    }
    return {
        "parcels": shipments.num_rows,
        "lines": lines.num_rows,
        "rules": scores(found, expected_pairs()),
        "data_missing_proposed_findings": proposed,
        "decisions": {d["shipment_id"]: d["decision"] for d in result.decisions.to_pylist()},
        "generator": _generator(),
        "generator_run": json.loads(RESULTS.read_text(encoding="utf-8")).get("finished_at")
        if RESULTS.exists()
        else None,
    }


def summarize(result: dict) -> str:
    """Markdown lines for SUMMARY.md."""
    lines = [
        f"Carrier-style manifest ({result['parcels']} parcels, {result['lines']} lines, EUR/CNY/GBP/CHF with a "
        "rates file, parcel-level values, address variants), written by hand, beside the generator's figures "
        "from the last committed checks run (bench/results/checks.json, finished "
        f"{result.get('generator_run', '?')}):",
        "",
        "| rule | expected | flagged | precision | recall | generator precision | generator recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rule_id, s in result["rules"].items():
        g = result["generator"].get(rule_id, {})
        lines.append(
            f"| {rule_id} | {s['expected']} | {s['flagged']} | {s['precision']} | {s['recall']} "
            f"| {g.get('precision', '')} | {g.get('recall', '')} |"
        )
    lines.append("")
    lines.append(
        f"DATA-MISSING findings for proposed (NPRM) elements, not counted: {result['data_missing_proposed_findings']}"
    )
    return "\n".join(lines)
