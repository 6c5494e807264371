"""Count each physical movement once, across documents.

Each party normally publishes its own EPCIS document: the supplier its shipping event, the buyer its
receiving event of the same lots. Both describe one movement. After every file is merged, each receipt
is paired with the shipping event of the same lots (expanded through aggregation events, so a pallet
shipped and its cases received still pair) whose ends agree best; the pair becomes one movement carrying
both event ids. An event published in two documents (same eventID) is kept once. A receipt with no
shipping event anywhere stays a movement of its own; so does a shipping event nobody received.
TransactionEvents and AggregationEvents never create movements (epcis_import).
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import UTC, datetime

from parcelaudit.tracing.model import Chain, Movement

# How many unpaired shipments of one lot a receipt looks at (oldest first): keeps pairing linear when a
# lot is shipped thousands of times.
CANDIDATE_WINDOW = 64
_EXPAND_DEPTH = 8  # pallet -> case -> item nesting followed when comparing lots


def _naive(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def expanded_lots(chain: Chain, lots: list[str]) -> frozenset[str]:
    """The lots, with every aggregated parent (pallet, case) replaced by what is packed in it."""
    found: set[str] = set()
    frontier = [(lot, 0) for lot in lots]
    while frontier:
        lot, depth = frontier.pop()
        children = chain.aggregations.get(lot)
        if children and depth < _EXPAND_DEPTH:
            frontier += [(child, depth + 1) for child in children]
        else:
            found.add(lot)
    return frozenset(found)


def _drop_repeated_events(chain: Chain) -> None:
    """Keep one copy of an event published in several documents (EPCIS eventIDs are unique)."""
    seen: set[str] = set()
    kept = []
    for transformation in chain.transformations:
        if transformation.event_id not in seen:
            seen.add(transformation.event_id)
            kept.append(transformation)
    chain.transformations = kept
    seen_moves: set[str] = set()
    moves = []
    for movement in chain.movements:
        if not seen_moves.intersection(movement.event_ids):
            seen_moves.update(movement.event_ids)
            moves.append(movement)
    chain.movements = moves


def _score(shipment: Movement, receipt: Movement) -> int:
    """How well a receipt's ends agree with a shipment's (higher is better); -1 when they cannot agree."""
    score = 0
    if receipt.to_ids & shipment.to_ids:
        score += 4
    elif receipt.to_is_location and shipment.to_is_location:
        return -1  # both name a location, and they differ: the goods arrived elsewhere
    if receipt.from_ids and shipment.from_ids:
        score += 2 if receipt.from_ids & shipment.from_ids else 0
    shipped, received = _naive(shipment.shipped_at), _naive(receipt.received_at)
    if shipped and received and shipped <= received:
        score += 1
    return score


def _absorb(shipment: Movement, receipt: Movement) -> None:
    shipment.kind = "movement"
    shipment.event_ids += [e for e in receipt.event_ids if e not in shipment.event_ids]
    received = receipt.received_at
    if received and (shipment.received_at is None or _naive(received) > _naive(shipment.received_at)):
        shipment.received_at = received
    # The receiving event's own place is where the goods are: prefer it to a party id.
    if receipt.to_facility and receipt.to_is_location and not shipment.to_is_location:
        shipment.to_facility, shipment.to_is_location = receipt.to_facility, True
    shipment.to_facility = shipment.to_facility or receipt.to_facility
    if not receipt.to_ids <= shipment.to_ids:
        shipment.to_ids = shipment.to_ids | receipt.to_ids
    shipment.from_facility = shipment.from_facility or receipt.from_facility
    if not receipt.from_ids <= shipment.from_ids:
        shipment.from_ids = shipment.from_ids | receipt.from_ids


def pair_movements(chain: Chain) -> None:
    """Merge each receiving event into the shipping event of the same lots (in place; idempotent)."""
    _drop_repeated_events(chain)
    shipments = [
        m for m in chain.movements if m.kind == "shipping" or (m.kind == "movement" and m.shipped_at)
    ]
    receipts = [m for m in chain.movements if m.kind == "receiving"]
    if not receipts:
        return
    by_lot: dict[str, deque[Movement]] = defaultdict(deque)
    open_lots: dict[int, set[str]] = {}
    for shipment in sorted(shipments, key=lambda m: _naive(m.shipped_at) or datetime.min):
        lots = expanded_lots(chain, [q.lot for q in shipment.lots])
        open_lots[id(shipment)] = set(lots) if shipment.received_at is None else set()
        for lot in lots:
            by_lot[lot].append(shipment)
    absorbed: set[int] = set()
    for receipt in sorted(receipts, key=lambda m: _naive(m.received_at) or datetime.min):
        lots = expanded_lots(chain, [q.lot for q in receipt.lots])
        if not lots:
            continue
        queue = by_lot.get(min(lots), deque())
        while queue and not open_lots[id(queue[0])]:
            queue.popleft()  # fully received shipments leave the front of the queue
        best, best_score, looked = None, -1, 0
        for shipment in queue:
            if looked >= CANDIDATE_WINDOW:
                break
            looked += 1
            if not lots <= open_lots[id(shipment)]:
                continue
            score = _score(shipment, receipt)
            if score > best_score:
                best, best_score = shipment, score
        if best is None:
            continue
        _absorb(best, receipt)
        open_lots[id(best)] -= lots
        absorbed.add(id(receipt))
    chain.movements = [m for m in chain.movements if id(m) not in absorbed]
