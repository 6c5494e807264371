"""Variable sampling as RAT-STATS does it: sample sizes from a probe or an expected error rate, and
unrestricted / stratified appraisal of a total with limits at 80, 90 and 95% confidence.

Source: HHS OIG RAT-STATS 2010 Companion Manual, "Unrestricted Variable Appraisal" (pp. 3-2..3-7:
standard deviation with n - 1, population skewness/kurtosis moments, standard error of the total
N * s / sqrt(n) * sqrt((N - n) / N), two-sided t limits with n - 1 degrees of freedom),
"Stratified Variable Appraisal" (pp. 3-11..3-15: t per stratum, z for the overall total), and
"Variable Sample Size Determination" (pp. 4-2..4-10: n = (s N)^2 / ((E / z)^2 + N s^2), rounded
to the nearest integer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from parcelaudit.audit.attributes import DEFAULT_LEVELS, _check_confidence
from parcelaudit.errors import ParcelAuditError


def z_value(confidence: float) -> float:
    """Two-sided standard normal critical value for a confidence level."""
    _check_confidence(confidence)
    return float(stats.norm.ppf(1.0 - (1.0 - confidence) / 2))


def t_value(confidence: float, df: int) -> float:
    """Two-sided Student t critical value for a confidence level and degrees of freedom."""
    _check_confidence(confidence)
    return float(stats.t.ppf(1.0 - (1.0 - confidence) / 2, df))


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def variable_sample_size(N: int, mean: float, sd: float, precision: float, confidence: float) -> int:
    """RAT-STATS unrestricted variable sample size for a precision fraction of the total (0.02 = 2%)."""
    if N < 1 or mean == 0 or sd < 0 or precision <= 0:
        raise ParcelAuditError(
            "need N >= 1, a non-zero mean, sd >= 0 and precision > 0",
            field="precision",
            hint="precision is a fraction of the total, e.g. 0.02 for plus or minus 2%",
        )
    max_error = precision * abs(mean) * N
    z = z_value(confidence)
    n = (sd * N) ** 2 / ((max_error / z) ** 2 + N * sd**2)
    return min(_round_half_up(n), N)


def variable_sample_size_error_rate(
    N: int, total: float, sd: float, error_rate: float, precision: float, confidence: float
) -> int:
    """RAT-STATS sample size from an expected error rate (errors 100% of a reported amount)."""
    if not 0 < error_rate <= 1:
        raise ParcelAuditError("the expected error rate must be in (0, 1]", field="error_rate")
    mean_reported = total / N
    mean_diff = error_rate * mean_reported
    sd_diff = math.sqrt(error_rate * (sd**2 + (1 - error_rate) * mean_reported**2))
    return variable_sample_size(N, mean_diff, sd_diff, precision, confidence)


@dataclass(frozen=True)
class Limits:
    """Two-sided limits for a total at one confidence level."""

    confidence: float
    lower: float
    upper: float
    precision: float
    precision_percent: float
    critical_value: float


@dataclass(frozen=True)
class VariableAppraisal:
    """Point estimate of a total, its standard error and limits (RAT-STATS unrestricted appraisal)."""

    N: int
    n: int
    mean: float
    sd: float
    skewness: float
    kurtosis: float
    se_mean: float
    se_total: float
    point: float
    nonzero: int
    sample_total: float
    limits: dict[float, Limits] = field(default_factory=dict)


@dataclass(frozen=True)
class StratifiedAppraisal:
    """Per-stratum appraisals and the overall total with z limits (RAT-STATS stratified appraisal)."""

    strata: list[VariableAppraisal]
    N: int
    n: int
    point: float
    se_total: float
    limits: dict[float, Limits] = field(default_factory=dict)


def _limits(point: float, se: float, confidence: float, critical: float) -> Limits:
    precision = critical * se
    percent = 0.0 if point <= 0 else 100.0 * precision / point
    return Limits(confidence, point - precision, point + precision, precision, percent, critical)


def appraise_variable(
    values: Sequence[float], N: int, levels: Sequence[float] = DEFAULT_LEVELS
) -> VariableAppraisal:
    """Unrestricted appraisal of the total of `values` (a simple random sample of n from N items)."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 1 or n > N:
        raise ParcelAuditError(f"sample size {n} must be between 1 and the population size {N}", field="N")
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    dev = x - mean
    m2 = float(np.mean(dev**2))
    skew = float(np.mean(dev**3) / m2**1.5) if m2 > 0 else 0.0
    kurt = float(np.mean(dev**4) / m2**2) if m2 > 0 else 0.0
    se_mean = sd / math.sqrt(n) * math.sqrt((N - n) / N)
    se_total = N * se_mean
    point = N * mean
    df = max(n - 1, 1)
    limits = {c: _limits(point, se_total, c, t_value(c, df)) for c in levels}
    return VariableAppraisal(
        N=N,
        n=n,
        mean=mean,
        sd=sd,
        skewness=skew,
        kurtosis=kurt,
        se_mean=se_mean,
        se_total=se_total,
        point=point,
        nonzero=int(np.count_nonzero(x)),
        sample_total=float(x.sum()),
        limits=limits,
    )


def _stratum(item) -> tuple[Sequence[float], int]:
    if isinstance(item, dict):
        return item["values"], int(item["N"])
    values, size = item
    return values, int(size)


def appraise_stratified(strata: Sequence, levels: Sequence[float] = DEFAULT_LEVELS) -> StratifiedAppraisal:
    """Stratified appraisal: strata are (values, N) pairs or {"values", "N"} dicts; t per stratum, z overall.

    With a single stratum the overall result is that stratum's own (t-based) appraisal, so a
    one-stratum design gives exactly the unrestricted answer.
    """
    if not strata:
        raise ParcelAuditError("a stratified appraisal needs at least one stratum", field="strata")
    parts = [appraise_variable(values, size, levels) for values, size in map(_stratum, strata)]
    N = sum(p.N for p in parts)
    n = sum(p.n for p in parts)
    point = sum(p.point for p in parts)
    se_total = math.sqrt(sum(p.se_total**2 for p in parts))
    if len(parts) == 1:
        limits = dict(parts[0].limits)
    else:
        limits = {c: _limits(point, se_total, c, z_value(c)) for c in levels}
    return StratifiedAppraisal(strata=parts, N=N, n=n, point=point, se_total=se_total, limits=limits)
