"""Monetary unit sampling: Poisson sample size (fractions of book value) and the Stringer bound.

Sources: AICPA Audit Guide "Audit Sampling", Appendix C (Table C-1, Poisson sample sizes with the
expected misstatement as a fraction of book value); Stringer (1963) bound as given by Touw &
Hoogduin, "Statistiek voor audit en controlling" (2011), p. 138: the zero-error upper limit plus
each taint, largest first, times the increment of the upper limit for one more error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from parcelaudit.audit.attributes import _MAX_SAMPLE, _check_confidence, binomial_upper, check_rates
from parcelaudit.errors import ParcelAuditError


def mus_sample_size(tolerable: float, expected: float, confidence: float) -> int:
    """Smallest n with a gamma (Poisson) upper bound at the expected taint total within tolerable.

    Both rates are fractions of book value; the expected taint total expected * n may be fractional,
    which is what the AICPA Table C-1 Poisson sizes use.
    """
    _check_confidence(confidence)
    check_rates(tolerable, expected, "tolerable")
    for n in range(1, _MAX_SAMPLE):
        if stats.gamma.cdf(tolerable, 1 + expected * n, scale=1.0 / n) >= confidence:
            return n
    raise ParcelAuditError("no MUS sample size below 100,000 reaches that confidence", field="tolerable")


def _upper(k: int, n: int, confidence: float, method: str) -> float:
    if method == "binomial":
        return binomial_upper(n, k, confidence)
    if method == "poisson":
        return float(stats.gamma.ppf(confidence, k + 1)) / n
    raise ParcelAuditError(f"unknown method {method!r}", field="method", hint="binomial or poisson")


@dataclass(frozen=True)
class StringerResult:
    """Most likely misstatement rate and the Stringer upper bound (fractions of book value)."""

    n: int
    taints: tuple[float, ...]
    mle: float
    upper: float
    confidence: float
    method: str


def stringer_bound(
    n: int, taints: Sequence[float], confidence: float, method: str = "binomial"
) -> StringerResult:
    """Stringer upper bound for overstatement taints (each in (0, 1]) found in n monetary units."""
    _check_confidence(confidence)
    clean = sorted((float(t) for t in taints if t > 0), reverse=True)
    if n < 1 or len(clean) > n or any(t > 1 for t in clean):
        raise ParcelAuditError("taints must be at most 1 and no more than the sample size", field="taints")
    bound = _upper(0, n, confidence, method)
    for i, taint in enumerate(clean, start=1):
        bound += taint * (_upper(i, n, confidence, method) - _upper(i - 1, n, confidence, method))
    return StringerResult(n, tuple(clean), sum(clean) / n, bound, confidence, method)
