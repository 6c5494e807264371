"""Attribute sampling: sample sizes (AICPA binomial / hypergeometric), upper deviation limits, and
RAT-STATS attribute appraisal with exact hypergeometric limits.

Sources: AICPA Audit Guide "Audit Sampling", Appendix A (Tables A-1 to A-4: sample sizes and upper
deviation limits from the binomial distribution); HHS OIG RAT-STATS 2010 Companion Manual,
"Attribute Appraisal - Unrestricted" (pp. 2-1..2-4, 4-26): exact hypergeometric limits, each tail
(1 - confidence) / 2, standard error of the proportion with n - 1 in the denominator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy import stats

from parcelaudit.errors import ParcelAuditError

DEFAULT_LEVELS: tuple[float, ...] = (0.80, 0.90, 0.95)
_MAX_SAMPLE = 100_000


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ParcelAuditError(
            f"confidence {confidence!r} is not a fraction between 0 and 1",
            field="confidence",
            hint="give e.g. 0.95 for 95%",
        )


def _check_counts(N: int | None, n: int, k: int) -> None:
    if n < 1 or k < 0 or k > n or (N is not None and n > N):
        raise ParcelAuditError(
            f"need 0 <= errors ({k}) <= sample size ({n}) <= population ({N})",
            field="n",
            hint="check the sample size, the error count and the population size",
        )


def check_rates(tolerable: float, expected: float, field: str) -> None:
    """Tolerable and expected rates are fractions with 0 <= expected < tolerable < 1."""
    if not 0.0 < tolerable < 1.0 or not 0.0 <= expected < tolerable:
        raise ParcelAuditError(
            f"need 0 <= expected ({expected}) < tolerable ({tolerable}) < 1",
            field=field,
            hint="give rates as fractions, e.g. 0.05 for 5%",
        )


def attribute_sample_size(
    tolerable_rate: float,
    expected_rate: float,
    confidence: float,
    N: int | None = None,
    method: str = "binomial",
) -> int:
    """Smallest n whose upper deviation limit at the expected error count stays within the tolerable rate.

    The allowed error count is ceil(expected_rate * n) (AICPA Table A-1/A-2 convention). With
    method="hypergeometric" N is required and the tolerable count is ceil(tolerable_rate * N).
    """
    _check_confidence(confidence)
    check_rates(tolerable_rate, expected_rate, "tolerable_rate")
    risk = 1.0 - confidence
    if method == "binomial":
        for n in range(1, _MAX_SAMPLE):
            k = math.ceil(expected_rate * n - 1e-12)
            if stats.binom.cdf(k, n, tolerable_rate) <= risk:
                return n
    elif method == "hypergeometric":
        if N is None or N < 1:
            raise ParcelAuditError("the hypergeometric sample size needs the population size N", field="N")
        bad = math.ceil(tolerable_rate * N - 1e-12)
        for n in range(1, N + 1):
            k = math.ceil(expected_rate * n - 1e-12)
            if stats.hypergeom.cdf(k, N, bad, n) <= risk:
                return n
        return N
    else:
        raise ParcelAuditError(
            f"unknown method {method!r}", field="method", hint="binomial or hypergeometric"
        )
    raise ParcelAuditError("no sample size below 100,000 reaches that confidence", field="tolerable_rate")


def upper_deviation_limit(n: int, k: int, confidence: float) -> float:
    """One-sided upper deviation limit (binomial, Clopper-Pearson), in percent rounded up to 0.1% as AICPA prints it."""
    return math.ceil(binomial_upper(n, k, confidence) * 1000 - 1e-9) / 10


def binomial_upper(n: int, k: int, confidence: float) -> float:
    """Exact one-sided binomial upper bound on the deviation rate (fraction, unrounded)."""
    _check_confidence(confidence)
    _check_counts(None, n, k)
    if k >= n:
        return 1.0
    return float(stats.beta.ppf(confidence, k + 1, n - k))


def _largest(predicate, lo: int, hi: int) -> int:
    """Largest K in [lo, hi] with predicate(K) true, predicate monotone decreasing (true then false)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if predicate(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def hypergeometric_upper_limit(N: int, n: int, k: int, confidence: float) -> int:
    """Largest number of population errors K still consistent (one-sided) with k errors in n of N."""
    _check_confidence(confidence)
    _check_counts(N, n, k)
    return _hypergeometric_upper_limit(N, n, k, 1.0 - confidence)


def _hypergeometric_upper_limit(N: int, n: int, k: int, alpha: float) -> int:
    # P(X <= k | K) falls as K grows: find the largest K where it still exceeds alpha.
    return _largest(lambda K: stats.hypergeom.cdf(k, N, K, n) > alpha, k, N - (n - k))


def _hypergeometric_lower_limit(N: int, n: int, k: int, alpha: float) -> int:
    if k == 0:
        return 0
    # P(X >= k | K) grows with K: find the smallest K where it exceeds alpha.
    upper = N - (n - k)
    largest_too_small = _largest(lambda K: stats.hypergeom.sf(k - 1, N, K, n) <= alpha, k - 1, upper)
    return largest_too_small + 1


@dataclass(frozen=True)
class AttributeLimits:
    """Two-sided limits at one confidence level, as quantities and as percentages."""

    confidence: float
    lower: int
    upper: int

    def as_percent(self, N: int) -> tuple[float, float]:
        """The limits as percentages of the population."""
        return 100.0 * self.lower / N, 100.0 * self.upper / N


@dataclass(frozen=True)
class AttributeAppraisal:
    """RAT-STATS unrestricted attribute appraisal: projection, standard errors and exact limits."""

    N: int
    n: int
    k: int
    projected: float
    rate: float
    se_quantity: float
    se_percent: float
    limits: dict[float, AttributeLimits] = field(default_factory=dict)


def appraise_attribute(
    N: int, n: int, k: int, confidence: float | tuple[float, ...] = DEFAULT_LEVELS
) -> AttributeAppraisal:
    """Project k errors in a sample of n to N items with exact two-sided hypergeometric limits (RAT-STATS)."""
    levels = (confidence,) if isinstance(confidence, float) else tuple(confidence)
    for level in levels:
        _check_confidence(level)
    _check_counts(N, n, k)
    rate = k / n
    # RAT-STATS divides by n - 1 and applies the finite population correction.
    variance = rate * (1 - rate) / (n - 1) * (1 - n / N) if n > 1 else 0.0
    se_rate = math.sqrt(max(variance, 0.0))
    limits = {}
    for level in levels:
        alpha = (1.0 - level) / 2
        limits[level] = AttributeLimits(
            level, _hypergeometric_lower_limit(N, n, k, alpha), _hypergeometric_upper_limit(N, n, k, alpha)
        )
    return AttributeAppraisal(
        N=N,
        n=n,
        k=k,
        projected=k * N / n,
        rate=rate,
        se_quantity=se_rate * N,
        se_percent=se_rate * 100,
        limits=limits,
    )
