"""Money: exact Decimal arithmetic, rounded once to cents, half-up (the rounding of a customs entry summary).

A line's duty is the exact sum of its components (value x rate, per-item amount x quantity) rounded once
to whole cents with ROUND_HALF_UP; so is its refundable part. Each component's own amount is shown rounded
the same way, so the displayed components may differ from the line total by a cent. Each fee is rounded
once. Floats enter through their shortest repr (0.1 -> Decimal('0.1')), so results do not depend on
summation order or binary noise.
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


def _coerce(other):
    return Decimal(repr(other)) if isinstance(other, float) else other


class Exact(Decimal):
    """A Decimal that meets floats through their shortest repr, so `Exact('0.54') == 0.54` and
    `pytest.approx(0.54)` work, while the arithmetic stays exact."""

    __hash__ = Decimal.__hash__

    def __eq__(self, other) -> bool:
        return Decimal.__eq__(self, _coerce(other))

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __add__(self, other):
        return Exact(Decimal.__add__(self, _coerce(other)))

    __radd__ = __add__

    def __sub__(self, other):
        return Exact(Decimal.__sub__(self, _coerce(other)))

    def __rsub__(self, other):
        return Exact(Decimal.__rsub__(self, _coerce(other)))

    def __abs__(self):
        return Exact(Decimal.__abs__(self))

    def __lt__(self, other) -> bool:
        return Decimal.__lt__(self, _coerce(other))

    def __le__(self, other) -> bool:
        return Decimal.__le__(self, _coerce(other))

    def __gt__(self, other) -> bool:
        return Decimal.__gt__(self, _coerce(other))

    def __ge__(self, other) -> bool:
        return Decimal.__ge__(self, _coerce(other))
