"""Fees on an entry: merchandise processing fee (informal, formal with minimum and maximum, express per
waybill), dutiable mail fee, harbor maintenance fee; amounts by fiscal year from fees.csv (19 CFR 24.23, 24.24).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from parcelaudit.duty.money import Exact, cents
from parcelaudit.duty.tables import DutyTables
from parcelaudit.schema import DE_MINIMIS_ENTRY_TYPES

FORMAL_OVER = Decimal("2500")  # 19 CFR 143.21(a): informal entry for shipments up to $2,500
FORMAL_CITATION = "19 CFR 143.21(a): formal entry above $2,500"


@dataclass(frozen=True)
class FeeCharge:
    """One fee on a quote: USD amount (rounded once), its source and status."""

    fee: str
    amount: Decimal
    citation: str
    status: str
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", Exact(self.amount))


def _row(tables: DutyTables, fee: str, on: date):
    return next((f for f in tables.fees if f.fee == fee and f.start <= on <= f.end), None)


def _missing(fee: str, on: date) -> FeeCharge:
    return FeeCharge(fee, Decimal("0.00"), "fees.csv", "unverified", f"no {fee} amount is loaded for {on}")


def _fixed(tables: DutyTables, fee: str, on: date, count: int = 1) -> FeeCharge:
    row = _row(tables, fee, on)
    if row is None:
        return _missing(fee, on)
    return FeeCharge(fee, cents(row.amount * count), row.citation, row.status, row.note)


def entry_fees(
    tables: DutyTables, on: date, value: Decimal, mode: str, entry_type: str, duty: Decimal
) -> tuple[FeeCharge, ...]:
    """The fees an entry of this value, mode and entry type pays on a date (none for a de minimis release)."""
    if entry_type in DE_MINIMIS_ENTRY_TYPES:
        return ()
    charges: list[FeeCharge] = []
    if mode == "postal":
        if duty > 0:
            charges.append(_fixed(tables, "MAIL-FEE", on))
        return tuple(charges)
    if entry_type == "01":
        rate, low, high = (_row(tables, name, on) for name in ("MPF-RATE", "MPF-MIN", "MPF-MAX"))
        if rate is None or low is None or high is None:
            charges.append(_missing("MPF-FORMAL", on))
        else:
            amount = min(max(value * rate.amount, low.amount), high.amount)
            status = "verified" if all(r.status == "verified" for r in (rate, low, high)) else "unverified"
            charges.append(
                FeeCharge(
                    "MPF-FORMAL",
                    cents(amount),
                    f"{rate.citation}; minimum and maximum: {low.citation}",
                    status,
                    f"0.3464% of value within ${low.amount}-${high.amount}",
                )
            )
    elif mode == "express":
        charges.append(_fixed(tables, "MPF-EXPRESS", on))
    else:
        charges.append(_fixed(tables, "MPF-INFORMAL", on))
    if mode == "cargo":
        row = _row(tables, "HMF-RATE", on)
        if row is None:
            charges.append(_missing("HMF", on))
        else:
            note = "assumes ocean cargo unloaded at a port listed in 19 CFR 24.24(b)"
            charges.append(FeeCharge("HMF", cents(value * row.amount), row.citation, row.status, note))
    return tuple(charges)
