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
    tables: DutyTables,
    on: date,
    value: Decimal,
    mode: str,
    entry_type: str,
    duty: Decimal,
    vessel: bool = True,
) -> tuple[FeeCharge, ...]:
    """The fees an entry of this value, mode and entry type pays on a date (none for a de minimis release);
    vessel: whether cargo arrives by vessel (`fee_schedule`)."""
    return fee_schedule(tables, on, mode, entry_type, duty > 0, vessel).charges(value)


@dataclass(frozen=True)
class FeeSchedule:
    """The fees of the entries of one date, mode, entry type and dutiability, as a function of their value:
    fixed charges, or ("formal", rate, minimum, maximum) / ("hmf", rate) rows applied to the value, in order."""

    parts: tuple

    def charges(self, value: Decimal) -> tuple[FeeCharge, ...]:
        """The fee charges of an entry of this value."""
        return tuple(_charge(part, value) for part in self.parts)


def _charge(part, value: Decimal) -> FeeCharge:
    if isinstance(part, FeeCharge):
        return part
    if part[0] == "formal":
        rate, low, high = part[1:]
        amount = min(max(value * rate.amount, low.amount), high.amount)
        status = "verified" if all(r.status == "verified" for r in (rate, low, high)) else "unverified"
        return FeeCharge(
            "MPF-FORMAL",
            cents(amount),
            f"{rate.citation}; minimum and maximum: {low.citation}",
            status,
            f"0.3464% of value within ${low.amount}-${high.amount}",
        )
    row = part[1]
    note = "assumes ocean cargo unloaded at a port listed in 19 CFR 24.24(b)"
    return FeeCharge("HMF", cents(value * row.amount), row.citation, row.status, note)


def fee_schedule(
    tables: DutyTables, on: date, mode: str, entry_type: str, dutiable: bool, vessel: bool = True
) -> FeeSchedule:
    """The fee schedule of entries of this mode and entry type on a date (rows looked up once, so many
    values can be charged: the checks price every parcel of a fee period through one schedule). vessel:
    False for cargo that comes by truck, rail or air, which uses no port and pays no HMF (19 CFR 24.24)."""
    if entry_type in DE_MINIMIS_ENTRY_TYPES:
        return FeeSchedule(())
    parts: list = []
    if mode == "postal":
        if dutiable:
            parts.append(_fixed(tables, "MAIL-FEE", on))
        return FeeSchedule(tuple(parts))
    if entry_type == "01":
        rate, low, high = (_row(tables, name, on) for name in ("MPF-RATE", "MPF-MIN", "MPF-MAX"))
        if rate is None or low is None or high is None:
            parts.append(_missing("MPF-FORMAL", on))
        else:
            parts.append(("formal", rate, low, high))
    elif mode == "express":
        parts.append(_fixed(tables, "MPF-EXPRESS", on))
    else:
        parts.append(_fixed(tables, "MPF-INFORMAL", on))
    if mode == "cargo" and vessel:
        row = _row(tables, "HMF-RATE", on)
        parts.append(_missing("HMF", on) if row is None else ("hmf", row))
    return FeeSchedule(tuple(parts))
