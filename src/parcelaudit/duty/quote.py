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
from dataclasses import dataclass, field, replace
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
# Conveyance of cargo: only a vessel uses a port, so only ocean cargo pays HMF (19 CFR 24.24(a), (b))
TRANSPORTS = ("ocean", "air", "truck", "rail")
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
    # NAFTA's special indicators were CA and MX; the loaded 2025 edition carries USMCA's S instead, so a NAFTA
    # claim reads S there (the MFN component is unverified for dates without their own edition).
    "NAFTA": ("CA", "MX", "S", "S+"),
}
PREFERENCE_COUNTRIES = {"USMCA": frozenset({"CA", "MX"}), "NAFTA": frozenset({"CA", "MX"})}
# When a program can be claimed (first and last day of entry; None = open). GSP expired after 2020-12-31 and
# GSP-eligible goods pay column 1 from 2021-01-01 (CBP CSMS 45244051; no renewal found through 2026:
# unverified); USMCA replaced NAFTA on 2020-07-01 (Proclamation 10053 of 2020-06-29; FR page unverified).
PREFERENCE_WINDOWS: dict[str, tuple[date | None, date | None]] = {
    "GSP": (None, date(2020, 12, 31)),
    "NAFTA": (None, date(2020, 6, 30)),
    "USMCA": (date(2020, 7, 1), None),
}
# Beneficiaries removed from a program, from the day they lose it: India from 2019-06-05 (proclamation of
# 2019-05-31 terminating its GSP designation) and Turkey from 2019-05-17 (Proclamation 9887, 84 FR, 2019-05-21).
PREFERENCE_REMOVED: dict[tuple[str, str], date] = {
    ("GSP", "IN"): date(2019, 6, 5),
    ("GSP", "TR"): date(2019, 5, 17),
}
# Countries whose goods pay the column 2 rates instead of column 1 (general or special), from when: Cuba and
# North Korea (HTSUS general note 3(b)); Russia and Belarus from 2022-04-09 (Suspending Normal Trade Relations
# with Russia and Belarus Act, Pub. L. 117-110; CBP CSMS 51575437).
COLUMN2_FROM: dict[str, date] = {
    "CU": date.min,
    "KP": date.min,
    "RU": date(2022, 4, 9),
    "BY": date(2022, 4, 9),
}
COLUMN2_CITATION = {
    "CU": "HTSUS general note 3(b)",
    "KP": "HTSUS general note 3(b)",
    "RU": "Pub. L. 117-110 (column 2 from 2022-04-09; CBP CSMS 51575437)",
    "BY": "Pub. L. 117-110 (column 2 from 2022-04-09; CBP CSMS 51575437)",
}
# The postal duty methods (EO 14256, EO 14324, the order of 2026-02-20) apply to postal shipments that would
# otherwise qualify for de minimis (19 U.S.C. 1321(a)(2)(C): $800); dearer mail is entered like other goods.
POSTAL_METHOD_MAX = Decimal("800")
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


