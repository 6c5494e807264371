"""Map EPCIS 2.0 JSON / JSON-LD documents onto the supply-chain model (after validating them).

Object events with ADD (commissioning) create origin lots; shipping / receiving events are movements;
transformation events consume and produce lots; aggregation and association events record what is
packed in or attached to what; every bizTransaction (on any event, and TransactionEvents) becomes a
linked document; certificationInfo becomes a certificate. Lot material comes from ilmd `pa:material`
(namespace https://parcelaudit.org/epcis/) or any ilmd field named `material`.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from sys import intern
from typing import Any

from parcelaudit.errors import InputError
from parcelaudit.tracing.epcis_validate import DocumentChecker, iter_events, read_outline
from parcelaudit.tracing.model import Chain, Facility, LotQuantity, Movement, Transformation
from parcelaudit.tracing.movements import pair_movements

PA_NAMESPACE = "https://parcelaudit.org/epcis/"
SHIP_STEPS = {"shipping", "departing"}
RECEIVE_STEPS = {"receiving", "arriving", "accepting"}
# CBV business transaction types (and our two extensions) to the model's document types.
BTT_TO_DOCUMENT = {
    "po": "purchase_order",
    "poc": "purchase_order",
    "inv": "invoice",
    "desadv": "packing_list",
    "bol": "bill_of_lading",
    "prodorder": "production_record",
    "cert": "certificate",
    "testres": "lab_test",
    "testprd": "lab_test",
    "recadv": "receiving_advice",
    "rma": "other",
    "pedigree": "other",
    "upevt": "other",
    "payment": "payment_record",
    "affidavit": "affidavit",
    "production": "production_record",
    "packinglist": "packing_list",
}


def _term(value: Any) -> str:
    """The bare term of a CBV value written as a word, a CBV URI or a CURIE."""
    text = value if value.__class__ is str else str(value or "")
    return _text_term(text)


@lru_cache(maxsize=4096)
def _text_term(text: str) -> str:
    # Every event names a few of the same CBV values: each is worked out once (bounded cache).
    for separator in ("BizStep-", "Disp-", "SDT-", "BTT-", "bizstep:", "disp:", "sdt:", "btt:"):
        if separator in text:
            return text.split(separator, 1)[1]
    if text.startswith(PA_NAMESPACE):
        return text[len(PA_NAMESPACE) :]
    if text.startswith("pa:"):
        return text[3:]
    return text


def _document_type(btt: Any) -> str:
    """The model's document type of a bizTransaction type (CBV term, or an extension by its local name)."""
    return _term_document_type(_term(btt))


@lru_cache(maxsize=4096)
def _term_document_type(term: str) -> str:
    if term in BTT_TO_DOCUMENT:
        return BTT_TO_DOCUMENT[term]
    local = re.split(r"[:/#]", term.rstrip("/"))[-1].lower()
    return BTT_TO_DOCUMENT.get(local, "other") if local in ("payment", "affidavit") else "other"


_ZONES: dict[tzinfo, tzinfo] = {}  # one object per UTC offset, shared by every event time that has it


