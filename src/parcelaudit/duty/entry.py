"""quote_entry(): the duty of every line of one entry and the fees of the entry as a whole.

Fees belong to the entry, not to its lines (19 CFR 24.23): the formal-entry merchandise processing fee is
0.3464% of the entry's value with one minimum and one maximum per entry (24.23(b)(1)(i)); the informal-entry
fee is one flat fee per entry (24.23(b)(2)); an express consignment pays one fee per individual waybill
(24.23(b)(4)); dutiable mail pays one fee per entry (24.22(f)); the harbor maintenance fee is a rate on the
entry's value (24.24). `quote()` prices a one-line entry; an entry of several lines is priced here: each line
by `quote()` without fees, at the entry's total value for the limits that belong to the shipment (de minimis,
the $800 postal limit, the $2,500 informal-entry limit), then the fees once on the entry's value and duty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from parcelaudit.duty.fees import FeeCharge, entry_fees
from parcelaudit.duty.money import Exact, as_decimal, cents
from parcelaudit.duty.quote import Quote, check_transport, quote
from parcelaudit.duty.tables import load_tables
from parcelaudit.errors import ParcelAuditError

LINE_FIELDS = ("hts", "origin", "value", "quantity", "preference", "metal_value")


@dataclass(frozen=True)
class EntryQuote:
    """Duty per line and fees per entry for one entry (one waybill, one mail entry or one formal entry)."""

    on: date
    mode: str
    entry_type: str
    lines: tuple[Quote, ...]
    fees: tuple[FeeCharge, ...] = field(default_factory=tuple)

    @property
    def value(self) -> Decimal:
        """The entry's value in USD: the sum of its lines."""
        return Exact(sum((q.value for q in self.lines), Decimal(0)))

    @property
    def amount(self) -> Decimal:
        """Duty of the entry in USD: the lines' duties (each rounded once to cents, as entered per line)."""
        return Exact(sum((q.amount for q in self.lines), Decimal("0.00")))

    @property
    def refundable_amount(self) -> Decimal:
        """Refundable duty of the entry in USD (IEEPA duties after Learning Resources v. Trump)."""
        return Exact(sum((q.refundable_amount for q in self.lines), Decimal("0.00")))

    @property
    def fees_amount(self) -> Decimal:
        """Fees of the entry in USD (each fee once per entry)."""
        return Exact(sum((f.amount for f in self.fees), Decimal("0.00")))

    @property
    def loss_basis(self) -> Decimal:
        """Duty plus fees that count as revenue (refundable duties excluded), USD."""
        return Exact(self.amount - self.refundable_amount + self.fees_amount)

    @property
    def verified(self) -> bool:
        """True when every line and every fee is verified."""
        return all(q.verified for q in self.lines) and all(f.status != "unverified" for f in self.fees)


def _line(number: int, given: Mapping) -> dict:
    unknown = sorted(set(given) - set(LINE_FIELDS))
    if unknown:
        raise ParcelAuditError(
            f"entry line {number}: unknown field(s) {', '.join(unknown)}",
            field=unknown[0],
            hint=f"line fields are {', '.join(LINE_FIELDS)}",
        )
    missing = [name for name in ("hts", "origin", "value") if given.get(name) in (None, "")]
    if missing:
        raise ParcelAuditError(
            f"entry line {number}: {', '.join(missing)} missing",
            field=missing[0],
            hint="give hts, origin, value",
        )
    return dict(given)


def quote_entry(
    lines: Iterable[Mapping],
    on: date | str,
    *,
    mode: str = "express",
    entry_type: str | None = None,
    postal_method: str = "ad_valorem",
    transport: str = "ocean",
) -> EntryQuote:
    """Duty of each line and the fees of the entry as a whole.

    `lines`: mappings with hts, origin, value (USD) and optionally quantity, preference, metal_value. The
    entry's value (the sum of the lines) decides the entry type when none is given (formal above $2,500,
    19 CFR 143.21(a)) and the limits that belong to a shipment; the fees are charged once on it.
    `transport`: the conveyance of cargo (only ocean cargo pays HMF; see `quote`)."""
    vessel = check_transport(transport)
    given = [_line(number, line) for number, line in enumerate(lines, 1)]
    if not given:
        raise ParcelAuditError(
            "an entry needs at least one line", field="lines", hint="give one line or more"
        )
    total = sum((as_decimal(line["value"]) for line in given), Decimal(0))
    quotes = tuple(
        quote(
            line["hts"],
            line["origin"],
            on,
            line["value"],
            mode=mode,
            quantity=int(line.get("quantity") or 1),
            preference=line.get("preference") or None,
            entry_type=entry_type,
            postal_method=postal_method,
            with_fees=False,
            metal_value=line.get("metal_value"),
            shipment_value=total,
        )
        for line in given
    )
    first = quotes[0]
    duty = cents(sum((q.amount for q in quotes), Decimal(0)))
    released = all(c.measure == "DE-MINIMIS" for q in quotes for c in q.components)
    fees = (
        () if released else entry_fees(load_tables(), first.on, total, mode, first.entry_type, duty, vessel)
    )
    return EntryQuote(first.on, mode, first.entry_type, quotes, fees)