def check_transport(transport: str) -> bool:
    """Whether cargo of this conveyance arrives by vessel (pays HMF); an unknown conveyance is an error."""
    if transport not in TRANSPORTS:
        raise ParcelAuditError(
            f"unknown transport {transport!r}", field="transport", hint=" or ".join(TRANSPORTS)
        )
    return transport == "ocean"


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
    if origin in COLUMN2_FROM and on >= COLUMN2_FROM[origin]:
        column2 = _parse_rate(line.column2_text) if line.column2_text else None
        if column2 is None:
            status = "unverified"
            notes.append(
                f"column 2 applies to {origin} ({line.column2_text or 'no column 2 rate loaded'}); not counted"
            )
        else:
            rate = column2
            citation = f"{edition}, {code[:8]} column 2 ({line.column2_text}); {COLUMN2_CITATION[origin]}"
        if preference:
            notes.append(f"{preference} claim not available: {origin} goods pay column 2")
        return Component("MFN", "MFN", rate, Decimal("0.00"), citation, status, note="; ".join(notes)), False
    if preference:
        program = preference.upper()
        indicators = PREFERENCES.get(program, (preference,))
        allowed = PREFERENCE_COUNTRIES.get(program)
        special = special_rates(line.special_text)
        found = next((special[i] for i in indicators if i in special), None)
        first, last = PREFERENCE_WINDOWS.get(program, (None, None))
        removed = PREFERENCE_REMOVED.get((program, origin))
        if allowed is not None and origin not in allowed:
            notes.append(f"{preference} claim not available for origin {origin}")
        elif (first is not None and on < first) or (last is not None and on > last):
            span = f"{first or 'its start'} to {last or 'now'}"
            notes.append(f"{preference} claim not available on {on}: the program applies {span}")
        elif removed is not None and on >= removed:
            notes.append(
                f"{preference} claim not available: {origin} removed from the program from {removed}"
            )
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
    """Per program, the measure that applies: the longest matching HTS prefix of measures.csv, or the
    list-file measure in force for the code's 8-digit line (a curated row of equal length wins a tie)."""
    best: dict[str, tuple[int, Measure]] = {}
    for measure in _measures_for(origin):
        strength = measure.covers(code, origin, on)
        if strength >= 0 and strength > best.get(measure.program, (-1, measure))[0]:
            best[measure.program] = (strength, measure)
    for program, measure in _list_matches(tables, code, origin, on).items():
        if len(code[:8]) > best.get(program, (-1, measure))[0]:
            best[program] = (len(code[:8]), measure)
    return {program: found for program, (_, found) in best.items()}


def _list_matches(tables: DutyTables, code: str, origin: str, on: date) -> dict[str, Measure]:
    """Per program, the list-file measure in force for the code's 8-digit line. A line the file puts on
    several lists (split at the 10-digit level) takes its earliest list and is unverified."""
    found: dict[str, list] = {}
    for item in tables.list_measures:
        pairs = tables.hts_lists[item.list_file].pairs(code)
        measure = item.measure
        if (item.list_id, measure.chapter99) in pairs and measure.covers(code, origin, on) >= 0:
            found.setdefault(measure.program, []).append((measure, pairs))
    chosen: dict[str, Measure] = {}
    for program, hits in found.items():
        # a list with a duty wins over a 0% one (List 4B, suspended); then the earliest list
        measure, pairs = min(hits, key=lambda hit: (hit[0].rate == 0 and hit[0].topup is None, hit[0].start))
        if len(pairs) > 1:
            headings = ", ".join(heading for _, heading in pairs)
            note = f"8-digit line on several lists ({headings}), split at the 10-digit level: not modelled"
            measure = replace(
                measure, status="unverified", note="; ".join(n for n in (measure.note, note) if n)
            )
        chosen[program] = measure
    return chosen


def _list_gap(tables: DutyTables, program: str, code: str, origin: str, on: date) -> Component | None:
    """For a program with a full list file in force: a verified 'not listed' component when the code's line
    exists in the list's edition and is on none of its lists, else an unverified 'not covered' one saying
    why; None where no list file covers this program, origin and date."""
    for hts_list in tables.hts_lists.values():
        if hts_list.program != program or not (hts_list.complete_from <= on <= hts_list.complete_to):
            continue
        if not hts_list.complete:
            continue
        if hts_list.countries and origin not in hts_list.countries:
            continue
        pairs = hts_list.pairs(code)
        edition = load_editions().get(hts_list.edition)
        measure = f"{program}-NOT-COVERED"
        if pairs:
            headings = ", ".join(heading for _, heading in pairs)
            status, note = (
                "unverified",
                f"line is on {headings} only from a later date; its list before is not recorded",
            )
        elif len(code) < 8:
            status, note = "unverified", "a 6-digit code cannot be matched to 8-digit list lines"
        elif edition is not None and edition.complete and edition.lookup(code) is not None:
            line = edition.lookup(code)
            measure, status = f"{program}-NOT-LISTED", "verified"
            note = f"HTS {code[:8]} is on none of the lists (full list of the {hts_list.edition} edition)"
            if line.begin is not None and line.begin > hts_list.complete_from:
                status = "unverified"
                note += (
                    f"; the line's text dates from {line.begin}, after the lists were drawn, so a list may reach it "
                    "under an earlier code"
                )
        else:
            status = "unverified"
            note = f"HTS {code[:8]} is not a line of the {hts_list.edition} edition the lists are keyed to"
            if edition is None or not edition.complete:
                note = (
                    f"the full {hts_list.edition} schedule is not loaded, so HTS {code[:8]} cannot be placed"
                )
        return Component(measure, program, Decimal(0), Decimal("0.00"), hts_list.citation, status, note=note)
    return None