def _time(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if when is None or when.tzinfo is None or len(_ZONES) >= 4096:
        return when
    shared = _ZONES.setdefault(when.tzinfo, when.tzinfo)
    return when if shared is when.tzinfo else when.replace(tzinfo=shared)


def _place(event: dict) -> str | None:
    for key in ("bizLocation", "readPoint"):
        node = event.get(key)
        if isinstance(node, dict) and node.get("id"):
            return intern(str(node["id"]))
    return None


_END_RANK = {"location": 0, "possessing_party": 1, "owning_party": 2}  # the order an end is chosen in


def _ends(event: dict, list_name: str) -> tuple[str | None, bool, set[str]]:
    """(best id, whether it is a location, every id) of a source or destination list.

    The location is preferred, else the possessing party, else the owning party (the first entry of
    that type naming an id). One pass over the list: every shipping and receiving event has two.
    """
    key = "source" if list_name == "sourceList" else "destination"
    every: set[str] = set()
    best: list[str | None] = [None, None, None]
    for entry in event.get(list_name) or ():
        if not isinstance(entry, dict):
            continue
        value = entry.get(key)
        if not value:
            continue
        ident = intern(value if value.__class__ is str else str(value))
        every.add(ident)
        rank = _END_RANK.get(_term(entry.get("type")))
        if rank is not None and best[rank] is None:
            best[rank] = ident
    for rank, ident in enumerate(best):
        if ident is not None:
            return ident, rank == 0, every
    return None, False, every


def _lots(event: dict, *names: str) -> list[LotQuantity]:
    found: list[LotQuantity] = []
    for name in names:
        for item in event.get(name) or ():
            if item.__class__ is str or isinstance(item, str):
                found.append(LotQuantity(intern(item)))
            elif isinstance(item, dict):
                epc = item.get("epcClass")
                if epc:
                    uom = item.get("uom")
                    found.append(
                        LotQuantity(
                            intern(epc if epc.__class__ is str else str(epc)),
                            item.get("quantity"),
                            intern(uom) if uom else uom,
                        )
                    )
    return found


def _material(event: dict) -> str | None:
    ilmd = event.get("ilmd")
    if not isinstance(ilmd, dict):
        return None
    for key, value in ilmd.items():
        if key.split(":")[-1].split("/")[-1].lower() == "material" and isinstance(value, str):
            return value.strip().lower()
    return None


class _Mapper:
    def __init__(self, chain: Chain, label: str) -> None:
        self.chain = chain
        self.label = label
        self._id_sets: dict[frozenset[str], frozenset[str]] = {}

    def ids(self, found: set[str]) -> frozenset[str]:
        """The ids as an immutable set shared by every movement (or record) naming the same ones: the
        events of one lot name the same lots and sites again and again, and a set costs 200 bytes."""
        key = frozenset(found)
        return self._id_sets.setdefault(key, key)

    def facility(self, facility_id: str | None) -> str | None:
        if facility_id and facility_id not in self.chain.facilities:
            self.chain.facilities[facility_id] = Facility(facility_id, source=self.label)
        return facility_id

    def documents(self, event: dict, event_id: str, lots: list[LotQuantity]) -> None:
        certification = event.get("certificationInfo")
        certificates = [certification] if isinstance(certification, str) else certification or []
        papers = [
            (str(item["bizTransaction"]), _document_type(item.get("type")))
            for item in event.get("bizTransactionList") or []
            if isinstance(item, dict) and item.get("bizTransaction")
        ] + [(str(uri), "certificate") for uri in certificates]
        if not papers:
            return
        lot_ids, event_ids = self.ids({lot.lot for lot in lots}), frozenset((event_id,))
        known = self.chain.documents
        for document_id, doc_type in papers:
            doc = known.get(document_id) or self.chain.document(document_id, doc_type)
            # A document first seen here shares this event's sets; a later mention makes its own union.
            doc.lots = lot_ids if not doc.lots else doc.lots | lot_ids
            doc.events = event_ids if not doc.events else doc.events | event_ids
            if doc_type != "certificate":
                doc.source = doc.source or self.label

    def expand(self, lots: list[LotQuantity]) -> list[LotQuantity]:
        """Replace a pallet or case id by the lots packed in it (aggregation events)."""
        out: list[LotQuantity] = []
        for lot in lots:
            children = self.chain.aggregations.get(lot.lot)
            packed = self.chain.packed.get(lot.lot, {})
            out += (
                [packed.get(child, LotQuantity(child)) for child in sorted(children)] if children else [lot]
            )
        return out

    def object_event(
        self, event: dict, event_id: str, when: datetime | None, named: list[LotQuantity]
    ) -> None:
        """Map one ObjectEvent naming the lots `named` (before pallets are expanded)."""
        step = _term(event.get("bizStep"))
        lots = self.expand(named)
        place = self.facility(_place(event))
        if event.get("action") == "ADD" and (step == "commissioning" or _material(event)):
            self.chain.add_transformation(
                Transformation(event_id, when, place, [], lots, _material(event), self.label)
            )
        elif step in SHIP_STEPS:
            source, _, source_ids = _ends(event, "sourceList")
            target, located, target_ids = _ends(event, "destinationList")
            movement = Movement(
                event_id, lots, self.facility(source or place), self.facility(target), when, None, self.label
            )
            movement.kind, movement.to_is_location = "shipping", located
            movement.from_ids = self.ids(source_ids | ({place} if place else set()))
            movement.to_ids = self.ids(target_ids)
            self.chain.movements.append(movement)
        elif step in RECEIVE_STEPS:
            source, _, source_ids = _ends(event, "sourceList")
            target, located, target_ids = _ends(event, "destinationList")
            movement = Movement(
                event_id, lots, self.facility(source), self.facility(place or target), None, when, self.label
            )
            movement.kind, movement.to_is_location = "receiving", bool(place) or located
            movement.from_ids = self.ids(source_ids)
            movement.to_ids = self.ids(target_ids | ({place} if place else set()))
            self.chain.movements.append(movement)

    def event(self, event: dict, index: int) -> None:
        kind = event.get("type")
        event_id = str(event.get("eventID") or f"{self.label}#event{index + 1}")
        when = _time(event.get("eventTime"))
        if kind == "ObjectEvent":
            lots = _lots(
                event, "epcList", "quantityList"
            )  # read once: expand() copies, documents() only reads
            self.object_event(event, event_id, when, lots)
        elif kind == "TransformationEvent":
            inputs = self.expand(_lots(event, "inputEPCList", "inputQuantityList"))
            outputs = _lots(event, "outputEPCList", "outputQuantityList")
            place = self.facility(_place(event))
            self.chain.add_transformation(
                Transformation(event_id, when, place, inputs, outputs, _material(event), self.label)
            )
            lots = outputs  # a production record documents what was made (and names the event)
        elif kind in ("AggregationEvent", "AssociationEvent"):
            parent = event.get("parentID")
            children = _lots(event, "childEPCs", "childQuantityList")
            target = self.chain.aggregations if kind == "AggregationEvent" else self.chain.associations
            if parent and event.get("action") in ("ADD", "OBSERVE"):
                target.setdefault(str(parent), set()).update(child.lot for child in children)
                if kind == "AggregationEvent":
                    packed = self.chain.packed.setdefault(str(parent), {})
                    packed.update({c.lot: c for c in children if c.quantity is not None})
            lots = children + ([LotQuantity(str(parent))] if parent else [])
        else:  # TransactionEvent: documents about lots
            lots = _lots(event, "epcList", "quantityList")
            if event.get("parentID"):
                lots.append(LotQuantity(str(event["parentID"])))
        self.documents(event, event_id, lots)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a chain is built (restored after, even on error).

    A season's chain is millions of small acyclic objects; each full collection while it grows walks all
    of them again, which made loading a million events about a tenth slower. Nothing a chain holds is a
    cycle, so reference counting still frees everything; the collector runs again as soon as this ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_epcis(path: Path, use_schema: bool = True, progress: Callable[[int], None] | None = None) -> Chain:
    """Validate and import one EPCIS 2.0 JSON / JSON-LD file as it streams (memory does not grow with the
    file, only with the chain it describes); invalid documents raise InputError naming the first problem.

    progress, when given, is called with the number of events read so far (every 10,000 events).
    """
    with collector_paused():
        return _read_epcis(Path(path), use_schema, progress)


def _read_epcis(path: Path, use_schema: bool, progress: Callable[[int], None] | None) -> Chain:
    outline = read_outline(path)
    checker = DocumentChecker(outline.header, use_schema, outline.body_is_object)
    chain = Chain(inputs=[str(path)])
    mapper = _Mapper(chain, path.name)
    for index, event in enumerate(iter_events(path, outline)):
        if checker.check(index, event) and not checker.count and isinstance(event, dict):
            mapper.event(event, index)
        if progress is not None and index % 10_000 == 9_999:
            progress(index + 1)
    if checker.count:
        first = checker.problems[0]
        more = f" (and {checker.count - 1:,} more problem(s))" if checker.count > 1 else ""
        raise InputError(
            f"invalid EPCIS document: {first.where}: {first.message}{more}",
            file=str(path),
            field=first.field,
            hint="fix the event named; `parcelaudit trace-validate FILE` lists every problem",
        )
    pair_movements(chain)
    return chain
