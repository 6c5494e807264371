"""quote(): the duty and fees one line owes on a date, component by component, each with its source and status.

Order of work: de minimis release (entry types 321/86, and mail up to the threshold) -> MFN from the
edition of the schedule in force (or the special rate of a valid preference claim) -> additional measures
by program (longest HTS prefix wins; exemption lists, preference exemptions and stacking rules may zero a
program) -> 'not covered' placeholders where a program's lists are not fully loaded -> postal method ->
fees. A component is `verified` only when every fact behind it is; IEEPA duties are `refundable` after
Learning Resources v. Trump. Money: see duty.money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from parcelaudit.duty.fees import FORMAL_OVER, FeeCharge, entry_fees
from parcelaudit.duty.money import Exact, as_decimal, cents
from parcelaudit.duty.tables import DutyTables, Measure, load_tables
from parcelaudit.errors import ParcelAuditError
from parcelaudit.reference.hts import load_editions, normalise_hts, schedule_on
from parcelaudit.schema import DE_MINIMIS_ENTRY_TYPES

MODES = ("express", "postal", "cargo")
POSTAL_METHODS = ("ad_valorem", "specific")
STATUSES = ("verified", "unverified", "refundable")
# Preference programs by name -> the special-program indicators of the HTS column 1 special.
PREFERENCES: dict[str, tuple[str, ...]] = {
    "USMCA": ("S", "S+"),
    "KORUS": ("KR",),
    "AUSFTA": ("AU",),
    "CAFTA-DR": ("P", "P+"),
    "GSP": ("A", "A*", "A+"),
    "AGOA": ("D",),
    "CHILE": ("CL",),
    "COLOMBIA": ("CO",),
    "PERU": ("PE",),
    "PANAMA": ("PA",),
    "SINGAPORE": ("SG",),
    "ISRAEL": ("IL",),
    "JORDAN": ("JO",),
    "MOROCCO": ("MA",),
    "BAHRAIN": ("BH",),
    "OMAN": ("OM",),
}
PREFERENCE_COUNTRIES = {"USMCA": frozenset({"CA", "MX"})}
MFN_CITATION = "USITC Harmonized Tariff Schedule"
_SPECIAL = re.compile(r"([^()]+?)\s*\(([^)]*)\)")


@dataclass(frozen=True)
class Component:
    """One part of a quote: a measure's rate and USD amount, its primary source and its status."""

    measure: str
    program: str
    rate: Decimal  # ad valorem fraction (0 for a specific duty)
    amount: Decimal  # USD, this component alone rounded to cents (for display)
    citation: str
    status: str  # verified / unverified / refundable
    refundable: bool = False
    note: str = ""
    exact: Decimal | None = None  # unrounded USD amount; totals are rounded once from these

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", Exact(self.rate))
        object.__setattr__(self, "amount", Exact(self.amount))


