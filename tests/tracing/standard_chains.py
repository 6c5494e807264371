"""Writes the chains in tests/tracing/standard/: a cotton knit shirt chain in which every party publishes
its own EPCIS 2.0 document, written from the EPCIS 2.0 / CBV 2.0 text (not from tests/tracing/chains.py).

What the standard's text gives and these files use: GS1 Digital Link ids for lots (/01/GTIN/10/LOT),
locations (/414/GLN) and parties (/417/PGLN); CBV web URIs for bizStep, disposition, source/destination
and business transaction types; a shipping ObjectEvent by the supplier (sourceList / destinationList with
owning_party and location) and a receiving ObjectEvent by the buyer in its own document; TransactionEvents
that tie a purchase order and invoice to the lots; an AggregationEvent packing a lint lot onto a pallet
(SSCC) that is shipped and received as the pallet; a TransformationEvent per production step with its
production order; `recadv` on receipts; user extensions (a namespace of our own, declared in @context)
for the lot material and for payment records and affidavits, which CBV has no type for.

Run `python -m tests.tracing.standard_chains` to rewrite the folder; expected.json lists every chain
with its expected verdict and reason codes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "standard"
CBV = "https://ref.gs1.org/cbv/"
EX = "https://ns.knitco.example/epcis/"
PREFIX = "4012345"


def _check_digit(digits: str) -> str:
    """GS1 mod-10 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def gln(ref: str) -> str:
    """A 13-digit GLN from the company prefix and a 5-digit location reference."""
    body = PREFIX + ref
    return body + _check_digit(body)


def gtin(ref: str) -> str:
    """A 14-digit GTIN (indicator 0) from the company prefix and a 5-digit item reference."""
    body = "0" + PREFIX + ref
    return body + _check_digit(body)


def location(role: str) -> str:
    """GS1 Digital Link of a party's site (GLN, AI 414)."""
    return f"https://id.gs1.org/414/{gln(SITES[role][0])}"


def party(role: str) -> str:
    """GS1 Digital Link of a party (party GLN, AI 417)."""
    return f"https://id.gs1.org/417/{gln(SITES[role][1])}"


def lot(material: str) -> str:
    """GS1 Digital Link of the lot of one material (GTIN + batch/lot, AI 10)."""
    return f"https://id.gs1.org/01/{gtin(GTIN_REFS[material])}/10/{material.upper()[:4]}-24-{len(material)}"


PALLET = f"https://id.gs1.org/00/{'0' + PREFIX + '000000077'}{_check_digit('0' + PREFIX + '000000077')}"
SITES = {  # role: (location ref, party ref, name, address, country, facility type)
    "farm": (
        "00101",
        "00100",
        "Lubbock Plains Cotton Growers",
        "5702 County Road 7300, Lubbock, TX 79424",
        "US",
        "raw material production or processing",
    ),
    "gin": (
        "00201",
        "00200",
        "Caprock Cooperative Gin",
        "1201 E Main St, Slaton, TX 79364",
        "US",
        "raw material production or processing",
    ),
    "spinner": (
        "00301",
        "00300",
        "Saurashtra Spinning Mills Pvt Ltd",
        "Survey No. 214, Shapar Industrial Area, Rajkot, Gujarat 360024",
        "IN",
        "textile or material production",
    ),
    "knitter": (
        "00401",
        "00400",
        "Tiruppur Knit Fabrics Ltd",
        "45 Avinashi Road, Tiruppur, Tamil Nadu 641603",
        "IN",
        "textile or material production",
    ),
    "sewer": (
        "00501",
        "00500",
        "Chittagong Apparel Works Ltd",
        "Plot 12, CEPZ, Chattogram 4223",
        "BD",
        "final product assembly",
    ),
    "importer": (
        "00601",
        "00600",
        "KnitCo Brands Inc.",
        "2200 E Pacific Coast Hwy, Long Beach, CA 90806",
        "US",
        "warehousing / distribution",
    ),
}
XINJIANG_GIN = (
    "Korla Hongsheng Cotton Ginning Co., Ltd.",
    "88 Tianshan East Road, Korla, Bayingolin Mongol Autonomous Prefecture, Xinjiang 841000",
    "CN",
)
GTIN_REFS = {"seed_cotton": "10001", "lint": "10002", "yarn": "10003", "fabric": "10004", "garment": "10005"}
# (maker, material made, kg made, day made, day shipped, day received by the next party)
STEPS = [
    ("farm", "seed_cotton", 24000, "2024-10-02", "2024-10-04", "2024-10-05"),
    ("gin", "lint", 8400, "2024-10-12", "2024-10-20", "2024-11-25"),
    ("spinner", "yarn", 7600, "2024-12-02", "2024-12-10", "2024-12-13"),
    ("knitter", "fabric", 7000, "2024-12-18", "2024-12-22", "2025-01-08"),
    ("sewer", "garment", 6000, "2025-01-20", "2025-01-28", "2025-03-03"),
]
PRODUCT = gtin(GTIN_REFS["garment"])
OFFSETS = {"farm": "-06:00", "gin": "-06:00", "spinner": "+05:30", "knitter": "+05:30", "sewer": "+06:00"}
OFFSETS["importer"] = "-08:00"


