"""Date order (received before transformed before shipped) and documents missing per tier against
CBP's applicability-review expectations (data/document_requirements.csv)."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
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
def requirements() -> tuple[dict[str, str], ...]:
    """The documents expected per movement, transformation and material, with why (read once; every
    step of a season consults it)."""
    with open(REQUIREMENTS_FILE, encoding="utf-8") as handle:
        return tuple(csv.DictReader(line for line in handle if not line.startswith("#")))


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
        # One shared set per combination of types (a season has few combinations and many lots).
        shared: dict[frozenset[str], frozenset[str]] = {}
        self.types_by_lot: dict[str, frozenset[str]] = {}
        for lot, docs in self.by_lot.items():
            types = frozenset(doc.doc_type for doc in docs)
            self.types_by_lot[lot] = shared.setdefault(types, types)

    def find(
        self, lots: set[str], event_ids: tuple[str, ...] = (), limit: int | None = None
    ) -> list[Document]:
        """Documents that name any of the lots (or one of the events), each once; at most `limit`."""
        found: dict[int, Document] = {}
        sources = [self.by_event.get(e, ()) for e in event_ids] + [self.by_lot.get(lot, ()) for lot in lots]
        for docs in sources:
            for doc in docs:
                found.setdefault(id(doc), doc)
                if limit is not None and len(found) >= limit:
                    return list(found.values())
        return list(found.values())

    def types(self, lots: set[str], event_ids: tuple[str, ...] = ()) -> set[str]:
        """The document types linked to the lots or the events."""
        have: set[str] = set()
        for lot in lots:
            have |= self.types_by_lot.get(lot, frozenset())
        for event in event_ids:
            have.update(d.doc_type for d in self.by_event.get(event, ()))
        return have


@dataclass
class Step:
    """A step that needs records: one movement or transformation, or several identical repeats of one.

    Repeated events (the same lots shipped between the same two facilities again and again) are
    summarised as one step with a count, so findings and dossier tables stay bounded.
    """

    scope: str  # movement | transformation
    event_ids: tuple[str, ...]
    lots: frozenset[str]
    facility_id: str | None
    label: str
    members: tuple[tuple[str, ...], ...] = ()  # the event ids of each repeat

    @property
    def count(self) -> int:
        """How many times the step was repeated."""
        return max(len(self.members), 1)


def record_steps(up: Upstream) -> list[Step]:
    """Each step that needs records (repeats of one step grouped), in a stable order."""
    groups: dict[tuple, list[tuple[str, ...]]] = {}
    firsts: dict[tuple, tuple[str, frozenset[str], str | None, str]] = {}
    for m in up.movements:
        lots = frozenset(q.lot for q in m.lots)
        key = ("movement", lots, m.from_facility, m.to_facility)
        if key not in groups:
            shown = ", ".join(sorted(lots)[:2]) + (" ..." if len(lots) > 2 else "")
            label = f"the shipment of {shown} from {m.from_facility or '?'} to {m.to_facility or '?'}"
            groups[key], firsts[key] = [], ("movement", lots, m.from_facility, label)
        groups[key].append(tuple(m.event_ids))
    for t in up.transformations:
        if t.inputs:  # an origin event has no production run to document
            lots = frozenset(q.lot for q in t.outputs)
            inputs = frozenset(q.lot for q in t.inputs)
            key = ("transformation", lots, inputs, t.facility_id)
            if key not in groups:
                groups[key], firsts[key] = [], ("transformation", lots, t.facility_id, t.event_id)
            groups[key].append((t.event_id,))
    steps = []
    for key, members in groups.items():
        scope, lots, facility_id, label = firsts[key]
        # One member (the usual case): its tuple is the step's ids, not a copy (a season has a million).
        event_ids = members[0] if len(members) == 1 else tuple(e for member in members for e in member)
        steps.append(Step(scope, event_ids, lots, facility_id, label, tuple(members)))
    return steps


def check_documents(
    up: Upstream,
    chain: Chain,
    require_copies: bool = False,
    index: DocumentIndex | None = None,
    steps: list[Step] | None = None,
) -> list[Finding]:
    """Each required record type absent for a step; with require_copies, referenced records with no copy.

    A record referenced by type and number (an EPCIS bizTransaction, a documents.csv row) is present for
    its step; whether a copy was given is a checklist item, and a gap only when copies are required
    (preparing a submission to CBP). index and steps: the chain's DocumentIndex and record_steps(up) when
    the caller already made them (a season's index takes seconds to build).
    """
    index = index or DocumentIndex(chain)
    found = []
    for step in record_steps(up) if steps is None else steps:
        # Records linked to the lots count for every repeat; records linked to events only when every
        # repeat has one.
        by_event = [index.types(set(), member) for member in step.members]
        have = index.types(set(step.lots)) | (set.intersection(*by_event) if by_event else set())
        tier = min((up.tiers.get(lot, 0) for lot in step.lots), default=0)
        repeats = f" ({step.count:,} times)" if step.count > 1 else ""
        for rule in (r for r in requirements() if r["scope"] == step.scope and r["doc_type"] not in have):
            what = rule["doc_type"].replace("_", " ")
            found.append(
                Finding(
                    "MISSING-DOCUMENT",
                    step.facility_id,
                    tier,
                    f"tier {tier}: no {what} for {step.label}{repeats} ({rule['why']})",
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
    if require_copies:
        for doc in uncopied_documents(up, chain):
            found.append(
                Finding(
                    "MISSING-DOCUMENT",
                    doc.issuer or None,
                    0,
                    f"{doc.doc_type.replace('_', ' ')} {doc.number or doc.document_id} is referenced but no "
                    "copy was provided (list its file in documents.csv or put it in --documents DIR)",
                )
            )
    return found


def uncopied_documents(up: Upstream, chain: Chain) -> list[Document]:
    """Records the product's chain references (by type and number) without a copy (so without a hash)."""
    involved = set(up.tiers)
    events = {e for m in up.movements for e in m.event_ids} | {t.event_id for t in up.transformations}
    return sorted(
        (
            doc
            for doc in chain.documents.values()
            if not doc.sha256 and (doc.lots & involved or doc.events & events)
        ),
        key=attrgetter("doc_type", "number", "document_id"),
    )
