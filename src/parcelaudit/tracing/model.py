"""The supply-chain model: facilities, lots, transformations, movements and documents.

EPCIS events and the CSV templates both map onto these plain dataclasses; the analysis reads only them.
Quantities are kept in the unit given; `mass_kg` converts UN/CEFACT mass units so they can be compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

FACILITY_TYPES = (
    "raw material production or processing",
    "textile or material production",
    "printing, product dyeing and laundering",
    "final product assembly",
    "warehousing / distribution",
    "office / hq",
)

DOCUMENT_TYPES = (
    "purchase_order",
    "invoice",
    "packing_list",
    "bill_of_lading",
    "payment_record",
    "production_record",
    "affidavit",
    "certificate",
    "lab_test",
    "receiving_advice",
    "other",
)

# UN/CEFACT Recommendation 20 unit codes (as EPCIS uses) and common spellings, to kilograms.
_MASS_TO_KG = {
    "KGM": 1.0,
    "KG": 1.0,
    "KGS": 1.0,
    "GRM": 0.001,
    "G": 0.001,
    "TNE": 1000.0,
    "T": 1000.0,
    "LBR": 0.45359237,
    "LB": 0.45359237,
    "LBS": 0.45359237,
    "ONZ": 0.028349523125,
}


def mass_kg(quantity: float | None, uom: str | None) -> float | None:
    """Convert a quantity in a mass unit to kilograms; None when the unit is not a mass unit."""
    if quantity is None or uom is None:
        return None
    factor = _MASS_TO_KG.get(uom.strip().upper())
    return None if factor is None else quantity * factor


@dataclass(slots=True)
class Facility:
    """A site in the chain (Open Supply Hub facility types; identifiers such as OS ID, USCC, GLN, DUNS)."""

    facility_id: str
    name: str = ""
    address: str = ""
    country: str = ""
    facility_type: str = ""
    identifiers: dict[str, str] = field(default_factory=dict)
    source: str = ""


@dataclass(slots=True)
class LotQuantity:
    """A lot (or EPC instance) and how much of it an event involved."""

    lot: str
    quantity: float | None = None
    uom: str | None = None

    @property
    def kg(self) -> float | None:
        """The quantity in kilograms, when its unit is a mass unit."""
        return mass_kg(self.quantity, self.uom)


@dataclass(slots=True)
class Transformation:
    """Inputs consumed and outputs made at a facility (spinning, weaving...); an origin has no inputs."""

    event_id: str
    when: datetime | None
    facility_id: str | None
    inputs: list[LotQuantity]
    outputs: list[LotQuantity]
    material: str | None = None  # of the outputs: seed_cotton, lint, yarn, fabric, garment...
    source: str = ""


@dataclass(slots=True)
class Movement:
    """A lot shipped from one facility to another (received_at when a receiving event says so).

    `kind` is "movement" for a complete record (CSV flows, or a shipping event paired with its
    receiving event), "shipping" for a shipping event not (yet) paired, "receiving" for a receipt whose
    shipping event is in no file given. `event_ids` lists every event recorded for this one movement;
    `from_ids` / `to_ids` every id (location or party) the events name for each end, for pairing.
    """

    event_id: str
    lots: list[LotQuantity]
    from_facility: str | None
    to_facility: str | None
    shipped_at: datetime | None
    received_at: datetime | None = None
    source: str = ""
    kind: str = "movement"
    event_ids: list[str] = field(default_factory=list)
    # Immutable and shared: most movements name the same few sites (a season has hundreds of thousands).
    from_ids: frozenset[str] = frozenset()
    to_ids: frozenset[str] = frozenset()
    to_is_location: bool = False  # the destination is a location (not only a party)

    def __post_init__(self) -> None:
        if not self.event_ids:
            self.event_ids = [self.event_id]


@dataclass(slots=True)
class Document:
    """A business record (PO, invoice, bill of lading...) linked to lots and events, with its file hash."""

    document_id: str
    doc_type: str
    number: str = ""
    date: str = ""
    issuer: str = ""
    # Immutable sets: the documents of one event share one object each (a season has millions of records).
    lots: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    file: str = ""
    sha256: str = ""
    source: str = ""


@dataclass
class Chain:
    """Everything known about one or more supply chains, merged from every input file."""

    facilities: dict[str, Facility] = field(default_factory=dict)
    transformations: list[Transformation] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    documents: dict[str, Document] = field(default_factory=dict)
    aggregations: dict[str, set[str]] = field(default_factory=dict)  # parent id -> child lots
    packed: dict[str, dict[str, LotQuantity]] = field(default_factory=dict)  # parent -> child quantities
    associations: dict[str, set[str]] = field(default_factory=dict)  # parent asset -> associated ids
    materials: dict[str, str] = field(default_factory=dict)  # lot -> material
    lot_location: dict[str, str] = field(default_factory=dict)  # lot -> facility where first seen
    inputs: list[str] = field(default_factory=list)  # files read, for the evidence index

    def document(self, document_id: str, doc_type: str) -> Document:
        """Return the document with this id, creating it when first referenced."""
        doc = self.documents.get(document_id)
        if doc is None:
            doc = self.documents[document_id] = Document(
                document_id, doc_type, number=_short_number(document_id)
            )
        return doc

    def add_transformation(self, event: Transformation) -> None:
        """Record a transformation, and where (and as what material) each output lot was first made."""
        self.transformations.append(event)
        for lot in event.outputs:
            self.lot_location.setdefault(lot.lot, event.facility_id or "")
            if event.material:
                self.materials[lot.lot] = event.material

    def merge(self, other: Chain) -> None:
        """Add another chain's records to this one (later facility rows fill blanks of earlier ones)."""
        for key, facility in other.facilities.items():
            mine = self.facilities.get(key)
            if mine is None:
                self.facilities[key] = facility
            else:
                for name in ("name", "address", "country", "facility_type"):
                    if not getattr(mine, name):
                        setattr(mine, name, getattr(facility, name))
                mine.identifiers = {**facility.identifiers, **mine.identifiers}
        self.transformations += other.transformations
        self.movements += other.movements
        for key, doc in other.documents.items():
            if key in self.documents:
                mine = self.documents[key]
                mine.lots |= doc.lots
                mine.events |= doc.events
                for name in ("number", "date", "issuer", "file", "sha256"):
                    if not getattr(mine, name):
                        setattr(mine, name, getattr(doc, name))
            else:
                self.documents[key] = doc
        for parent, children in other.aggregations.items():
            self.aggregations.setdefault(parent, set()).update(children)
        for parent, quantities in other.packed.items():
            self.packed.setdefault(parent, {}).update(quantities)
        for parent, children in other.associations.items():
            self.associations.setdefault(parent, set()).update(children)
        self.materials.update(other.materials)
        for lot, where in other.lot_location.items():
            self.lot_location.setdefault(lot, where)
        self.inputs += other.inputs


def _short_number(document_id: str) -> str:
    """The part after the last '/' or ':' (a trailing '/' ignored)."""
    text = document_id.rstrip("/")
    return text[max(text.rfind("/"), text.rfind(":")) + 1 :]


_DL_GTIN = re.compile(r"/01/(\d{14})(?:/|$)")
_EPC_CLASS = re.compile(r"^urn:epc:(?:class:lgtin|id:sgtin|idpat:sgtin):([0-9]+\.[0-9]+)")


def product_key(lot: str) -> str:
    """The product a lot belongs to: the GTIN of a GS1 id, or the part before '#' of a CSV lot id."""
    match = _DL_GTIN.search(lot)
    if match:
        return match.group(1)
    match = _EPC_CLASS.match(lot)
    if match:
        return match.group(1)
    return lot.split("#", 1)[0]


def matches_product(lot: str, product: str) -> bool:
    """True when a lot is the product asked for, or a lot of it."""
    product = product.strip()
    if lot == product:
        return True
    if product_key(product) != product:
        return False  # a specific lot was asked for
    return product_key(lot) == product