def _event_id(*parts: str) -> str:
    return "ni:///sha-256;" + hashlib.sha256("|".join(parts).encode()).hexdigest() + "?ver=CBV2.0"


def _bt(role: str, kind: str, number: str) -> dict:
    # A business transaction id as the CBV's urn:epcglobal:cbv:bt:<GLN>:<number> form.
    types = {"payment": EX + "payment", "affidavit": EX + "affidavit"}
    return {
        "type": types.get(kind, CBV + "BTT-" + kind),
        "bizTransaction": f"urn:epcglobal:cbv:bt:{gln(SITES[role][1])}:{number}",
    }


def _event(kind: str, role: str, day: str, hour: int, **fields) -> dict:
    offset = OFFSETS[role]
    event = {
        "type": kind,
        "eventTime": f"{day}T{hour:02d}:00:00{offset}",
        "eventTimeZoneOffset": offset,
    }
    event["eventID"] = _event_id(kind, role, day, str(hour), json.dumps(fields, sort_keys=True))
    return event | fields


def _qty(material: str, kg: float) -> dict:
    return {"epcClass": lot(material), "quantity": kg, "uom": "KGM"}


def _document(events: list[dict], created: str) -> dict:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": EX}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"eventList": events},
    }


def build(variant: str = "clean") -> tuple[dict[str, dict], list[list[str]], list[str]]:
    """Each party's EPCIS document, facilities.csv rows, and the record numbers referenced."""
    docs: dict[str, list[dict]] = {role: [] for role in SITES}
    numbers: list[str] = []
    made = {material: kg for _, material, kg, *_ in STEPS}
    if variant == "over_yield":
        made["fabric"] = 7600  # knitting 7,600 kg yarn into 7,600 kg fabric: above the 0.96 yield
    previous = None
    for index, (role, material, _kg, day_made, day_shipped, day_received) in enumerate(STEPS):
        buyer = STEPS[index + 1][0] if index + 1 < len(STEPS) else "importer"
        kg = made[material]
        here = {"readPoint": {"id": location(role)}, "bizLocation": {"id": location(role)}}
        ilmd = {"ex:material": material}
        if previous is None:
            docs[role].append(
                _event(
                    "ObjectEvent",
                    role,
                    day_made,
                    7,
                    action="ADD",
                    bizStep=CBV + "BizStep-commissioning",
                    disposition=CBV + "Disp-active",
                    quantityList=[_qty(material, kg)],
                    ilmd=ilmd,
                    **here,
                )
            )
        else:
            number = f"MO-{role.upper()}-2024-{index}"
            numbers.append(number)
            docs[role].append(
                _event(
                    "TransformationEvent",
                    role,
                    day_made,
                    8,
                    inputQuantityList=[previous],
                    outputQuantityList=[_qty(material, kg)],
                    bizStep=CBV + "BizStep-commissioning",
                    disposition=CBV + "Disp-active",
                    bizTransactionList=[_bt(role, "prodorder", number)],
                    ilmd=ilmd,
                    **here,
                )
            )
        po, inv = f"PO-{buyer.upper()}-{index + 1:03d}", f"INV-{role.upper()}-{index + 1:03d}"
        numbers += [po, inv]
        # The buyer's purchase order and the supplier's invoice, tied to the lot by TransactionEvents.
        docs[buyer].append(
            _event(
                "TransactionEvent",
                buyer,
                day_made,
                12,
                action="ADD",
                quantityList=[_qty(material, kg)],
                bizTransactionList=[_bt(buyer, "po", po)],
                readPoint={"id": location(buyer)},
            )
        )
        docs[role].append(
            _event(
                "TransactionEvent",
                role,
                day_shipped,
                10,
                action="ADD",
                quantityList=[_qty(material, kg)],
                bizTransactionList=[_bt(buyer, "po", po), _bt(role, "inv", inv)],
                readPoint={"id": location(role)},
            )
        )
        shipped = {"quantityList": [_qty(material, kg)]}
        if material == "lint":  # lint leaves the gin as a pallet (SSCC)
            docs[role].append(
                _event(
                    "AggregationEvent",
                    role,
                    day_shipped,
                    11,
                    action="ADD",
                    parentID=PALLET,
                    childQuantityList=[_qty(material, kg)],
                    bizStep=CBV + "BizStep-packing",
                    disposition=CBV + "Disp-in_progress",
                    **here,
                )
            )
            shipped = {"epcList": [PALLET]}
        desadv, bol = f"DA-{role.upper()}-{index + 1:03d}", f"BL-{role.upper()}-{index + 1:03d}"
        shipping_docs = [_bt(buyer, "po", po), _bt(role, "inv", inv), _bt(role, "desadv", desadv)]
        numbers += [desadv]
        if not (variant == "missing_bol" and material == "yarn"):
            shipping_docs.append(_bt(role, "bol", bol))
            numbers.append(bol)
        if material in ("lint", "yarn"):
            affidavit = f"AFF-{role.upper()}-2024"
            shipping_docs.append(_bt(role, "affidavit", affidavit))
            numbers.append(affidavit)
        ends = {
            "sourceList": [
                {"type": CBV + "SDT-owning_party", "source": party(role)},
                {"type": CBV + "SDT-location", "source": location(role)},
            ],
            "destinationList": [
                {"type": CBV + "SDT-owning_party", "destination": party(buyer)},
                {"type": CBV + "SDT-location", "destination": location(buyer)},
            ],
        }
        shipping = _event(
            "ObjectEvent",
            role,
            day_shipped,
            15,
            action="OBSERVE",
            bizStep=CBV + "BizStep-shipping",
            disposition=CBV + "Disp-in_transit",
            bizTransactionList=shipping_docs,
            **shipped,
            **ends,
            readPoint={"id": location(role)},
        )
        docs[role].append(shipping)
        if variant == "oversold" and material == "lint":
            # The gin sells the same lint lot a second time, to another spinner: shipped twice its output.
            again = dict(
                shipping, eventID=_event_id("resold", role), eventTime=f"{day_shipped}T17:00:00-06:00"
            )
            again["destinationList"] = [{"type": CBV + "SDT-owning_party", "destination": party("knitter")}]
            again["epcList"], again["quantityList"] = None, [_qty(material, kg)]
            docs[role].append({k: v for k, v in again.items() if v is not None})
        if variant == "republished" and role == "sewer":
            docs["importer"].append(shipping)  # the importer's document repeats the sewer's event
        recadv, payment = f"RA-{buyer.upper()}-{index + 1:03d}", f"PAY-{buyer.upper()}-{index + 1:03d}"
        numbers += [recadv, payment]
        docs[buyer].append(
            _event(
                "ObjectEvent",
                buyer,
                day_received,
                9,
                action="OBSERVE",
                bizStep=CBV + "BizStep-receiving",
                disposition=CBV + "Disp-in_progress",
                bizTransactionList=[
                    _bt(buyer, "po", po),
                    _bt(buyer, "recadv", recadv),
                    _bt(buyer, "payment", payment),
                ],
                sourceList=[
                    {"type": CBV + "SDT-owning_party", "source": party(role)},
                    {"type": CBV + "SDT-location", "source": location(role)},
                ],
                destinationList=[{"type": CBV + "SDT-owning_party", "destination": party(buyer)}],
                readPoint={"id": location(buyer)},
                bizLocation={"id": location(buyer)},
                **shipped,
            )
        )
        previous = _qty(material, kg)
    documents = {
        f"{role}.json": _document(events, f"{STEPS[-1][5]}T12:00:00Z")
        for role, events in docs.items()
        if events
    }
    facilities = [["facility_id", "name", "address", "country", "facility_type", "identifiers"]]
    for role, (_loc, _party, name, address, country, kind) in SITES.items():
        if variant == "xinjiang_gin" and role == "gin":
            name, address, country = XINJIANG_GIN
        facilities.append([location(role), name, address, country, kind, f"gln={gln(SITES[role][0])}"])
        facilities.append([party(role), name, address, country, "office / hq", f"gln={gln(SITES[role][1])}"])
    return documents, facilities, numbers


