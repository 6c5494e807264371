"""Money: exact Decimal arithmetic, rounded once to cents, half-up (the rounding of a customs entry summary).

Each duty or fee amount is computed exactly (value x rate, or per-item amount x quantity) and rounded once
to whole cents with ROUND_HALF_UP; totals are sums of those rounded amounts and are never rounded again.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """Round an exact amount to cents, half-up (0.005 -> 0.01)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def as_decimal(value: float | int | str | Decimal) -> Decimal:
    """A money or rate value as an exact Decimal (floats through their shortest repr: 0.1 -> 0.1)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