def _exemption(tables: DutyTables, lists: tuple[str, ...], code: str, on: date):
    found = [
        e
        for e in tables.exemptions
        if e.list_id in lists and code.startswith(e.hts_prefix) and e.start <= on <= e.end
    ]
    return max(found, key=lambda e: len(e.hts_prefix)) if found else None


def _column1(code: str, on: date) -> tuple[Decimal | None, bool]:
    """The column 1 general ad valorem rate of the code's line on a date, and whether it is verified."""
    schedule, own = schedule_on(on)
    line = schedule.lookup(code) if len(code) >= 8 else None
    if line is None:
        return None, False
    in_force = own or (line.begin is not None and line.begin <= on)
    return Decimal(repr(line.mfn_ad_valorem)), bool(line.verified and in_force)


def _content_share(
    measure: Measure, value: Decimal, metal_value: Decimal | None
) -> tuple[Decimal, str, bool]:
    """For a measure charged on metal content: the share of the line value it applies to, a note, and whether
    the share is known (without a metal value the full value is assumed, an upper bound)."""
    if measure.basis != "content":
        return Decimal(1), "", True
    if metal_value is None:
        return (
            Decimal(1),
            "charged on the value of the metal content, which is not given: full value assumed",
            False,
        )
    share = min(Decimal(1), metal_value / value) if value else Decimal(0)
    return share, f"charged on the metal content (${metal_value} of ${value})", True


def _remainder(
    stacking: str, excluding: list[Measure], value: Decimal, metal_value: Decimal | None
) -> Decimal:
    """The share of the value a program still reaches when measures it does not stack on apply: none, unless
    the program is charged on the remainder (Section 122 para. (4)) and those measures reach only a known
    metal content."""
    if stacking != "remainder":
        return Decimal(0)
    shares = [_content_share(m, value, metal_value) for m in excluding]
    if not all(m.basis == "content" and known for m, (_, _, known) in zip(excluding, shares, strict=True)):
        return Decimal(0)
    return max(Decimal(0), Decimal(1) - max(share for share, _, _ in shares))