VARIANTS = {  # variant: (expected verdict, expected reason codes)
    "clean": ("clear", []),
    "over_yield": ("review", ["QUANTITY-MISMATCH"]),
    "missing_bol": ("review", ["MISSING-DOCUMENT"]),
    "xinjiang_gin": ("exposed", ["XINJIANG-FACILITY"]),
    "oversold": ("review", ["QUANTITY-MISMATCH"]),
    "republished": ("clear", []),
}


def expected_cases() -> tuple[str, list[dict]]:
    """The product traced and every case of expected.json."""
    expected = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
    return expected["product"], expected["cases"]


def trace_case(case: dict, product: str):
    """Trace one case of expected.json (its files, copies folder and --require-copies) from FOLDER."""
    from parcelaudit.tracing.verdict import load_chain, trace

    folder = FOLDER / case["chain"]
    copies = folder / case["documents"] if case.get("documents") else None
    chain = load_chain([folder / f for f in case["files"]], folder / "facilities.csv", documents_dir=copies)
    return trace(chain, product, require_copies=case.get("require_copies", False))


def write(folder: Path = FOLDER) -> list[dict]:
    """Write every variant into folder/VARIANT/ plus copies/ (one file per record) and expected.json."""
    if folder.exists():
        shutil.rmtree(folder)
    cases = []
    for variant, (verdict, codes) in VARIANTS.items():
        out = folder / variant
        out.mkdir(parents=True)
        documents, facilities, numbers = build(variant)
        for name, document in documents.items():
            (out / name).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        with open(out / "facilities.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(facilities)
        files = sorted(documents)
        cases.append({"chain": variant, "files": files, "verdict": verdict, "codes": codes})
        if variant == "clean":
            copies = out / "copies"
            copies.mkdir()
            for number in numbers:
                (copies / f"{number}.txt").write_text(f"{number}\n", encoding="utf-8")
            cases.append(
                {
                    "chain": variant,
                    "files": files,
                    "require_copies": True,
                    "verdict": "review",
                    "codes": ["MISSING-DOCUMENT"],
                }
            )
            cases.append(
                {
                    "chain": variant,
                    "files": files,
                    "require_copies": True,
                    "documents": "copies",
                    "verdict": "clear",
                    "codes": [],
                }
            )
    expected = {"product": PRODUCT, "cases": cases}
    (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    return cases


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
