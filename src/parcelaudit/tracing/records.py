"""Date order (received before transformed before shipped) and documents missing per tier against
CBP's applicability-review expectations (data/document_requirements.csv)."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from parcelaudit.tracing.graph import Upstream
from parcelaudit.tracing.model import Chain, Document

REQUIREMENTS_FILE = Path(__file__).resolve().parent / "data" / "document_requirements.csv"


@dataclass(frozen=True)
class Finding:
    """One gap: reason code, the facility concerned, the tier, and what is wrong in words."""

    code: str
    facility_id: str | None
    tier: int
    detail: str


def _utc(when: datetime | None) -> datetime | None:
    # EPCIS times carry offsets, CSV dates do not: compare both as naive UTC.
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _fmt(when: datetime | None) -> str:
    return when.isoformat(sep=" ", timespec="minutes") if when else "?"


def check_dates(up: Upstream) -> list[Finding]:
    """Inputs produced and received before they are transformed; lots produced before shipped."""
    found: list[Finding] = []

    def must_precede(
        first: datetime | None, then: datetime | None, facility: str | None, tier: int, what: str
    ):
        if first and then and first > then:
            found.append(
                Finding("DATE-ORDER", facility, tier, f"{what} ({_fmt(first)} is after {_fmt(then)})")
            )

    produced_at: dict[str, datetime] = {}
    for t in up.transformations:
        for q in t.outputs:
            if (when := _utc(t.when)) and (q.lot not in produced_at or when < produced_at[q.lot]):
                produced_at[q.lot] = when
    arrivals: dict[tuple[str, str | None], datetime | None] = {
        (q.lot, m.to_facility): _utc(m.received_at) or _utc(m.shipped_at)
        for m in up.movements
        for q in m.lots
    }
    for t in up.transformations:
        when, tier = _utc(t.when), min((up.tiers.get(q.lot, 0) for q in t.outputs), default=0)
        for q in t.inputs:
            what = f"{t.event_id} transforms {q.lot} on {_fmt(when)} before it was"
            must_precede(produced_at.get(q.lot), when, t.facility_id, tier, f"{what} produced")
            must_precede(arrivals.get((q.lot, t.facility_id)), when, t.facility_id, tier, f"{what} received")
    for m in up.movements:
        shipped, tier = _utc(m.shipped_at), min(up.tiers.get(q.lot, 0) for q in m.lots)
        must_precede(
            shipped, _utc(m.received_at), m.to_facility, tier, f"{m.event_id}: received before shipped"
        )
        for q in m.lots:
            what = f"{m.event_id} ships {q.lot} on {_fmt(shipped)} before it was produced"
            must_precede(produced_at.get(q.lot), shipped, m.from_facility, tier, what)
    return found


@lru_cache(maxsize=1)
def requirements() -> list[dict[str, str]]:
    """The documents expected per movement, transformation and material, with why."""
    with open(REQUIREMENTS_FILE, encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


class DocumentIndex:
    """Documents by the lots and events they name, so each step's records are found without a scan."""

    def __init__(self, chain: Chain) -> None:
        self.by_lot: dict[str, list[Document]] = defaultdict(list)
        self.by_event: dict[str, list[Document]] = defaultdict(list)
        for doc in chain.documents.values():
            for lot in doc.lots:
                self.by_lot[lot].append(doc)
            for event in doc.events:
                self.by_event[event].append(doc)

    def find(self, lots: set[str], event_id: str | None = None) -> list[Document]:
        """Documents that name any of the lots (or the event), each once."""
        found = {id(d): d for lot in lots for d in self.by_lot.get(lot, ())}
        found.update({id(d): d for d in self.by_event.get(event_id or "", ())})
        return list(found.values())

    def types(self, lots: set[str], event_id: str | None = None) -> set[str]:
        """The document types linked to the lots or the event."""
        return {d.doc_type for d in self.find(lots, event_id)}


def record_steps(up: Upstream) -> list[tuple[str, str, set[str], str | None, str]]:
    """(scope, event id, lots, responsible facility, label) for each step that needs records."""
    steps = []
    for m in up.movements:
        lots = ", ".join(q.lot for q in m.lots[:2]) + (" ..." if len(m.lots) > 2 else "")
        label = f"the shipment of {lots} from {m.from_facility or '?'} to {m.to_facility or '?'}"
        steps.append(("movement", m.event_id, {q.lot for q in m.lots}, m.from_facility, label))
    for t in up.transformations:
        if t.inputs:  # an origin event has no production run to document
            steps.append(
                ("transformation", t.event_id, {q.lot for q in t.outputs}, t.facility_id, t.event_id)
            )
    return steps


def check_documents(up: Upstream, chain: Chain) -> list[Finding]:
    """Each required record type absent for a step, and referenced records with no copy (no hash)."""
    index = DocumentIndex(chain)
    found = []
    for scope, event_id, lots, facility_id, label in record_steps(up):
        have = index.types(lots, event_id)
        tier = min(up.tiers.get(lot, 0) for lot in lots)
        for rule in (r for r in requirements() if r["scope"] == scope and r["doc_type"] not in have):
            what = rule["doc_type"].replace("_", " ")
            found.append(
                Finding(
                    "MISSING-DOCUMENT",
                    facility_id,
                    tier,
                    f"tier {tier}: no {what} for {label} ({rule['why']})",
                )
            )
    for lot, tier in sorted(up.tiers.items()):
        material = chain.materials.get(lot)
        for rule in (r for r in requirements() if r["scope"] == "material" and r["applies_to"] == material):
            if rule["doc_type"] not in index.types({lot}):
                found.append(
                    Finding(
                        "MISSING-DOCUMENT",
                        chain.lot_location.get(lot),
                        tier,
                        f"tier {tier}: no {rule['doc_type']} for {material} lot {lot} ({rule['why']})",
                    )
                )
    involved = set(up.tiers)
    for doc in chain.documents.values():
        if doc.lots & involved and not doc.sha256:
            found.append(
                Finding(
                    "MISSING-DOCUMENT",
                    doc.issuer or None,
                    0,
                    f"{doc.doc_type.replace('_', ' ')} {doc.number or doc.document_id} is referenced "
                    "but no copy was provided (list its file in documents.csv)",
                )
            )
    return found