@dataclass(frozen=True)
class Quote:
    """Duty and fees for one line: total ad valorem rate, USD amounts, components and fees."""

    hts: str
    origin: str
    on: date
    value: Decimal
    mode: str
    quantity: int
    entry_type: str
    components: tuple[Component, ...]
    fees: tuple[FeeCharge, ...] = field(default_factory=tuple)

    @property
    def rate(self) -> Decimal:
        """Total ad valorem rate (specific duties excluded)."""
        return Exact(sum((c.rate for c in self.components), Decimal(0)))

    @property
    def amount(self) -> Decimal:
        """Duty in USD: the exact sum of the components, rounded once to cents (half-up)."""
        return Exact(cents(sum((_exact(c) for c in self.components), Decimal(0))))

    @property
    def fees_amount(self) -> Decimal:
        """Fees in USD."""
        return Exact(sum((f.amount for f in self.fees), Decimal("0.00")))

    @property
    def refundable_amount(self) -> Decimal:
        """Duty in USD that is refundable (IEEPA duties after Learning Resources v. Trump)."""
        return Exact(cents(sum((_exact(c) for c in self.components if c.refundable), Decimal(0))))

    @property
    def loss_basis(self) -> Decimal:
        """Duty plus fees that count as revenue (refundable duties excluded), USD."""
        return Exact(self.amount - self.refundable_amount + self.fees_amount)

    def to_dict(self) -> dict:
        """The quote as JSON-ready data (Decimals as strings)."""
        return {
            "hts": self.hts,
            "origin": self.origin,
            "date": self.on.isoformat(),
            "value": str(self.value),
            "mode": self.mode,
            "entry_type": self.entry_type,
            "rate": str(self.rate),
            "amount": str(self.amount),
            "refundable": str(self.refundable_amount),
            "fees": [{**f.__dict__, "amount": str(f.amount)} for f in self.fees],
            "components": [
                {k: str(v) if k in ("rate", "amount") else v for k, v in c.__dict__.items() if k != "exact"}
                for c in self.components
            ],
            "verified": self.verified,
            "unverified": list(self.unverified),
        }

    @property
    def verified(self) -> bool:
        """True when no component and no fee is unverified."""
        return all(c.status != "unverified" for c in self.components) and all(
            f.status != "unverified" for f in self.fees
        )

    @property
    def unverified(self) -> tuple[str, ...]:
        """Names of the components and fees that are unverified or not covered by the tables."""
        return tuple(c.measure for c in self.components if c.status == "unverified") + tuple(
            f.fee for f in self.fees if f.status == "unverified"
        )


def _exact(component: Component) -> Decimal:
    return component.amount if component.exact is None else component.exact


def _as_date(on) -> date:
    if isinstance(on, datetime):
        return on.date()
    if isinstance(on, date):
        return on
    try:
        return date.fromisoformat(str(on))
    except ValueError as error:
        raise ParcelAuditError(f"{on!r} is not a date", field="on", hint="YYYY-MM-DD") from error


