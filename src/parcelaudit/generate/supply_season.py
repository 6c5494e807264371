"""A season of a garment supply chain as one EPCIS 2.0 document, of any size, written as it is generated.

Each seed-cotton lot is followed from a farm through a gin, a spinner, a weaver and a garment factory to a
US importer: commissioning, shipping and receiving between every pair of sites, one transformation per
processing step, the cartons aggregated onto a pallet, with the purchase orders, invoices and bills of
lading a buyer holds. 16 events per seed lot; every garment lot is of one product (GTIN), so tracing it
walks the whole document. Farms are drawn from a fixed list in which one share sits in Xinjiang, so the
expected verdict is known. Used by the tracing-at-volume benchmark and by the streaming tests.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

PRODUCT_GTIN = "09521234000051"
EVENTS_PER_LOT = 16
_GTIN = {
    "seed_cotton": "09521234000013",
    "lint": "09521234000020",
    "yarn": "09521234000037",
    "fabric": "09521234000044",
    "garment": PRODUCT_GTIN,
}
_CONTEXT = [
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    {"pa": "https://parcelaudit.org/epcis/"},
]
# (role, count, country, region); facility ids are SGLNs 9521234.RRNNN.0.
_SITES = (
    ("farm", 40, "AU", "Queensland"),
    ("farm", 8, "CN", "Xinjiang Uyghur Autonomous Region"),
    ("gin", 6, "AU", "Queensland"),
    ("gin", 2, "CN", "Xinjiang Uyghur Autonomous Region"),
    ("spinner", 6, "VN", "Binh Duong"),
    ("weaver", 6, "VN", "Dong Nai"),
    ("factory", 6, "VN", "Ho Chi Minh City"),
    ("importer", 1, "US", "California"),
)


def _sites() -> dict[str, list[tuple[str, str, str]]]:
    sites: dict[str, list[tuple[str, str, str]]] = {}
    for number, (role, count, country, region) in enumerate(_SITES, start=1):
        for index in range(count):
            sgln = f"urn:epc:id:sgln:9521234.{number:02d}{index:03d}.0"
            sites.setdefault(role, []).append((sgln, country, region))
    return sites


def write_facilities(path: Path) -> Path:
    """The master data of every site the season uses (the CSV template `trace` reads with --facilities)."""
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["facility_id", "name", "address", "country", "facility_type", "identifiers"])
        kinds = {
            "farm": "raw material production or processing",
            "gin": "raw material production or processing",
            "spinner": "textile or material production",
            "weaver": "textile or material production",
            "factory": "final product assembly",
            "importer": "warehousing / distribution",
        }
        for role, entries in _sites().items():
            for index, (sgln, country, region) in enumerate(entries):
                name = f"{region} {role.title()} {index + 1}"
                writer.writerow([sgln, name, region, country, kinds[role], ""])
    return path


def _quantity(material: str, lot: str, kg: float | None = None, each: int | None = None) -> dict:
    epc_class = f"https://id.gs1.org/01/{_GTIN[material]}/10/{lot}"
    if each is not None:
        return {"epcClass": epc_class, "quantity": each, "uom": "EA"}
    return {"epcClass": epc_class, "quantity": kg, "uom": "KGM"}


def _event(kind: str, event_id: str, when: datetime, site: str, **fields: object) -> dict:
    event = {
        "type": kind,
        "eventID": f"urn:uuid:{event_id}",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "eventTimeZoneOffset": "+08:00",
        "readPoint": {"id": site},
        "bizLocation": {"id": site},
    }
    event.update(fields)
    return event


def _papers(prefix: str, kinds: tuple[str, ...]) -> list[dict]:
    return [
        {
            "type": kind,
            "bizTransaction": f"urn:epcglobal:cbv:bt:9521234000000:{kind.split(':')[-1].upper()}-{prefix}",
        }
        for kind in kinds
    ]


def _lot_events(lot: int, rng: random.Random, sites: dict) -> list[dict]:
    """The 16 events of one seed-cotton lot, from the farm to the importer."""
    farm = rng.choice(sites["farm"])[0]
    gin = rng.choice(sites["gin"])[0]
    spinner, weaver, factory = (rng.choice(sites[role])[0] for role in ("spinner", "weaver", "factory"))
    importer = sites["importer"][0][0]
    when = datetime(2025, 3, 1, 8) + timedelta(minutes=lot % 100_000)
    tag = f"{lot:08d}"
    seed, lint, yarn, fabric = (f"{name}-{tag}" for name in ("SC", "LT", "YN", "FB"))
    garment, pallet = f"GM-{tag}", f"urn:epc:id:sscc:9521234.0{lot:09d}"
    events: list[dict] = []
    step = 0

    def add(kind: str, site: str, **fields: object) -> None:
        nonlocal step
        step += 1
        events.append(
            _event(kind, f"{lot:08x}-0000-4000-8000-{step:012d}", when + timedelta(days=step), site, **fields)
        )

    def move(held: dict, paper_ref: str, source: str, target: str, papers: tuple[str, ...]) -> None:
        """A shipping event at source and the receiving event at target, of what held names (a quantityList
        or an epcList)."""
        add(
            "ObjectEvent",
            source,
            action="OBSERVE",
            bizStep="shipping",
            disposition="in_transit",
            **held,
            bizTransactionList=_papers(paper_ref, papers),
            sourceList=[{"type": "location", "source": source}],
            destinationList=[{"type": "location", "destination": target}],
        )
        add(
            "ObjectEvent",
            target,
            action="OBSERVE",
            bizStep="receiving",
            disposition="in_progress",
            **held,
            sourceList=[{"type": "location", "source": source}],
        )

    def move_lot(material: str, lot_id: str, kg: float, source: str, target: str) -> None:
        move({"quantityList": [_quantity(material, lot_id, kg)]}, lot_id, source, target, papers)

    def make(
        site: str,
        material_in: str,
        lot_in: str,
        kg_in: float,
        material_out: str,
        lot_out: str,
        kg_out: float | None,
        each: int | None = None,
    ) -> None:
        add(
            "TransformationEvent",
            site,
            bizStep="commissioning",
            disposition="active",
            inputQuantityList=[_quantity(material_in, lot_in, kg_in)],
            outputQuantityList=[_quantity(material_out, lot_out, kg_out, each)],
            bizTransactionList=_papers(lot_out, ("prodorder",)),
            ilmd={"pa:material": material_out},
        )

    add(
        "ObjectEvent",
        farm,
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        quantityList=[_quantity("seed_cotton", seed, 30000.0)],
        ilmd={"pa:material": "seed_cotton"},
    )
    papers = ("po", "inv", "desadv", "bol", "pa:payment", "pa:affidavit")
    move_lot("seed_cotton", seed, 30000.0, farm, gin)
    make(gin, "seed_cotton", seed, 30000.0, "lint", lint, 10500.0)
    move_lot("lint", lint, 10500.0, gin, spinner)
    make(spinner, "lint", lint, 10500.0, "yarn", yarn, 9200.0)
    move_lot("yarn", yarn, 9200.0, spinner, weaver)
    make(weaver, "yarn", yarn, 9200.0, "fabric", fabric, 8500.0)
    move_lot("fabric", fabric, 8500.0, weaver, factory)
    make(factory, "fabric", fabric, 8500.0, "garment", garment, 7200.0)
    add(
        "AggregationEvent",
        factory,
        action="ADD",
        bizStep="packing",
        disposition="in_progress",
        parentID=pallet,
        childQuantityList=[_quantity("garment", garment, 7200.0)],
    )
    move({"epcList": [pallet]}, garment, factory, importer, papers)
    return events


def write_season(path: Path, events: int, seed: int = 7) -> dict[str, int]:
    """Write an EPCIS document of about `events` events (whole lots of 16); returns lots and events written.

    The events are written one at a time, so generating a million takes little memory.
    """
    rng = random.Random(seed)
    sites = _sites()
    lots = max(1, events // EVENTS_PER_LOT)
    header = {
        "@context": _CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-12-01T00:00:00Z",
    }
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(header)[:-1] + ', "epcisBody": {"eventList": [\n')
        for lot in range(lots):
            for event in _lot_events(lot, rng, sites):
                out.write((",\n" if written else "") + json.dumps(event, separators=(",", ":")))
                written += 1
        out.write("\n]}}\n")
    return {"lots": lots, "events": written}
