"""The supply-chain graph back to raw material: upstream lots by tier, facilities, and coverage.

The walk goes from the product's lots back through the transformations that made them: tier 0 is the
product's own lots, tier 1 their inputs, and so on up to the origin (raw material commissioned at a farm,
mine or other source facility). The lot graph is kept as `producers` (lot -> the transformations that
made it) rather than as a networkx graph: at a season's volume (a million events) a graph object per lot
costs memory and nothing reads it; the dossier draws its facility map with networkx.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from parcelaudit.errors import InputError
from parcelaudit.tracing.model import Chain, Movement, Transformation, matches_product, product_key


@dataclass
class Upstream:
    """The part of a chain that feeds one product: lots by tier, the events and facilities involved."""

    product: str
    roots: list[str]
    tiers: dict[str, int]  # lot -> tier (0 = product)
    producers: dict[str, list[Transformation]]
    transformations: list[Transformation]
    movements: list[Movement]
    facility_tiers: dict[str, int] = field(default_factory=dict)  # facility -> lowest tier it works on

    def lots_at(self, tier: int) -> list[str]:
        """Lots at one tier, sorted."""
        return sorted(lot for lot, t in self.tiers.items() if t == tier)

    @property
    def depth(self) -> int:
        """The highest tier reached."""
        return max(self.tiers.values(), default=0)


def _all_lots(chain: Chain) -> set[str]:
    lots = {lot.lot for t in chain.transformations for lot in t.inputs + t.outputs}
    lots |= {lot.lot for m in chain.movements for lot in m.lots}
    return lots


def find_roots(chain: Chain, product: str) -> list[str]:
    """The lots of a product; an unknown product raises InputError listing the known ones."""
    lots = _all_lots(chain)
    roots = sorted(lot for lot in lots if matches_product(lot, product))
    if not roots:
        # Prefer final products (lots nobody consumes) in the hint.
        consumed = {lot.lot for t in chain.transformations for lot in t.inputs}
        known = sorted({product_key(lot) for lot in lots - consumed}) or sorted(
            {product_key(lot) for lot in lots}
        )
        raise InputError(
            f"product {product!r} is not in the supply-chain files",
            field="--product",
            hint="use one of: " + ", ".join(known[:8]),
        )
    return roots


def build_upstream(chain: Chain, product: str) -> Upstream:
    """Walk from the product's lots back through every transformation to the raw material."""
    roots = find_roots(chain, product)
    producers: dict[str, list[Transformation]] = defaultdict(list)
    for transformation in chain.transformations:
        for lot in transformation.outputs:
            producers[lot.lot].append(transformation)
    tiers: dict[str, int] = {}
    frontier = deque((lot, 0) for lot in roots)  # breadth first: each lot gets its nearest tier
    used: dict[str, Transformation] = {}
    while frontier:
        lot, tier = frontier.popleft()
        if lot in tiers:
            continue  # a lot reached twice keeps its nearest tier
        tiers[lot] = tier
        for transformation in producers.get(lot, []):
            used[transformation.event_id] = transformation
            frontier.extend((source.lot, tier + 1) for source in transformation.inputs)
    lots = set(tiers)
    movements = [m for m in chain.movements if lots & {x.lot for x in m.lots}]
    facility_tiers: dict[str, int] = {}

    def note(facility_id: str | None, tier: int) -> None:
        if facility_id:
            facility_tiers[facility_id] = min(tier, facility_tiers.get(facility_id, tier))

    for transformation in used.values():
        note(transformation.facility_id, min(tiers[o.lot] for o in transformation.outputs if o.lot in tiers))
    for movement in movements:
        tier = min(tiers[x.lot] for x in movement.lots if x.lot in tiers)
        note(movement.from_facility, tier)
        note(movement.to_facility, tier - 1)  # the product's buyer (importer) sits at tier -1
    return Upstream(product, roots, tiers, dict(producers), list(used.values()), movements, facility_tiers)


def _weight(lot_quantities: list, lots: list[str]) -> dict[str, float]:
    """Weights for lots: kilograms when every lot has a mass, otherwise equal weights."""
    kg = {q.lot: q.kg for q in lot_quantities}
    if lots and all(kg.get(lot) for lot in lots):
        return {lot: float(kg[lot]) for lot in lots}
    return {lot: 1.0 for lot in lots}


def lot_coverage(up: Upstream) -> dict[str, float]:
    """Share of each lot's input (by mass where known) traced back to an origin event, 0..1."""
    memo: dict[str, float] = {}

    def cover(lot: str, path: frozenset[str]) -> float:
        if lot in memo:
            return memo[lot]
        if lot in path:
            return 0.0  # a cycle is not a trace
        values = []
        for transformation in up.producers.get(lot, []):
            if not transformation.inputs:
                values.append(1.0)
                continue
            weights = _weight(transformation.inputs, [q.lot for q in transformation.inputs])
            total = sum(weights.values())
            values.append(sum(w * cover(lot_id, path | {lot}) for lot_id, w in weights.items()) / total)
        memo[lot] = sum(values) / len(values) if values else 0.0
        return memo[lot]

    for lot in up.tiers:
        cover(lot, frozenset())
    return memo


def tier_coverage(up: Upstream, chain: Chain) -> list[dict]:
    """Per tier: how many lots, their materials, and the share (by mass where known) that has a producer."""
    rows = []
    by_lot: dict[str, list] = defaultdict(list)
    for transformation in up.transformations:
        for quantity in transformation.inputs + transformation.outputs:
            by_lot[quantity.lot].append(quantity)
    for tier in range(up.depth + 1):
        lots = up.lots_at(tier)
        quantities = [q for lot in lots for q in by_lot.get(lot, ())]
        weights = _weight(quantities, lots)
        traced = sum(w for lot, w in weights.items() if up.producers.get(lot))
        rows.append(
            {
                "tier": tier,
                "lots": len(lots),
                "materials": sorted({chain.materials.get(lot) or "unknown" for lot in lots}),
                "traced_share": round(traced / sum(weights.values()), 4) if weights else 0.0,
            }
        )
    return rows