def _additional(
    tables: DutyTables,
    code: str,
    origin: str,
    on: date,
    claimed: str | None,
    value: Decimal = Decimal(1),
    metal_value: Decimal | None = None,
    applied: Component | None = None,
) -> list[Component]:
    """The additional components of a line. applied: the MFN component when a preference claim stands; a
    top-up then counts the special rate the entry pays as its column 1 rate (CBP CSMS 67045953: 'column 1
    general or special')."""
    matched = _matches(tables, code, origin, on)
    charged = {p for p, m in matched.items() if m.rate > 0 or m.topup is not None}
    parts: list[Component] = []
    for name, program in tables.programs.items():
        measure = matched.get(name)
        if measure is None:
            gap = _list_gap(tables, name, code, origin, on)
            if gap is not None:
                parts.append(gap)
                continue
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
        if measure.topup is not None:
            column1, known = (
                (applied.rate, applied.status == "verified") if applied is not None else _column1(code, on)
            )
            rate = max(Decimal(0), measure.topup - (column1 or Decimal(0)))
            notes.append(
                f"top-up to {measure.topup * 100:g}% over the column 1 rate ({(column1 or 0) * 100:g}%)"
            )
            if not known:
                status = "unverified"
                notes.append("the column 1 rate behind the top-up is not verified")
        share, share_note, share_known = _content_share(measure, value, metal_value)
        if share_note:
            rate = rate * share
            notes.append(share_note)
            if not share_known:
                status = "unverified"
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
            remainder = _remainder(program.stacking, [matched[p] for p in stacked_on], value, metal_value)
            rate = rate * remainder
            notes = [f"not stacked on {', '.join(stacked_on)} (goods subject to Section 232)"]
            if remainder:
                notes = [
                    f"charged on the {remainder:.0%} of the value that {', '.join(stacked_on)} does not reach"
                ]
                if not program.exemptions_complete and program.exemption_lists:
                    status = "unverified"
                    notes.append("exemption lists only partly loaded")
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


def _waived(parts: list[Component], row, refundable: bool | None = None) -> list[Component]:
    """The components a postal method replaces, at 0% with the method's status and a note saying why."""
    return [
        Component(
            c.measure,
            c.program,
            Decimal(0),
            c.amount,
            c.citation,
            row.status,
            c.refundable if refundable is None else refundable,
            f"not assessed on postal items: {row.citation}",
        )
        for c in parts
    ]


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
    if "sole_ad_valorem" in kinds:
        row = next(r for r in rows if r.kind == "sole_ad_valorem")
        return [
            *_waived(parts, row, refundable=False),
            Component(
                row.method_id,
                "POSTAL",
                row.rate or Decimal(0),
                Decimal("0.00"),
                row.citation,
                row.status,
                note=row.note,
            ),
        ]
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
        base = _waived(base, row)
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
    periods += [(item.measure.start, item.measure.end) for item in tables.list_measures]
    periods += [(hts_list.complete_from, hts_list.complete_to) for hts_list in tables.hts_lists.values()]
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
    for start, end in de_minimis_periods():
        found.add(start)
        if end < date.max:
            found.add(end + timedelta(days=1))
    found.update(date(year, 1, 1) for year in range(1990, 2101))
    return tuple(sorted(found))


def de_minimis_periods() -> list[tuple[date, date]]:
    """(from, to) of every de minimis threshold and suspension row of the policy (a quote's de minimis
    release may change on these dates)."""
    from parcelaudit.rules.policy import load_policy

    periods = []
    for name in ("de_minimis_thresholds", "de_minimis_suspensions"):
        for row in load_policy().table(name).select(["effective_from", "effective_to"]).to_pylist():
            periods.append((row["effective_from"] or date.min, row["effective_to"] or date.max))
    return periods


def de_minimis_thresholds() -> tuple[Decimal, ...]:
    """Every general de minimis threshold of the policy (USD), the values a quote compares a shipment with."""
    from parcelaudit.rules.policy import load_policy

    table = load_policy().table("de_minimis_thresholds").to_pylist()
    return tuple(sorted({as_decimal(r["threshold_usd"]) for r in table if r["kind"] == "general"}))


@lru_cache(maxsize=8192)
def _de_minimis_policy(
    on: date,
) -> tuple[dict | None, tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]]:
    """The general de minimis threshold row in force on a date, the suspensions in force on it as (measure,
    country or '*'), and the goods those suspensions do not reach as (measure, HTS prefix, citation): the
    50 U.S.C. 1702(b) informational materials of `suspension_exemptions.csv` (the policy is read once)."""
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
    suspensions = tuple(
        (r["measure_id"], r["country"]) for r in policy.in_force("de_minimis_suspensions", on)
    )
    exemptions = tuple(
        (r["measure_id"], r["hts_prefix"], r["citation"])
        for r in policy.in_force("suspension_exemptions", on)
        if r["basis"] == "hts"
    )
    return threshold, suspensions, exemptions


