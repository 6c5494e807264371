"""Trace one product: load the files, analyse the chain, and give a verdict with reasons.

The verdict is `exposed` when a facility is in Xinjiang or matches a restricted list, `review` when
anything is missing, unknown or does not reconcile (unknown is never clean), and `clear` otherwise.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from parcelaudit.errors import InputError
from parcelaudit.tracing.csv_templates import attach_copies, read_documents, read_facilities, read_flows
from parcelaudit.tracing.epcis_import import collector_paused, read_epcis
from parcelaudit.tracing.exposure import (
    FacilityExposure,
    ScreenFunction,
    assess_facilities,
    default_screen,
    high_priority_sectors,
)
from parcelaudit.tracing.graph import Upstream, build_upstream, lot_coverage, tier_coverage
from parcelaudit.tracing.model import Chain
from parcelaudit.tracing.movements import pair_movements
from parcelaudit.tracing.quantities import StepCheck, YieldRange, check_lot_use, check_steps, load_yields
from parcelaudit.tracing.records import (
    DocumentIndex,
    Finding,
    Step,
    check_dates,
    check_documents,
    record_steps,
)

REASON_CODES = (
    "XINJIANG-FACILITY",
    "LISTED-ENTITY",
    "QUANTITY-MISMATCH",
    "DATE-ORDER",
    "MISSING-DOCUMENT",
    "UNTRACED-INPUT",
)
EXPOSING = {"XINJIANG-FACILITY", "LISTED-ENTITY"}


def _csv_kind(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = {name.strip() for name in next(csv.reader(handle), [])}
    if "flow_id" in header:
        return "flows"
    if "document_id" in header:
        return "documents"
    if "facility_id" in header and "facility_type" in header:
        return "facilities"
    raise InputError(
        "not a facilities.csv, flows.csv or documents.csv template",
        file=str(path),
        row=1,
        hint="see docs/tracing.md for the template columns",
    )


def load_chain(
    files: list[Path],
    facilities: Path | None = None,
    use_schema: bool = True,
    documents_dir: Path | None = None,
) -> Chain:
    """Read EPCIS documents and CSV templates (any mix) into one chain; facilities.csv fills master data.

    Shipping and receiving events of one movement, in whichever files, become one movement; copies in
    `documents_dir` are matched to referenced records by number and hashed.
    """
    with collector_paused():  # a season's chain is millions of objects: see collector_paused
        chain = Chain()
        readers = {"flows": read_flows, "documents": read_documents, "facilities": read_facilities}
        for path in [Path(f) for f in files] + ([Path(facilities)] if facilities else []):
            if not path.is_file():
                raise InputError("file not found", file=str(path))
            if path.suffix.lower() in (".json", ".jsonld"):
                chain.merge(read_epcis(path, use_schema=use_schema))
            else:
                chain.merge(readers[_csv_kind(path)](path))
        pair_movements(chain)
        _join_documents(chain)
    if documents_dir is not None:
        attach_copies(chain, Path(documents_dir))
    return chain


def _join_documents(chain: Chain) -> None:
    """Merge a documents.csv row into the EPCIS bizTransaction it describes when their numbers agree."""
    by_number: dict[str, str] = {}
    for key, doc in chain.documents.items():
        if doc.source.endswith((".json", ".jsonld")):
            by_number.setdefault(doc.number, key)
    for key in list(chain.documents):
        doc = chain.documents[key]
        target = by_number.get(doc.number)
        if target and target != key and not doc.source.endswith((".json", ".jsonld")):
            epcis_doc = chain.documents[target]
            epcis_doc.lots |= doc.lots
            epcis_doc.events |= doc.events
            for name in ("date", "issuer", "file", "sha256"):
                setattr(epcis_doc, name, getattr(epcis_doc, name) or getattr(doc, name))
            epcis_doc.doc_type = doc.doc_type if epcis_doc.doc_type == "other" else epcis_doc.doc_type
            del chain.documents[key]
    # Flows named in documents.csv link their lots: what a transformation made, what a movement carried.
    # Lot sets are shared (the events of one lot name the same lots): a season has a million events.
    shared: dict[frozenset[str], frozenset[str]] = {}
    event_lots: dict[str, frozenset[str]] = {}
    for event in chain.transformations:
        lots = frozenset(q.lot for q in event.outputs)
        if event.event_id in event_lots:
            lots = lots | event_lots[event.event_id]
        event_lots[event.event_id] = shared.setdefault(lots, lots)
    for movement in chain.movements:
        lots = frozenset(q.lot for q in movement.lots)
        lots = shared.setdefault(lots, lots)
        for event_id in movement.event_ids:
            if event_id in event_lots:
                both = event_lots[event_id] | lots
                event_lots[event_id] = shared.setdefault(both, both)
            else:
                event_lots[event_id] = lots
    unions: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = {}
    for doc in chain.documents.values():
        for flow in doc.events:
            extra = event_lots.get(flow)
            if extra and not extra <= doc.lots:
                key = (doc.lots, extra)
                union = unions.get(key)
                if union is None:
                    union = unions[key] = doc.lots | extra
                doc.lots = union


@dataclass
class Reason:
    """Why a product is not clear: a reason code, the facility concerned and the detail."""

    code: str
    facility_id: str | None
    detail: str
    tier: int = 0

    def as_dict(self) -> dict:
        """The verdict.json form."""
        return {"code": self.code, "facility_id": self.facility_id, "detail": self.detail, "tier": self.tier}


@dataclass
class TraceResult:
    """Everything the verdict and dossier show for one product."""

    product: str
    verdict: str
    coverage: float
    reasons: list[Reason]
    chain: Chain
    upstream: Upstream
    facilities: list[FacilityExposure]
    steps: list[StepCheck]
    tiers: list[dict]
    sectors: list[dict]
    yields: dict[tuple[str, str], YieldRange]
    skus: list[str] = field(default_factory=list)
    # The chain's records by lot and event, and the steps that need records: made once by trace() and
    # read again by the dossier's checklist and stage tables.
    document_index: DocumentIndex | None = None
    record_steps: list[Step] = field(default_factory=list)

    def verdict_json(self) -> dict:
        """The contract form written to verdict.json."""
        return {
            "product": self.product,
            "verdict": self.verdict,
            "coverage": self.coverage,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "tiers": self.tiers,
            "high_priority_sectors": self.sectors,
            "skus": self.skus,
            "facilities": [
                {
                    "facility_id": f.facility.facility_id,
                    "name": f.facility.name,
                    "country": f.facility.country,
                    "tier": f.tier,
                    "xinjiang": f.xinjiang.is_xinjiang,
                    "xinjiang_score": f.xinjiang.score,
                    "listed": bool(f.hits),
                }
                for f in self.facilities
            ],
        }

    def write_verdict(self, path: Path) -> Path:
        """Write verdict.json."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(self.verdict_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return path


