"""Stratification and allocation of an audit sample: equal-value strata below a 100% stratum, the sample
size (RAT-STATS expected-error-rate formula unless given) and its Neyman allocation. Pure: numbers in,
numbers out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parcelaudit.audit.variables import variable_sample_size_error_rate


@dataclass(frozen=True)
class PlanSettings:
    """How a plan stratifies and sizes: value strata below the 100% stratum, the declared value from which
    every item is reviewed (default: the largest top_share of items), the total sample size (default: the
    RAT-STATS expected-error-rate formula with expected_error_rate, precision and confidence)."""

    strata: int = 3
    top_value: float | None = None
    top_share: float = 0.005
    sample_size: int | None = None
    expected_error_rate: float = 0.10
    precision: float = 0.20
    confidence: float = 0.90


@dataclass
class Stratification:
    """Each item's stratum (1..k; k is the 100% stratum), one row per non-empty stratum, and the
    top value and sample size used."""

    stratum_of: np.ndarray
    strata: list[dict]
    top_value: float
    sample_size: int


def strata_bounds(values: np.ndarray, strata: int, top_value: float) -> list[tuple[float, float]]:
    """Equal book-value strata below the 100% stratum: each holds a similar share of the declared value."""
    below = np.sort(values[values < top_value])
    if below.size == 0:
        return []
    strata = max(1, min(strata, below.size // 2 or 1))
    cumulative = np.cumsum(below)
    cuts = [float(below[np.searchsorted(cumulative, cumulative[-1] * k / strata)]) for k in range(1, strata)]
    edges = [float(below[0]), *sorted(set(cuts)), top_value]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def neyman_allocation(sizes: list[int], sds: list[float], total: int, minimum: int = 2) -> list[int]:
    """Split `total` over strata in proportion to N_h * S_h, at least `minimum` each (RAT-STATS needs two for a
    standard deviation) and never more than N_h; what a full stratum cannot take goes to the others."""
    allocation = [min(size, minimum) for size in sizes]
    open_strata = [i for i, size in enumerate(sizes) if size > allocation[i]]
    remaining = total - sum(allocation)
    while remaining > 0 and open_strata:
        weights = [sizes[i] * sds[i] for i in open_strata]
        weight_sum = sum(weights)
        # With no spread anywhere the remainder is shared equally.
        shares = [w / weight_sum if weight_sum else 1 / len(open_strata) for w in weights]
        granted = 0
        for i, share in zip(open_strata, shares, strict=True):
            extra = min(sizes[i] - allocation[i], max(1, round(remaining * share)))
            extra = min(extra, remaining - granted)
            allocation[i] += extra
            granted += extra
        remaining -= granted
        open_strata = [i for i in open_strata if allocation[i] < sizes[i]]
        if granted == 0:
            break
    return allocation


def stratify(values: np.ndarray, duties: np.ndarray, settings: PlanSettings) -> Stratification:
    """Stratify items by declared value (items >= top_value reviewed 100%) and size the sample, allocated to
    strata in proportion to N_h * S_h (Neyman)."""
    top_value, sample_size = settings.top_value, settings.sample_size
    if top_value is None:
        top_count = max(1, round(settings.top_share * values.size))
        top_value = float(np.sort(values)[-top_count]) if values.size > 1 else float(values.max()) + 1
    bounds = strata_bounds(values, settings.strata, top_value)
    stratum_of = np.full(values.size, len(bounds) + 1, dtype=int)
    for number, (_, high) in reversed(list(enumerate(bounds, start=1))):
        stratum_of[values < high] = number
    sampled = stratum_of <= len(bounds)
    if sample_size is None:
        sampled_count = int(sampled.sum())
        sample_size = (
            variable_sample_size_error_rate(
                sampled_count,
                float(values[sampled].sum()),
                float(values[sampled].std(ddof=1)),
                settings.expected_error_rate,
                settings.precision,
                settings.confidence,
            )
            if sampled_count >= 2
            else 0
        )
    masks = [stratum_of == k for k in range(1, len(bounds) + 1)]
    allocation = neyman_allocation(
        [int(mask.sum()) for mask in masks],
        [float(values[mask].std()) if mask.any() else 0.0 for mask in masks],
        sample_size,
    )
    rows = []
    for number in range(1, len(bounds) + 2):
        members = stratum_of == number
        size = int(members.sum())
        if size == 0:
            continue
        certainty = number == len(bounds) + 1
        n = size if certainty else allocation[number - 1]
        low, high = bounds[number - 1] if not certainty else (top_value, float(values[members].max()))
        rows.append(
            {
                "stratum": number,
                "lower_value": low,
                "upper_value": high,
                "population": size,
                "book_total": float(values[members].sum()),
                "duty_total": float(duties[members].sum()),
                "sample_size": n,
                "certainty": certainty,
            }
        )
    return Stratification(stratum_of, rows, top_value, sample_size)
