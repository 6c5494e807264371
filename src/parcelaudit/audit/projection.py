"""Projection of sample results to the population with the classical estimators: mean per unit,
difference, ratio and regression.

Conventions follow the generally recognised formulas (Cochran, "Sampling Techniques", 3rd ed.,
ch. 6-7; AICPA Audit Guide "Audit Sampling", classical variables sampling) and reproduce jfa's
`evaluation(method = "direct" | "difference" | "quotient" | "regression")` with fpc=False:
misstatement = book - audited, standard errors from residuals with n - 1 in the denominator,
two-sided Student t limits with n - 1 degrees of freedom, optional finite population correction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from parcelaudit.audit.variables import t_value, z_value
from parcelaudit.errors import ParcelAuditError

METHODS = ("mpu", "difference", "ratio", "regression")


@dataclass(frozen=True)
class Projection:
    """Projected misstatement (book minus audited, population total) with two-sided limits.

    A positive misstatement means the book overstates the audited value; for a duty audit with
    book = duty paid and audited = duty owed, the loss of revenue is -point (limits -upper..-lower).
    """

    method: str
    n: int
    N: int
    book_total: float
    audited_total: float
    point: float
    se: float
    lower: float
    upper: float
    confidence: float
    critical_value: float
    fpc: bool

    @classmethod
    def build(
        cls,
        method: str,
        n: int,
        N: int,
        book_total: float,
        point: float,
        se: float,
        confidence: float,
        critical: float,
        fpc: bool,
    ) -> Projection:
        """A projection from its point, standard error and critical value (limits = point -+ critical * se)."""
        return cls(
            method=method,
            n=n,
            N=N,
            book_total=book_total,
            audited_total=book_total - point,
            point=point,
            se=se,
            lower=point - critical * se,
            upper=point + critical * se,
            confidence=confidence,
            critical_value=critical,
            fpc=fpc,
        )

    @property
    def loss(self) -> tuple[float, float, float]:
        """(point, lower, upper) of audited minus book, the underpayment when values are duties."""
        return -self.point, -self.upper, -self.lower


def project(
    book: Sequence[float],
    audited: Sequence[float],
    N: int,
    book_total: float | None,
    method: str = "mpu",
    confidence: float = 0.95,
    fpc: bool = True,
) -> Projection:
    """Project sampled book and audited values to a population of N items with book total book_total."""
    b = np.asarray(book, dtype=float)
    a = np.asarray(audited, dtype=float)
    n = b.size
    if method not in METHODS:
        raise ParcelAuditError(f"unknown estimator {method!r}", field="method", hint=", ".join(METHODS))
    if n != a.size or n < 2:
        raise ParcelAuditError(
            f"need at least two sampled items with both values (book {n}, audited {a.size})", field="audited"
        )
    if n > N:
        raise ParcelAuditError(f"the population ({N}) is smaller than the sample ({n})", field="N")
    # Without a known book total the estimator falls back on the sample's own expansion N * mean(book).
    total = float(book_total) if book_total is not None else N * float(b.mean())
    e = b - a
    if method == "mpu":
        audited_total = N * float(a.mean())
        residuals = a - a.mean()
    elif method == "difference":
        audited_total = total - N * float(e.mean())
        residuals = e - e.mean()
    elif method == "ratio":
        if b.sum() == 0:
            raise ParcelAuditError("the ratio estimator needs a non-zero sampled book total", field="book")
        ratio = float(a.sum() / b.sum())
        audited_total = ratio * total
        residuals = a - ratio * b
    else:
        centred = b - b.mean()
        sxx = float(np.sum(centred**2))
        slope = float(np.sum(centred * (a - a.mean())) / sxx) if sxx > 0 else 0.0
        audited_total = N * (float(a.mean()) + slope * (total / N - float(b.mean())))
        residuals = a - a.mean() - slope * centred
    variance = float(np.sum(residuals**2)) / (n - 1)
    se = N * math.sqrt(variance / n)
    if fpc:
        se *= math.sqrt((N - n) / N)
    critical = t_value(confidence, n - 1)
    return Projection.build(method, n, N, total, total - audited_total, se, confidence, critical, fpc)


@dataclass(frozen=True)
class StratumSample:
    """One stratum's sampled book and audited values, its size and its book total."""

    book: Sequence[float]
    audited: Sequence[float]
    N: int
    book_total: float


def stratum_part(stratum: StratumSample, method: str, confidence: float, fpc: bool = True) -> dict:
    """One stratum's contribution: point (book minus audited), standard error, sizes and how it was computed."""
    book = np.asarray(stratum.book, dtype=float)
    audited = np.asarray(stratum.audited, dtype=float)
    n = book.size
    if n == stratum.N or n == 1:
        # A census is exact; a single item can only be expanded, with no variance estimate.
        exact = n == stratum.N
        point = (
            float(stratum.book_total - audited.sum())
            if exact
            else float(stratum.N * (book.sum() - audited.sum()))
        )
        basis = "reviewed 100%: exact" if exact else "one item: expansion, no variance estimate"
        return {
            "point": point,
            "se": 0.0,
            "n": n,
            "N": stratum.N,
            "book_total": stratum.book_total,
            "basis": basis,
        }
    result = project(book, audited, stratum.N, stratum.book_total, method, confidence, fpc)
    return {
        "point": result.point,
        "se": result.se,
        "n": n,
        "N": stratum.N,
        "book_total": result.book_total,
        "basis": f"{method} estimator, t({n - 1}) = {result.critical_value:.6f}",
        "lower": result.lower,
        "upper": result.upper,
    }


def project_stratified(
    strata: Sequence[StratumSample],
    method: str = "difference",
    confidence: float = 0.95,
    fpc: bool = True,
) -> Projection:
    """Separate-stratum projection: per-stratum estimates summed, variances added, z limits overall.

    A stratum reviewed in full (n = N) contributes its exact misstatement and no sampling error; a
    stratum with one sampled item contributes its expansion with no variance estimate. As in RAT-STATS,
    the overall interval uses the normal critical value; with a single sampled stratum it is that stratum's t.
    """
    if not strata:
        raise ParcelAuditError("a stratified projection needs at least one stratum", field="strata")
    if len(strata) == 1 and 1 < len(strata[0].book) < strata[0].N:
        only = strata[0]
        return project(only.book, only.audited, only.N, only.book_total, method, confidence, fpc)
    parts = [stratum_part(s, method, confidence, fpc) for s in strata]
    point = sum(p["point"] for p in parts)
    se = math.sqrt(sum(p["se"] ** 2 for p in parts))
    total = sum(p["book_total"] for p in parts)
    return Projection.build(
        method,
        sum(p["n"] for p in parts),
        sum(p["N"] for p in parts),
        total,
        point,
        se,
        confidence,
        z_value(confidence),
        fpc,
    )