def _exposure_reasons(facilities: list[FacilityExposure]) -> list[Reason]:
    reasons = []
    for f in facilities:
        fid = f.facility.facility_id
        if f.xinjiang.is_xinjiang:
            reasons.append(
                Reason(
                    "XINJIANG-FACILITY",
                    fid,
                    f"tier {f.tier}: {f.facility.name or fid} at "
                    f"{f.facility.address!r}: {f.xinjiang.explanation}",
                    f.tier,
                )
            )
        for hit in f.hits:
            reasons.append(
                Reason(
                    "LISTED-ENTITY",
                    fid,
                    f"tier {f.tier}: {hit['screened_name']!r} matches "
                    f"{hit['list']} entry {hit['matched_name']!r} (score {hit['score']}): "
                    f"{hit['explanation']}",
                    f.tier,
                )
            )
        if f.missing_fields:
            reasons.append(
                Reason(
                    "UNTRACED-INPUT",
                    fid,
                    f"tier {f.tier}: facility {fid} has no "
                    f"{', '.join(f.missing_fields)} in facilities.csv, so it cannot be screened",
                    f.tier,
                )
            )
    return reasons


def _untraced(up: Upstream, chain: Chain) -> list[Reason]:
    reasons = []
    consumers = {q.lot: t for t in up.transformations for q in t.inputs}
    for lot, tier in sorted(up.tiers.items(), key=lambda item: item[1]):
        if not up.producers.get(lot):
            where = consumers[lot].facility_id if lot in consumers else chain.lot_location.get(lot)
            reasons.append(
                Reason(
                    "UNTRACED-INPUT",
                    where,
                    f"tier {tier}: no production or origin record for "
                    f"{chain.materials.get(lot) or 'input'} lot {lot}",
                    tier,
                )
            )
    return reasons


def trace(
    chain: Chain,
    product: str,
    yields: dict[tuple[str, str], YieldRange] | None = None,
    screen: ScreenFunction | None = default_screen,
    skus: list[str] | None = None,
    require_copies: bool = False,
) -> TraceResult:
    """Analyse a product's supply chain: graph, coverage, exposure, quantities, dates, documents, verdict.

    With require_copies, a record referenced without a copy is a MISSING-DOCUMENT gap (for a submission
    to CBP); otherwise it is only a checklist item in the dossier.
    """
    yields = yields or load_yields()
    up = build_upstream(chain, product)
    facilities = assess_facilities(up, chain, screen)
    steps = check_steps(chain, up, yields)
    reasons = _exposure_reasons(facilities) + _untraced(up, chain)
    tier_of_event = {
        t.event_id: min((up.tiers.get(q.lot, 0) for q in t.outputs), default=0) for t in up.transformations
    }
    for step in steps:
        if step.problem:
            tier = tier_of_event.get(step.event_id, 0)
            reasons.append(
                Reason(
                    "QUANTITY-MISMATCH",
                    step.facility_id,
                    f"tier {tier}: {step.event_id}: {step.problem}",
                    tier,
                )
            )
    for lot, facility_id, detail in check_lot_use(chain, up):
        reasons.append(Reason("QUANTITY-MISMATCH", facility_id, detail, up.tiers.get(lot, 0)))
    index, needing_records = DocumentIndex(chain), record_steps(up)
    findings: list[Finding] = check_dates(up) + check_documents(
        up, chain, require_copies, index, needing_records
    )
    reasons += [Reason(f.code, f.facility_id, f.detail, f.tier) for f in findings]
    reasons.sort(key=lambda r: (REASON_CODES.index(r.code), r.tier, r.facility_id or ""))
    coverage_by_lot = lot_coverage(up)
    coverage = round(sum(coverage_by_lot[lot] for lot in up.roots) / len(up.roots), 4)
    codes = {r.code for r in reasons}
    verdict = "exposed" if codes & EXPOSING else "review" if reasons or coverage < 1.0 else "clear"
    return TraceResult(
        product,
        verdict,
        coverage,
        reasons,
        chain,
        up,
        facilities,
        steps,
        tier_coverage(up, chain),
        high_priority_sectors(up, chain),
        yields,
        list(skus or []),
        index,
        needing_records,
    )
