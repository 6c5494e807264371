"""Penalty exposure under 19 U.S.C. 1592(c) by culpability, with and without prior disclosure.

Statute (19 U.S.C. 1592(c)(1)-(4)):
- fraud: up to the domestic value of the merchandise; with prior disclosure, 100% of the lost
  duties (10% of dutiable value when no duty was lost);
- gross negligence: up to the lesser of domestic value or 4x lost duties (40% of dutiable value
  when no duty was lost); with prior disclosure, interest on the lost duties;
- negligence: up to the lesser of domestic value or 2x lost duties (20% of dutiable value when no
  duty was lost); with prior disclosure, interest on the lost duties.
Lost duties must be restored in every case (1592(d)); that restoration is not a penalty and is
reported separately. The statute sets maxima: the range shown is 0 up to that maximum. The interest
rate and period for prior disclosure are inputs (CBP uses the 26 U.S.C. 6621 underpayment rate from
the date of liquidation; the default below is a placeholder, configurable and marked unverified).
"""

from __future__ import annotations

from dataclasses import dataclass

CULPABILITY = ("fraud", "gross negligence", "negligence")
DEFAULT_INTEREST_RATE = 0.07  # unverified placeholder for the 26 U.S.C. 6621 rate; pass the real one
DEFAULT_INTEREST_YEARS = 1.0
CITATION = "19 U.S.C. 1592(c)(1)-(4), 1592(d)"


@dataclass(frozen=True)
class PenaltyRange:
    """Maximum civil penalty for one culpability level, without and with a prior disclosure."""

    culpability: str
    maximum: float
    maximum_with_prior_disclosure: float
    basis: str


def penalty_exposure(
    lost_duties: float,
    dutiable_value: float,
    domestic_value: float,
    interest_rate: float = DEFAULT_INTEREST_RATE,
    interest_years: float = DEFAULT_INTEREST_YEARS,
) -> list[PenaltyRange]:
    """Statutory maxima for fraud, gross negligence and negligence given lost duties and values (USD)."""
    lost = max(lost_duties, 0.0)
    interest = lost * interest_rate * interest_years
    if lost > 0:
        gross = min(domestic_value, 4 * lost)
        negligent = min(domestic_value, 2 * lost)
        fraud_disclosed = lost
        basis = "lost duties"
    else:
        gross = 0.40 * dutiable_value
        negligent = 0.20 * dutiable_value
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
