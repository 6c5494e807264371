"""Synthetic importers with a known true underpayment, for checking interval coverage by simulation.

Each importer has N parcels with log-normal declared values, a duty rate per parcel drawn from a
small tariff mix, and a share of parcels that were undervalued (true value 1.2x to 2x declared) or
misclassified (a higher rate applies). The truth is the exact population total of duty owed minus
duty paid, so an audit's interval either covers it or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parcelaudit.audit.projection import METHODS, project
from parcelaudit.audit.variables import variable_sample_size_error_rate

_RATES = np.array([0.0, 0.025, 0.05, 0.12, 0.16, 0.25, 0.32])
_RATE_WEIGHTS = np.array([0.15, 0.15, 0.2, 0.2, 0.1, 0.1, 0.1])


@dataclass(frozen=True)
class Importer:
    """One synthetic importer: duty paid (book) and duty owed (audited) per parcel."""

    paid: np.ndarray
    owed: np.ndarray
    error_rate: float

    @property
    def true_underpayment(self) -> float:
        """Exact population underpayment (duty owed minus duty paid)."""
        return float(self.owed.sum() - self.paid.sum())


def make_importer(rng: np.random.Generator, low_rate: float = 0.20, high_rate: float = 0.50) -> Importer:
    """Draw one importer with its own size, value mix and error rate."""
    size = int(rng.integers(3000, 20000))
    declared = rng.lognormal(mean=3.6, sigma=0.5, size=size)
    rate = rng.choice(_RATES, size=size, p=_RATE_WEIGHTS)
    error_rate = float(rng.uniform(low_rate, high_rate))
    wrong = rng.random(size) < error_rate
    undervalued = wrong & (rng.random(size) < 0.7)
    misclassified = wrong & ~undervalued
    true_value = np.where(undervalued, declared * rng.uniform(1.2, 2.0, size), declared)
    true_rate = np.where(misclassified, np.minimum(rate + rng.choice([0.05, 0.1, 0.25], size), 0.6), rate)
    # Some declarations overstate value: a refund offsets the underpayment, as CBP Dec. 11-20 allows.
    overstated = ~wrong & (rng.random(size) < 0.03)
    true_value = np.where(overstated, declared * rng.uniform(0.6, 0.95, size), true_value)
    return Importer(paid=declared * rate, owed=true_value * true_rate, error_rate=error_rate)


def audit_once(
    importer: Importer, rng: np.random.Generator, confidence: float = 0.90, precision: float = 0.10
) -> dict[str, dict]:
    """Plan with RAT-STATS's expected-error-rate size (+-precision at the confidence), draw a simple random sample, and
    project the underpayment with each estimator."""
    size = importer.paid.size
    paid = importer.paid
    planned = variable_sample_size_error_rate(
        size, float(paid.sum()), float(paid.std()), importer.error_rate, precision, confidence
    )
    n = max(100, min(planned, size // 2))
    chosen = rng.choice(size, size=n, replace=False)
    book, audited = paid[chosen], importer.owed[chosen]
    truth = importer.true_underpayment
    results = {}
    for method in METHODS:
        projection = project(book, audited, size, float(paid.sum()), method=method, confidence=confidence)
        point, lower, upper = projection.loss
        results[method] = {"point": point, "lower": lower, "upper": upper, "covered": lower <= truth <= upper}
    results["n"] = {"value": n, "truth": truth}
    return results


def coverage_study(
    audits: int,
    seed: int,
    confidence: float = 0.90,
    precision: float = 0.10,
    error_rates: tuple[float, float] = (0.20, 0.50),
) -> dict:
    """Run `audits` audits of fresh importers and report each estimator's coverage and interval width."""
    rng = np.random.Generator(np.random.PCG64(seed))
    covered = {m: 0 for m in METHODS}
    width = {m: 0.0 for m in METHODS}
    error = {m: 0.0 for m in METHODS}
    sizes = []
    for _ in range(audits):
        importer = make_importer(rng, *error_rates)
        result = audit_once(importer, rng, confidence, precision)
        truth = result["n"]["truth"]
        sizes.append(result["n"]["value"])
        for method in METHODS:
            r = result[method]
            covered[method] += int(r["covered"])
            width[method] += (r["upper"] - r["lower"]) / abs(truth)
            error[method] += abs(r["point"] - truth) / abs(truth)
    return {
        "audits": audits,
        "seed": seed,
        "confidence": confidence,
        "precision": precision,
        "error_rates": list(error_rates),
        "mean_sample_size": float(np.mean(sizes)),
        "coverage": {m: covered[m] / audits for m in METHODS},
        "mean_relative_width": {m: width[m] / audits for m in METHODS},
        "mean_relative_error": {m: error[m] / audits for m in METHODS},
    }