def _de_minimis(
    code: str, origin: str, on: date, value: Decimal, mode: str, entry_type: str
) -> Component | None:
    """A duty-free de minimis release, when the entry claims it (or is mail) and the policy allows it: no
    suspension in force reaches the origin, or the line's goods are outside it (informational materials,
    50 U.S.C. 1702(b), as the checks' DM-ELIG judges them)."""
    if entry_type not in DE_MINIMIS_ENTRY_TYPES and not (mode == "postal" and entry_type == "postal"):
        return None
    threshold, suspensions, exemptions = _de_minimis_policy(on)
    if threshold is None or value > as_decimal(threshold["threshold_usd"]):
        return None
    reaching = {measure for measure, country in suspensions if country in ("*", origin)}
    kept = [(m, cite) for m, prefix, cite in exemptions if m in reaching and code.startswith(prefix)]
    if reaching - {m for m, _ in kept}:
        return None
    citation = threshold["citation"] + ("; 19 CFR 145.31 (mail)" if mode == "postal" else "")
    note = f"free entry up to ${threshold['threshold_usd']:.0f}"
    if kept:
        citation += f"; {kept[0][1]}"
        note += "; goods outside the de minimis suspension (50 U.S.C. 1702(b))"
    return Component("DE-MINIMIS", "DE-MINIMIS", Decimal(0), Decimal("0.00"), citation, "verified", note=note)


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
    metal_value: float | int | str | Decimal | None = None,
    shipment_value: float | int | str | Decimal | None = None,
    transport: str = "ocean",
) -> Quote:
    """Duty and fees owed on one line of `value` USD, of HTS `hts` and origin `origin`, entered on `on`.

    `metal_value`: USD value of the steel or aluminum content, for Section 232 derivatives charged on it
    (from 2025-06-04); without it the full value is assumed and the component is unverified.
    `shipment_value`: USD value of the whole shipment the line travels in (default: the line's value, a
    one-line shipment). The limits that belong to a shipment are judged on it: the de minimis threshold,
    the $800 limit of the postal duty methods and the $2,500 informal-entry limit; duty is on `value`.
    `transport`: the conveyance of cargo (ocean, air, truck, rail); only ocean cargo pays the harbor
    maintenance fee (19 CFR 24.24), the other modes ignore it."""
    on = _as_date(on)
    vessel = check_transport(transport)
    code, country = _check_inputs(hts, origin, mode, value, quantity, postal_method)
    for name, given in (("metal_value", metal_value), ("shipment_value", shipment_value)):
        if given is not None and as_decimal(given) < 0:
            raise ParcelAuditError(f"{name} {given} is negative", field=name, hint="give the USD value")
    amount_value = as_decimal(value)
    parcel_value = amount_value if shipment_value is None else as_decimal(shipment_value)
    kind = entry_type or ("01" if parcel_value > FORMAL_OVER else ("postal" if mode == "postal" else "11"))
    tables = load_tables()
    free = _de_minimis(code, country, on, parcel_value, mode, kind)
    if free is not None:
        return Quote(code, country, on, amount_value, mode, quantity, kind, (free,), ())
    if kind in DE_MINIMIS_ENTRY_TYPES:
        kind = "01" if parcel_value > FORMAL_OVER else "11"  # the claim fails: the entry pays duty
    mfn, claimed = _mfn(code, country, on, preference)
    parts = [
        mfn,
        *_additional(
            tables,
            code,
            country,
            on,
            preference.upper() if claimed and preference else None,
            amount_value,
            None if metal_value is None else as_decimal(metal_value),
            mfn if claimed else None,
        ),
    ]
    if mode == "postal" and parcel_value <= POSTAL_METHOD_MAX:
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
    fees = entry_fees(tables, on, amount_value, mode, kind, duty, vessel) if with_fees else ()
    return Quote(code, country, on, amount_value, mode, quantity, kind, priced, fees)
