"""Quantity reconciliation: each step's output against its input times a documented yield range, and
each lot's total use (across every customer) against what was produced.

Mass balance cannot prove that no Xinjiang input was mixed in ("wholly or in part"); it only shows
whether the declared quantities reconcile (DOMAIN.md section 4).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from parcelaudit.errors import InputError
from parcelaudit.tracing.graph import Upstream
from parcelaudit.tracing.model import Chain, Transformation

YIELDS_FILE = Path(__file__).resolve().parent / "data" / "yields.csv"
TOLERANCE = 0.005  # rounding on documents: half a percent


@dataclass(frozen=True)
class YieldRange:
    """Kilograms of output per kilogram of input for one step, with where the figures come from."""

    input_material: str
    output_material: str
    min_yield: float
    max_yield: float
    source: str


def load_yields(path: Path | None = None) -> dict[tuple[str, str], YieldRange]:
    """Read yield ranges (bundled data/yields.csv, or a user file with its columns) keyed by materials."""
    path = Path(path) if path else YIELDS_FILE
    ranges: dict[tuple[str, str], YieldRange] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    except OSError as error:
        raise InputError(f"cannot read yields: {error}", file=str(path)) from error
    for number, row in enumerate(rows, start=2):
        try:
            low, high = float(row["min_yield"]), float(row["max_yield"])
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(
                "min_yield / max_yield must be numbers",
                file=str(path),
                row=number,
                hint="columns: input_material,output_material,min_yield,max_yield,source",
            ) from error
        if not 0 <= low <= high:
            raise InputError(
                "need 0 <= min_yield <= max_yield", file=str(path), row=number, field="max_yield"
            )
        key = (row["input_material"].strip().lower(), row["output_material"].strip().lower())
        ranges[key] = YieldRange(key[0], key[1], low, high, row.get("source", "") or str(path))
    if ("*", "*") not in ranges:
        ranges[("*", "*")] = YieldRange("*", "*", 0.0, 1.0, "mass balance")
    return ranges


def yield_for(
    ranges: dict[tuple[str, str], YieldRange], source: str | None, target: str | None
) -> YieldRange:
    """The most specific range for a step (exact materials, then either side, then the mass balance)."""
    for key in ((source, target), (source, "*"), ("*", target), ("*", "*")):
        if key in ranges:
            return ranges[key]
    return ranges[("*", "*")]


@dataclass
class StepCheck:
    """One transformation's reconciliation: masses, observed yield, allowed range and the finding."""

    event_id: str
    facility_id: str | None
    input_material: str
    output_material: str
    input_kg: float | None
    output_kg: float | None
    observed: float | None
    allowed: YieldRange
    problem: str | None


def _main_material(chain: Chain, transformation: Transformation) -> str:
    materials = Counter(
        chain.materials.get(q.lot) for q in transformation.inputs if chain.materials.get(q.lot)
    )
    return materials.most_common(1)[0][0] if materials else "unknown"


def check_steps(chain: Chain, up: Upstream, ranges: dict[tuple[str, str], YieldRange]) -> list[StepCheck]:
    """Reconcile every transformation that feeds the product (origin events have nothing to reconcile)."""
    checks = []
    for t in sorted(up.transformations, key=lambda t: -min(up.tiers.get(o.lot, 0) for o in t.outputs)):
        if not t.inputs:
            continue
        source, target = _main_material(chain, t), t.material or "unknown"
        allowed = yield_for(ranges, source, target)
        in_kg = [q.kg for q in t.inputs]
        out_kg = [q.kg for q in t.outputs]
        if None in in_kg or None in out_kg:
            checks.append(
                StepCheck(
                    t.event_id,
                    t.facility_id,
                    source,
                    target,
                    None,
                    None,
                    None,
                    allowed,
                    "cannot reconcile: a quantity is missing or not in a mass unit (give kg)",
                )
            )
            continue
        total_in, total_out = sum(in_kg), sum(out_kg)
        observed = total_out / total_in if total_in else None
        problem = None
        if observed is None or observed > allowed.max_yield * (1 + TOLERANCE):
            problem = (
                f"{target} output {total_out:,.1f} kg exceeds {source} input {total_in:,.1f} kg x max yield "
                f"{allowed.max_yield:.2f} = {total_in * allowed.max_yield:,.1f} kg (source: {allowed.source})"
            )
        checks.append(
            StepCheck(
                t.event_id, t.facility_id, source, target, total_in, total_out, observed, allowed, problem
            )
        )
    return checks


def check_lot_use(chain: Chain, up: Upstream) -> list[tuple[str, str | None, str]]:
    """Lots used or shipped (to every customer, in any file) beyond their output: (lot, facility, why)."""
    produced: dict[str, float] = defaultdict(float)
    where: dict[str, str | None] = {}
    for t in chain.transformations:
        for q in t.outputs:
            if q.kg is not None:
                produced[q.lot] += q.kg
                where[q.lot] = t.facility_id
    consumed: dict[str, float] = defaultdict(float)
    for t in chain.transformations:
        for q in t.inputs:
            if q.kg is not None:
                consumed[q.lot] += q.kg
    shipped: dict[str, float] = defaultdict(float)
    for m in chain.movements:
        for q in m.lots:
            if q.kg is not None and m.from_facility == where.get(q.lot):
                shipped[q.lot] += q.kg
    found = []
    for lot in sorted(up.tiers):
        if lot not in produced:
            continue
        limit = produced[lot] * (1 + TOLERANCE)
        for label, amount in (("consumed", consumed[lot]), ("shipped", shipped[lot])):
            if amount > limit:
                found.append(
                    (
                        lot,
                        where.get(lot),
                        f"lot {lot}: {amount:,.1f} kg {label} across all customers but only "
                        f"{produced[lot]:,.1f} kg produced",
                    )
                )
    return found
