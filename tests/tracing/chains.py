"""Writes the cotton T-shirt supply chain of issue 5 as EPCIS 2.0 + facilities.csv + documents.csv.

Five variants: clean, xinjiang_gin, listed_spinner, fabric_over_yield, missing_yarn_invoice. The clean
one is also the bundled example (src/parcelaudit/tracing/examples/tshirt, written by `python -m
tests.tracing.chains`).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

VARIANTS = ("clean", "xinjiang_gin", "listed_spinner", "fabric_over_yield", "missing_yarn_invoice")
PRODUCT_GTIN = "09521234000051"
GTINS = {
    "seed_cotton": "09521234000013",
    "lint": "09521234000020",
    "yarn": "09521234000037",
    "fabric": "09521234000044",
    "garment": PRODUCT_GTIN,
}
SITES = {"farm": "00011", "gin": "00012", "spinner": "00013", "weaver": "00014", "garment": "00015"}
IMPORTER = "urn:epc:id:sgln:0614141.00001.0"

FACILITIES = {
    "farm": (
        "Darling Downs Cotton Farm",
        "412 Warrego Highway, Dalby QLD 4405",
        "AU",
        "raw material production or processing",
        "abn=53004085616",
    ),
    "gin": (
        "Dalby Cotton Gin Pty Ltd",
        "18 Industrial Drive, Dalby QLD 4405",
        "AU",
        "raw material production or processing",
        "duns=754120558",
    ),
    "spinner": (
        "Binh Duong Yarn Mill Co., Ltd.",
        "Lot C5, My Phuoc 3 Industrial Park, Ben Cat, Binh Duong",
        "VN",
        "textile or material production",
        "os_id=VN2025117ABCD1",
    ),
    "weaver": (
        "Dong Nai Weaving JSC",
        "Road 9, Nhon Trach 2 Industrial Park, Dong Nai",
        "VN",
        "textile or material production",
        "os_id=VN2025117ABCD2",
    ),
    "garment": (
        "Tan Uyen Garment Co., Ltd.",
        "DT747 Road, Tan Uyen, Binh Duong",
        "VN",
        "final product assembly",
        "os_id=VN2025117ABCD3",
    ),
    "importer": (
        "Example Apparel Importers LLC",
        "100 Harbor Way, Long Beach, CA 90802",
        "US",
        "warehousing / distribution",
        "",
    ),
}
# step: (material made, input kg, output kg, date made, date shipped, date received by the next tier)
STEPS = [
    ("farm", "seed_cotton", None, 30000, "2025-03-01", "2025-03-05", "2025-03-07"),
    ("gin", "lint", 30000, 10500, "2025-03-10", "2025-03-15", "2025-04-10"),
    ("spinner", "yarn", 10500, 9500, "2025-04-15", "2025-04-20", "2025-05-02"),
    ("weaver", "fabric", 9500, 8800, "2025-05-05", "2025-05-10", "2025-05-12"),
    ("garment", "garment", 8800, 7500, "2025-05-15", "2025-05-20", "2025-06-10"),
]
MOVEMENT_DOCS = (
    ("po", "PO", "purchase_order"),
    ("inv", "INV", "invoice"),
    ("desadv", "PL", "packing_list"),
    ("bol", "BL", "bill_of_lading"),
    ("pa:payment", "PAY", "payment_record"),
)


def sgln(role: str) -> str:
    """The SGLN id of a facility role in the example chain."""
    return IMPORTER if role == "importer" else f"urn:epc:id:sgln:9521234.{SITES[role]}.0"


def lot(material: str) -> str:
    """GS1 Digital Link id of the example lot of a material."""
    return f"https://id.gs1.org/01/{GTINS[material]}/10/{material.upper().replace('_', '')}-2025-01"


def _time(day: str, hour: int = 9) -> str:
    return f"{day}T{hour:02d}:00:00+07:00"


def _base(event_type: str, day: str, role: str, hour: int = 9) -> dict:
    return {
        "type": event_type,
        "eventID": f"ni:///sha-256;{event_type[:5].lower()}-{role}-{day}?ver=CBV2.0",
        "eventTime": _time(day, hour),
        "eventTimeZoneOffset": "+07:00",
        "readPoint": {"id": sgln(role)},
        "bizLocation": {"id": sgln(role)},
    }


def _doc_id(prefix: str, role: str) -> str:
    return f"urn:epcglobal:cbv:bt:9521234{SITES.get(role, '00000')}:{prefix}-{role.upper()}-2025"


def build(variant: str) -> tuple[dict, list[list[str]], list[list[str]]]:
    """The EPCIS document, facilities.csv rows and documents.csv rows (with file text) of one variant."""
    assert variant in VARIANTS, variant
    facilities = {k: list(v) for k, v in FACILITIES.items()}
    if variant == "xinjiang_gin":
        facilities["gin"] = [
            "Aksu Tianrun Cotton Ginning Co., Ltd.",
            "No. 18 Tuanjie Road, Aksu City, Aksu Prefecture, Xinjiang 843000",
            "CN",
            "raw material production or processing",
            "duns=545112208",
        ]
    if variant == "listed_spinner":
        facilities["spinner"][0] = "Changji Yida Textile Company Limited"  # alias of a UFLPA-listed entity
    outputs = {"fabric": 10000} if variant == "fabric_over_yield" else {}
    events, docs = [], []
    previous = None
    for index, (role, material, _in_kg, out_kg, made, shipped, received) in enumerate(STEPS):
        out_kg = outputs.get(material, out_kg)
        produced = {"epcClass": lot(material), "quantity": out_kg, "uom": "KGM"}
        if previous is None:
            event = _base("ObjectEvent", made, role) | {
                "action": "ADD",
                "bizStep": "commissioning",
                "disposition": "active",
                "quantityList": [produced],
            }
        else:
            event = _base("TransformationEvent", made, role) | {
                "inputQuantityList": [previous],
                "outputQuantityList": [produced],
                "bizStep": "commissioning",
                "disposition": "active",
                "bizTransactionList": [{"type": "prodorder", "bizTransaction": _doc_id("PR", role)}],
            }
            docs.append([_doc_id("PR", role), "production_record", made, role, lot(material)])
        event["ilmd"] = {"pa:material": material}
        events.append(event)
        target = STEPS[index + 1][0] if index + 1 < len(STEPS) else "importer"
        transactions = []
        for btt, prefix, doc_type in MOVEMENT_DOCS:
            if variant == "missing_yarn_invoice" and material == "yarn" and btt == "inv":
                continue
            transactions.append({"type": btt, "bizTransaction": _doc_id(prefix, role)})
            docs.append([_doc_id(prefix, role), doc_type, shipped, role, lot(material)])
        if material in ("lint", "yarn"):
            transactions.append({"type": "pa:affidavit", "bizTransaction": _doc_id("AFF", role)})
            docs.append([_doc_id("AFF", role), "affidavit", shipped, role, lot(material)])
        events.append(
            _base("ObjectEvent", shipped, role, 14)
            | {
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "quantityList": [produced],
                "bizTransactionList": transactions,
                "sourceList": [{"type": "location", "source": sgln(role)}],
                "destinationList": [{"type": "location", "destination": sgln(target)}],
            }
        )
        events.append(
            _base("ObjectEvent", received, target, 10)
            | {
                "action": "OBSERVE",
                "bizStep": "receiving",
                "disposition": "in_progress",
                "quantityList": [produced],
                "sourceList": [{"type": "location", "source": sgln(role)}],
            }
        )
        previous = {"epcClass": lot(material), "quantity": out_kg, "uom": "KGM"}
    document = {
        "@context": [
            "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
            {"pa": "https://parcelaudit.org/epcis/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-06-12T08:00:00Z",
        "epcisBody": {"eventList": events},
    }
    facility_rows = [["facility_id", "name", "address", "country", "facility_type", "identifiers"]]
    facility_rows += [[sgln(role), *values] for role, values in facilities.items()]
    return document, facility_rows, docs


def write_chain(out_dir: Path, variant: str = "clean") -> dict[str, Path]:
    """Write epcis.json, facilities.csv, documents.csv and docs/*.txt for a variant; return the paths."""
    out_dir = Path(out_dir)
    (out_dir / "docs").mkdir(parents=True, exist_ok=True)
    document, facility_rows, docs = build(variant)
    (out_dir / "epcis.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    with open(out_dir / "facilities.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(facility_rows)
    with open(out_dir / "documents.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document_id", "doc_type", "number", "date", "issuer", "lots", "flows", "file"])
        for doc_id, doc_type, day, role, lot_id in docs:
            number = doc_id.rsplit(":", 1)[1]
            title = doc_type.replace("_", " ").upper()
            text = f"{title} {number}\nissued {day} by {FACILITIES[role][0]}\nlot {lot_id}\n"
            (out_dir / "docs" / f"{number}.txt").write_text(text, encoding="utf-8")
            writer.writerow([doc_id, doc_type, number, day, sgln(role), lot_id, "", f"docs/{number}.txt"])
    return {name: out_dir / name for name in ("epcis.json", "facilities.csv", "documents.csv")}


def with_repeated_events(out_dir: Path, repeats: int) -> dict[str, Path]:
    """The clean chain plus `repeats` more shipping events of the garment lot to the importer, each with
    its own event id and its own five record references (no copies): a lot shipped over and over."""
    paths = write_chain(out_dir, "clean")
    document = json.loads(paths["epcis.json"].read_text(encoding="utf-8"))
    events = document["epcisBody"]["eventList"]
    template = next(e for e in events if e.get("bizStep") == "shipping" and lot("garment") in json.dumps(e))
    for number in range(repeats):
        event = json.loads(json.dumps(template))
        event["eventID"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
        event["bizTransactionList"] = [
            {"type": btt, "bizTransaction": f"{_doc_id(prefix, 'garment')}-R{number}"}
            for btt, prefix, _ in MOVEMENT_DOCS
        ]
        events.append(event)
    paths["epcis.json"].write_text(json.dumps(document) + "\n", encoding="utf-8")
    return paths


if __name__ == "__main__":
    write_chain(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("src/parcelaudit/tracing/examples/tshirt"))
