"""Penalty exposure under 19 U.S.C. 1592(c) by culpability, with and without prior disclosure, and the
statutory penalty for de minimis violations.

Statute (19 U.S.C. 1592(c)(1)-(4)); the bases differ by culpability:
- fraud: up to the domestic value of the merchandise; with prior disclosure, 100% of the lost
  duties (10% of dutiable value when no duty was lost);
- gross negligence: up to the lesser of domestic value or 4x lost duties (or of domestic value and 40% of
  the dutiable value when no duty was lost); with prior disclosure, interest on the lost duties;
- negligence: up to the lesser of domestic value or 2x lost duties (or 20% of dutiable value when no duty
  was lost); with prior disclosure, interest on the lost duties.
Values are those of the merchandise *involved in the violations*, not of the whole population
(`penalty_bases` builds them from the items in error). Lost duties must be restored in every case
(1592(d)); that restoration is not a penalty and is reported separately. Refundable IEEPA duties (held
unlawful in Learning Resources v. Trump, 2026-02-20) are not a loss of revenue and are taken out of the
lost duties. The statute sets maxima: the range shown is 0 up to that maximum. The interest rate and
period for prior disclosure are inputs (CBP uses the 26 U.S.C. 6621 underpayment rate from the date of
liquidation; the default below is a placeholder, configurable and marked unverified).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

CULPABILITY = ("fraud", "gross negligence", "negligence")
DEFAULT_INTEREST_RATE = 0.07  # unverified placeholder for the 26 U.S.C. 6621 rate; pass the real one
DEFAULT_INTEREST_YEARS = 1.0
CITATION = "19 U.S.C. 1592(c)(1)-(4), 1592(d)"
# De minimis civil penalty added by the 2025 budget act (Pub. L. 119-21, enacted 2025-07-04), in force 30
# days after enactment; amounts confirmed from trade reporting of the enacted text, section not confirmed.
DE_MINIMIS_PENALTY_FROM = date(2025, 8, 3)
DE_MINIMIS_PENALTY_FIRST = 5_000.0
DE_MINIMIS_PENALTY_LATER = 10_000.0
DE_MINIMIS_CITATION = (
    "19 U.S.C. 1321 as amended by Pub. L. 119-21 (2025): up to $5,000 for a first and $10,000 for each "
    "later violation (section number unverified)"
)


@dataclass(frozen=True)
class PenaltyRange:
    """Maximum civil penalty for one culpability level, without and with a prior disclosure."""

    culpability: str
    maximum: float
    maximum_with_prior_disclosure: float
    basis: str


@dataclass(frozen=True)
class PenaltyBases:
    """The 1592(c) bases for the merchandise involved in the violations (USD)."""

    lost_duties: float  # duties, taxes and fees lost, refundable IEEPA duties excluded
    refundable_excluded: float  # refundable duties left out of the loss
    dutiable_value: float  # of the merchandise involved
    domestic_value: float  # of the merchandise involved
    domestic_value_estimated: bool  # True when estimated as dutiable value + duty + fees


def penalty_bases(items: Iterable[dict]) -> PenaltyBases:
    """Bases from the items in error: each dict has in_error, dutiable_value, lost (duty + fees not paid),
    refundable (part of `lost` that is refundable) and optionally domestic_value (its US selling price).

    Without a domestic value for an item it is estimated as dutiable value + duty and fees owed, a floor
    (the statute's domestic value is the US price, which is at least that), and flagged."""
    lost = refundable = dutiable = domestic = 0.0
    estimated = False
    for item in items:
        if not item.get("in_error"):
            continue
        item_lost = max(float(item.get("lost") or 0.0), 0.0)
        item_refundable = min(max(float(item.get("refundable") or 0.0), 0.0), item_lost)
        value = float(item.get("dutiable_value") or 0.0)
        lost += item_lost - item_refundable
        refundable += item_refundable
        dutiable += value
        if item.get("domestic_value") is None:
            estimated = True
            domestic += value + item_lost
        else:
            domestic += float(item["domestic_value"])
    return PenaltyBases(lost, refundable, dutiable, domestic, estimated)


def penalty_exposure(
    lost_duties: float,
    dutiable_value: float,
    domestic_value: float,
    interest_rate: float = DEFAULT_INTEREST_RATE,
    interest_years: float = DEFAULT_INTEREST_YEARS,
    *,
    refundable: float = 0.0,
) -> list[PenaltyRange]:
    """Statutory maxima for fraud, gross negligence and negligence given lost duties and the values of the
    merchandise involved (USD); `refundable` duties are taken out of the loss first."""
    lost = max(lost_duties - max(refundable, 0.0), 0.0)
    interest = lost * interest_rate * interest_years
    if lost > 0:
        gross = min(domestic_value, 4 * lost)
        negligent = min(domestic_value, 2 * lost)
        fraud_disclosed = lost
        basis = "lost duties"
    else:
        gross = min(domestic_value, 0.40 * dutiable_value)
        negligent = min(domestic_value, 0.20 * dutiable_value)
        fraud_disclosed = 0.10 * dutiable_value
        basis = "dutiable value (no duty lost)"
    return [
        PenaltyRange("fraud", domestic_value, fraud_disclosed, f"domestic value; disclosed: {basis}"),
        PenaltyRange(
            "gross negligence", gross, interest, f"min(domestic value, 4x) of {basis}; disclosed: interest"
        ),
        PenaltyRange(
            "negligence", negligent, interest, f"min(domestic value, 2x) of {basis}; disclosed: interest"
        ),
    ]


def de_minimis_penalty(violations: int, first_on: date) -> tuple[float, str, str]:
    """Maximum statutory penalty for `violations` de minimis violations starting on a date: (USD, citation,
    status). Zero before the penalty took effect (2025-08-03)."""
    if violations <= 0 or first_on < DE_MINIMIS_PENALTY_FROM:
        return 0.0, DE_MINIMIS_CITATION, "unverified"
    amount = DE_MINIMIS_PENALTY_FIRST + DE_MINIMIS_PENALTY_LATER * (violations - 1)
    return amount, DE_MINIMIS_CITATION, "unverified"