def _check_inputs(
    hts: str, origin: str, mode: str, value, quantity: int, postal_method: str
) -> tuple[str, str]:
    code = normalise_hts(hts or "")
    if not code.isdigit() or len(code) not in (6, 8, 10):
        raise ParcelAuditError(
            f"HTS code {hts!r} is not 6, 8 or 10 digits", field="hts", hint="e.g. 6109.10.0012"
        )
    country = (origin or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ParcelAuditError(
            f"origin {origin!r} is not an ISO country code", field="origin", hint="e.g. CN"
        )
    if mode not in MODES:
        raise ParcelAuditError(f"unknown mode {mode!r}", field="mode", hint=" or ".join(MODES))
    if postal_method not in POSTAL_METHODS:
        raise ParcelAuditError(
            f"unknown postal method {postal_method!r}",
            field="postal_method",
            hint=" or ".join(POSTAL_METHODS),
        )
    if as_decimal(value) < 0:
        raise ParcelAuditError(f"value {value} is negative", field="value", hint="give the USD value")
    if quantity < 1:
        raise ParcelAuditError(f"quantity {quantity} is below 1", field="quantity", hint="count items")
    return code, country


def _parse_rate(text: str) -> Decimal | None:
    text = text.strip().lower()
    if text == "free":
        return Decimal(0)
    found = re.fullmatch(r"(\d+(?:\.\d+)?)%", text)
    return Decimal(found.group(1)) / 100 if found else None


def special_rates(special_text: str) -> dict[str, Decimal | None]:
    """Program indicator -> rate from a column 1 special text such as 'Free (AU,S,SG) 4.9% (E)'."""
    rates: dict[str, Decimal | None] = {}
    for rate_text, codes in _SPECIAL.findall(special_text):
        for code in codes.replace(" ", "").split(","):
            if code:
                rates[code] = _parse_rate(rate_text)
    return rates


def _mfn(code: str, origin: str, on: date, preference: str | None) -> tuple[Component, bool]:
    """The MFN (or preferential) component and whether a preference claim stands for this line."""
    schedule, own = schedule_on(on)
    line = schedule.lookup(code) if len(code) >= 8 else None
    edition = f"{MFN_CITATION} {schedule.year or ''} edition".replace("  ", " ")
    if line is None:
        note = f"HTS {code} is not in the loaded {schedule.year or ''} edition; no MFN rate".replace(
            "  ", " "
        )
        return Component("MFN", "MFN", Decimal(0), Decimal("0.00"), edition, "unverified", note=note), False
    in_force = own or (
        line.begin is not None and line.begin <= on and schedule.year is not None and on.year < schedule.year
    )
    status = "verified" if line.verified and in_force else "unverified"
    notes = []
    if not in_force:
        notes.append(f"no edition for {on.year} is loaded; rate taken from the {schedule.year} edition")
    if not line.verified:
        notes.append(f"rate {line.rate_text!r} is not purely ad valorem; its specific part is not counted")
    rate = Decimal(repr(line.mfn_ad_valorem))
    citation = f"{edition}, {code[:8]} column 1 general ({line.rate_text})"
    claimed = False
    if preference:
        indicators = PREFERENCES.get(preference.upper(), (preference,))
        allowed = PREFERENCE_COUNTRIES.get(preference.upper())
        special = special_rates(line.special_text)
        found = next((special[i] for i in indicators if i in special), None)
        if allowed is not None and origin not in allowed:
            notes.append(f"{preference} claim not available for origin {origin}")
        elif found is None:
            notes.append(f"{preference} claim: no special rate for this line in the schedule")
        else:
            claimed = True
            rate = found
            citation = f"{edition}, {code[:8]} column 1 special ({line.special_text})"
            notes.append(f"{preference} preference claimed; origin rules not checked")
    return Component("MFN", "MFN", rate, Decimal("0.00"), citation, status, note="; ".join(notes)), claimed


@lru_cache(maxsize=512)
def _measures_for(origin: str) -> tuple[Measure, ...]:
    """The measures that can apply to an origin at all (its country lists), in table order."""
    return tuple(
        m
        for m in load_tables().measures
        if origin not in m.except_countries and (not m.countries or origin in m.countries)
    )


def _matches(tables: DutyTables, code: str, origin: str, on: date) -> dict[str, Measure]:
    best: dict[str, tuple[int, Measure]] = {}
    for measure in _measures_for(origin):
        strength = measure.covers(code, origin, on)
        if strength >= 0 and strength > best.get(measure.program, (-1, measure))[0]:
            best[measure.program] = (strength, measure)
    return {program: found for program, (_, found) in best.items()}


def _exemption(tables: DutyTables, lists: tuple[str, ...], code: str, on: date):
    found = [
        e
        for e in tables.exemptions
        if e.list_id in lists and code.startswith(e.hts_prefix) and e.start <= on <= e.end
    ]
    return max(found, key=lambda e: len(e.hts_prefix)) if found else None


def _additional(tables: DutyTables, code: str, origin: str, on: date, claimed: str | None) -> list[Component]:
    matched = _matches(tables, code, origin, on)
    charged = {p for p, m in matched.items() if m.rate > 0}
    parts: list[Component] = []
    for name, program in tables.programs.items():
        measure = matched.get(name)
        if measure is None:
            applies = (not program.placeholder_countries or origin in program.placeholder_countries) and (
                not program.placeholder_hts or code.startswith(program.placeholder_hts)
            )
            start = program.placeholder_start
            if start is not None and start <= on <= program.placeholder_end and applies:
                parts.append(
                    Component(
                        f"{name}-NOT-COVERED",
                        name,
                        Decimal(0),
                        Decimal("0.00"),
                        program.citation,
                        "unverified",
                        note=program.note,
                    )
                )
            continue
        refundable = program.refundable_from is not None
        status, rate, citation, notes = measure.status, measure.rate, measure.citation, [measure.note]
        exempt = _exemption(tables, program.exemption_lists, code, on)
        stacked_on = [p for p in program.excluded_by if p in charged]
        if exempt is not None:
            rate, status, citation = (
                Decimal(0),
                exempt.status,
                f"{exempt.citation} (exempts {measure.citation})",
            )
            notes = [f"exempt: list {exempt.list_id}, {exempt.hts_prefix}", exempt.note]
        elif measure.preference_exempt and claimed == measure.preference_exempt:
            rate, notes = Decimal(0), [f"exempt: qualifying {claimed} claim"]
        elif stacked_on:
            rate, notes = (
                Decimal(0),
                [f"not stacked on {', '.join(stacked_on)} (goods subject to Section 232)"],
            )
        elif not program.exemptions_complete and program.exemption_lists:
            status = "unverified"
            notes.append("exemption lists only partly loaded")
        if refundable:
            notes.append(f"refundable: IEEPA duties held unlawful {program.refundable_from}")
        final = "refundable" if refundable and status == "verified" else status
        parts.append(
            Component(
                measure.measure_id,
                name,
                rate,
                Decimal("0.00"),
                citation,
                final,
                refundable,
                "; ".join(n for n in notes if n),
            )
        )
    return parts


def _postal(
    tables: DutyTables, parts: list[Component], origin: str, on: date, quantity: int, method: str
) -> list[Component]:
    """Apply the postal method in force: IEEPA-only ad valorem or specific per item (EO 14324), the China
    postal rates of EO 14256, or an unverified note where the postal method is not confirmed."""
    rows = [p for p in tables.postal if p.start <= on <= p.end and (not p.countries or origin in p.countries)]
    if not rows:
        return parts
    ieepa = [
        c for c in parts if tables.programs.get(c.program) and tables.programs[c.program].authority == "IEEPA"
    ]
    ieepa_rate = sum((c.rate for c in ieepa), Decimal(0))
    kinds = {r.kind for r in rows}
    if "standard" in kinds:
        row = next(r for r in rows if r.kind == "standard")
        return [
            *parts,
            Component(
                row.method_id, "POSTAL", Decimal(0), Decimal("0.00"), row.citation, row.status, note=row.note
            ),
        ]
    base = [c for c in parts if c not in ieepa]
    if "ad_valorem_ieepa" in kinds:
        row = next(r for r in rows if r.kind == "ad_valorem_ieepa")
        base = [
            Component(
                c.measure,
                c.program,
                Decimal(0),
                c.amount,
                c.citation,
                row.status,
                c.refundable,
                f"not assessed on postal items: {row.citation}",
            )
            for c in base
        ]
    if method == "specific":
        band = next(
            (
                r
                for r in rows
                if r.kind == "specific"
                and (r.band_from is None or (r.band_from <= ieepa_rate < (r.band_to or Decimal(99))))
            ),
            None,
        )
        if band is not None and band.per_item is not None:
            amount = cents(band.per_item * quantity)
            status = "refundable" if band.status == "verified" else band.status
            return [
                *base,
                Component(
                    band.method_id,
                    "POSTAL",
                    Decimal(0),
                    amount,
                    band.citation,
                    status,
                    True,
                    f"${band.per_item} per item x {quantity}; {band.note}".strip("; "),
                ),
            ]
    flat = next((r for r in rows if r.kind == "ad_valorem"), None)
    if flat is not None and flat.rate is not None:
        status = "refundable" if flat.status == "verified" else flat.status
        return [
            *base,
            Component(
                flat.method_id, "POSTAL", flat.rate, Decimal("0.00"), flat.citation, status, True, flat.note
            ),
        ]
    return base + ieepa


@lru_cache(maxsize=1)
def change_dates() -> tuple[date, ...]:
    """Every date on which some component of some quote may change (table periods, edition years, line
    begin dates), sorted: two dates with no change date between them get the same components."""
    tables = load_tables()
    found: set[date] = set()
    periods = [(m.start, m.end) for m in tables.measures] + [(e.start, e.end) for e in tables.exemptions]
    periods += [(p.start, p.end) for p in tables.postal]
    periods += [
        (p.placeholder_start, p.placeholder_end) for p in tables.programs.values() if p.placeholder_start
    ]
    for start, end in periods:
        found.add(start)
        if end < date.max:
            found.add(end + timedelta(days=1))
    for schedule in load_editions().values():
        found.update(line.begin for line in schedule.lines.values() if line.begin)
    found.update(date(year, 1, 1) for year in range(1990, 2101))
    return tuple(sorted(found))


def _de_minimis(origin: str, on: date, value: Decimal, mode: str, entry_type: str) -> Component | None:
    """A duty-free de minimis release, when the entry claims it (or is mail) and the policy allows it."""
    if entry_type not in DE_MINIMIS_ENTRY_TYPES and not (mode == "postal" and entry_type == "postal"):
        return None
    from parcelaudit.rules.policy import load_policy

    policy = load_policy()
    threshold = next(
        (
            r
            for r in policy.in_force("de_minimis_thresholds", on)
            if r["kind"] == "general" and r["country"] == "*"
        ),
        None,
    )
    suspended = [r for r in policy.in_force("de_minimis_suspensions", on) if r["country"] in ("*", origin)]
    if threshold is None or suspended or value > as_decimal(threshold["threshold_usd"]):
        return None
    citation = threshold["citation"] + ("; 19 CFR 145.31 (mail)" if mode == "postal" else "")
    return Component(
        "DE-MINIMIS",
        "DE-MINIMIS",
        Decimal(0),
        Decimal("0.00"),
        citation,
        "verified",
        note=f"free entry up to ${threshold['threshold_usd']:.0f}",
    )


def quote(
    hts: str,
    origin: str,
    on: date | str,
    value: float | int | str | Decimal,
    *,
    mode: str = "express",
    quantity: int = 1,
    preference: str | None = None,
    entry_type: str | None = None,
    postal_method: str = "ad_valorem",
    with_fees: bool = True,
) -> Quote:
    """Duty and fees owed on one line of `value` USD, of HTS `hts` and origin `origin`, entered on `on`."""
    on = _as_date(on)
    code, country = _check_inputs(hts, origin, mode, value, quantity, postal_method)
    amount_value = as_decimal(value)
    kind = entry_type or ("01" if amount_value > FORMAL_OVER else ("postal" if mode == "postal" else "11"))
    tables = load_tables()
    free = _de_minimis(country, on, amount_value, mode, kind)
    if free is not None:
        return Quote(code, country, on, amount_value, mode, quantity, kind, (free,), ())
    if kind in DE_MINIMIS_ENTRY_TYPES:
        kind = "01" if amount_value > FORMAL_OVER else "11"  # the claim fails: the entry pays duty
    mfn, claimed = _mfn(code, country, on, preference)
    parts = [
        mfn,
        *_additional(tables, code, country, on, preference.upper() if claimed and preference else None),
    ]
    if mode == "postal":
        parts = _postal(tables, parts, country, on, quantity, postal_method)
    priced = tuple(
        c
        if c.amount
        else Component(
            c.measure,
            c.program,
            c.rate,
            cents(amount_value * c.rate),
            c.citation,
            c.status,
            c.refundable,
            c.note,
            amount_value * c.rate,
        )
        for c in parts
    )
    duty = Quote(code, country, on, amount_value, mode, quantity, kind, priced).amount
    fees = entry_fees(tables, on, amount_value, mode, kind, duty) if with_fees else ()
    return Quote(code, country, on, amount_value, mode, quantity, kind, priced, fees)
