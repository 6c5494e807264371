"""The duty tables (measures, programs, country groups, exemption lists, postal methods, fees) read from the
CSV files in duty/data, checked for their invariants. Rates and amounts stay Decimal (exact); dates are ISO.

Every row names its primary source in `citation` and its `status` (verified / unverified). An open
`effective_to` means "no end known".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from parcelaudit.errors import ReferenceDataError

DATA_DIR = Path(__file__).resolve().parent / "data"
OPEN_END = date(9999, 12, 31)
STATUSES = ("verified", "unverified")
# How postal items are charged: ad valorem on top of non-IEEPA duties, only the IEEPA duties ad valorem,
# a specific duty per item, like any entry, or one ad valorem duty in place of every other.
BASES = ("value", "content")  # full value, or the value of the steel/aluminum content
POSTAL_KINDS = ("ad_valorem", "ad_valorem_ieepa", "specific", "standard", "sole_ad_valorem")


@dataclass(frozen=True)
class Measure:
    """One additional duty: a program's rate for some countries and HTS prefixes over a period."""

    measure_id: str
    program: str
    countries: frozenset[str]  # empty = every country
    except_countries: frozenset[str]
    hts_scope: tuple[str, ...]  # empty = every line
    rate: Decimal
    start: date
    end: date
    status: str
    preference_exempt: str
    chapter99: str
    citation: str
    note: str
    topup: Decimal | None = None  # "topup:0.15": the rate is 15% minus the column 1 rate, never below 0
    basis: str = (
        "value"  # "content": the rate applies to the value of the metal content (Section 232 derivatives)
    )

    def covers(self, hts: str, origin: str, on: date) -> int:
        """Match strength: -1 when the row does not apply, else the length of the matching HTS prefix."""
        if not (self.start <= on <= self.end) or origin in self.except_countries:
            return -1
        if self.countries and origin not in self.countries:
            return -1
        if not self.hts_scope:
            return 0
        return max((len(p) for p in self.hts_scope if hts.startswith(p)), default=-1)


@dataclass(frozen=True)
class Program:
    """A family of measures with its stacking rule, exemption lists and refund status."""

    program: str
    authority: str
    excluded_by: tuple[str, ...]
    exemption_lists: tuple[str, ...]
    exemptions_complete: bool
    hts_complete: bool
    placeholder_start: date | None
    placeholder_end: date
    placeholder_countries: frozenset[str]  # empty = every country
    placeholder_hts: tuple[str, ...]  # empty = every line
    refundable_from: date | None
    citation: str
    note: str
    stacking: str = "exclude"  # "remainder": charged on the part of the value the excluding measures leave


@dataclass(frozen=True)
class Exemption:
    """One HTS prefix on an exemption list, in force over a period."""

    list_id: str
    hts_prefix: str
    start: date
    end: date
    status: str
    citation: str
    note: str


@dataclass(frozen=True)
class PostalMethod:
    """How postal items were charged over a period: ad valorem, IEEPA-only ad valorem, specific per item."""

    method_id: str
    countries: frozenset[str]
    start: date
    end: date
    kind: str
    rate: Decimal | None
    per_item: Decimal | None
    band_from: Decimal | None
    band_to: Decimal | None
    status: str
    citation: str
    note: str


@dataclass(frozen=True)
class Fee:
    """One fee amount (or rate) in force over a period (a fiscal year)."""

    fee: str
    start: date
    end: date
    amount: Decimal
    status: str
    citation: str
    note: str


@dataclass(frozen=True)
class HtsList:
    """A full list of 8-digit HTS lines (one file), keyed to one annual edition of the schedule.

    `lines` maps an HTS prefix (8 or 10 digits) to its (list, chapter 99 heading) pairs. When `complete`,
    a line absent from `lines` but present in that edition is verifiably on none of the file's lists from
    `complete_from` to `complete_to`; an incomplete file only adds the lines it holds.
    """

    list_file: str
    program: str
    edition: int
    complete_from: date
    complete_to: date
    countries: frozenset[str]
    lines: dict[str, tuple[tuple[str, str], ...]]
    citation: str
    note: str
    complete: bool = True

    def pairs(self, code: str) -> tuple[tuple[str, str], ...]:
        """The (list, heading) pairs of the longest prefix of `code` the file holds (10 digits, then 8)."""
        return self.lines.get(code[:10], ()) or self.lines.get(code[:8], ())


@dataclass(frozen=True)
class ListMeasure:
    """A rate period of one list of a list file: applies to every line the file puts on that list."""

    list_file: str
    list_id: str
    measure: Measure  # hts_scope is empty: membership comes from the list file


@dataclass(frozen=True)
class DutyTables:
    """All duty tables, loaded once."""

    measures: tuple[Measure, ...]
    programs: dict[str, Program]
    groups: dict[str, tuple[frozenset[str], str]]
    exemptions: tuple[Exemption, ...]
    postal: tuple[PostalMethod, ...]
    fees: tuple[Fee, ...]
    hts_lists: dict[str, HtsList] = field(default_factory=dict)
    list_measures: tuple[ListMeasure, ...] = ()


def _rows(name: str) -> list[tuple[int, dict[str, str]]]:
    path = DATA_DIR / name
    if not path.exists():
        raise ReferenceDataError("duty table is missing", file=str(path), hint="restore the bundled file")
    with path.open(encoding="utf-8", newline="") as handle:
        return [(number, row) for number, row in enumerate(csv.DictReader(handle), start=2)]


class _Cell:
    """Typed access to one CSV row that names the file, row and field of any bad value."""

    def __init__(self, name: str, number: int, row: dict[str, str]) -> None:
        self.name, self.number, self.row = name, number, row

    def fail(self, field: str, message: str, hint: str) -> ReferenceDataError:
        return ReferenceDataError(
            message, file=str(DATA_DIR / self.name), row=self.number, field=field, hint=hint
        )

    def text(self, field: str) -> str:
        return (self.row.get(field) or "").strip()

    def day(self, field: str, default: date | None = None) -> date:
        value = self.text(field)
        if not value:
            if default is None:
                raise self.fail(field, "date is missing", "write YYYY-MM-DD")
            return default
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise self.fail(field, f"{value!r} is not a date", "write YYYY-MM-DD") from error

    def decimal(self, field: str, required: bool = True) -> Decimal | None:
        value = self.text(field)
        if not value and not required:
            return None
        try:
            return Decimal(value)
        except InvalidOperation as error:
            raise self.fail(field, f"{value!r} is not a number", "write a decimal such as 0.25") from error

    def status(self) -> str:
        value = self.text("status")
        if value not in STATUSES:
            raise self.fail("status", f"{value!r} is not a status", " or ".join(STATUSES))
        return value

    def flag(self, field: str) -> bool:
        return self.text(field).lower() == "true"


def _countries(cell: _Cell, field: str, groups: dict[str, tuple[frozenset[str], str]]) -> frozenset[str]:
    found: set[str] = set()
    for token in cell.text(field).split():
        if token == "*":
            return frozenset()
        if token.startswith("@"):
            if token[1:] not in groups:
                raise cell.fail(field, f"unknown country group {token}", "define it in country_groups.csv")
            found |= groups[token[1:]][0]
        elif len(token) == 2 and token.isalpha() and token.isupper():
            found.add(token)
        else:
            raise cell.fail(
                field, f"{token!r} is not an ISO country code", "use two capital letters or @GROUP"
            )
    return frozenset(found)


def _stacking(cell: _Cell) -> str:
    stacking = cell.text("stacking") or "exclude"
    if stacking not in ("exclude", "remainder"):
        raise cell.fail("stacking", f"{stacking!r} is not a stacking rule", "exclude or remainder")
    return stacking


def _basis(cell: _Cell) -> str:
    basis = cell.text("basis") or "value"
    if basis not in BASES:
        raise cell.fail("basis", f"{basis!r} is not a duty basis", " or ".join(BASES))
    return basis


def _kind(cell: _Cell) -> str:
    if cell.text("kind") not in POSTAL_KINDS:
        raise cell.fail("kind", f"{cell.text('kind')!r} is not a postal method", " or ".join(POSTAL_KINDS))
    return cell.text("kind")


def _period(cell: _Cell) -> tuple[date, date]:
    start, end = cell.day("effective_from"), cell.day("effective_to", OPEN_END)
    if end < start:
        raise cell.fail("effective_to", "period ends before it starts", "check the dates")
    return start, end


def _dated(name: str):
    """Each row of a dated table as (cell, start, end, status, citation, note)."""
    for number, row in _rows(name):
        cell = _Cell(name, number, row)
        start, end = _period(cell)
        yield cell, start, end, cell.status(), cell.text("citation"), cell.text("note")


@lru_cache(maxsize=1)
def load_tables() -> DutyTables:
    """Read and check every duty table (cached)."""
    groups: dict[str, tuple[frozenset[str], str]] = {}
    for number, row in _rows("country_groups.csv"):
        cell = _Cell("country_groups.csv", number, row)
        groups[cell.text("group_id")] = (_countries(cell, "countries", {}), cell.text("citation"))
    programs: dict[str, Program] = {}
    for number, row in _rows("programs.csv"):
        cell = _Cell("programs.csv", number, row)
        start = cell.text("placeholder_from")
        programs[cell.text("program")] = Program(
            program=cell.text("program"),
            authority=cell.text("authority"),
            excluded_by=tuple(cell.text("excluded_by").split()),
            exemption_lists=tuple(cell.text("exemption_lists").split()),
            exemptions_complete=cell.flag("exemptions_complete"),
            hts_complete=cell.flag("hts_complete"),
            placeholder_start=cell.day("placeholder_from") if start else None,
            placeholder_end=cell.day("placeholder_to", OPEN_END),
            placeholder_countries=_countries(cell, "placeholder_countries", groups),
            placeholder_hts=tuple(cell.text("placeholder_hts").split()),
            refundable_from=cell.day("refundable_from") if cell.text("refundable_from") else None,
            citation=cell.text("citation"),
            note=cell.text("note"),
            stacking=_stacking(cell),
        )
    measures = []
    for number, row in _rows("measures.csv"):
        cell = _Cell("measures.csv", number, row)
        scope = cell.text("hts_scope")
        measures.append(_measure(cell, groups, programs, () if scope == "*" else tuple(scope.split())))
    exemptions = [
        Exemption(cell.text("list_id"), cell.text("hts_prefix"), *rest)
        for cell, *rest in _dated("exemptions.csv")
    ]
    postal = [
        PostalMethod(
            cell.text("method_id"),
            _countries(cell, "countries", groups),
            start,
            end,
            _kind(cell),
            cell.decimal("rate", required=False),
            cell.decimal("per_item_usd", required=False),
            cell.decimal("band_from", required=False),
            cell.decimal("band_to", required=False),
            *rest,
        )
        for cell, start, end, *rest in _dated("postal.csv")
    ]
    fees = [
        Fee(cell.text("fee"), start, end, cell.decimal("amount") or Decimal(0), *rest)
        for cell, start, end, *rest in _dated("fees.csv")
    ]
    hts_lists = _hts_lists(groups, programs)
    list_measures = _list_measures(groups, programs, hts_lists)
    return DutyTables(
        tuple(measures),
        programs,
        groups,
        tuple(exemptions),
        tuple(postal),
        tuple(fees),
        hts_lists,
        list_measures,
    )


def _measure(cell: _Cell, groups, programs, scope: tuple[str, ...]) -> Measure:
    """The Measure a measures.csv or list_measures.csv row describes."""
    if cell.text("program") not in programs:
        raise cell.fail("program", f"unknown program {cell.text('program')!r}", "define it in programs.csv")
    if not cell.text("citation"):
        raise cell.fail("citation", "every measure needs its primary source", "cite FR, CFR or CSMS")
    start, end = _period(cell)
    rate_text, topup = cell.text("rate"), None
    if rate_text.startswith("topup:"):
        topup = _Cell(cell.name, cell.number, {"rate": rate_text.removeprefix("topup:")}).decimal("rate")
    return Measure(
        measure_id=cell.text("measure_id"),
        program=cell.text("program"),
        countries=_countries(cell, "countries", groups),
        except_countries=_countries(cell, "except_countries", groups),
        hts_scope=scope,
        rate=Decimal(0) if topup is not None else cell.decimal("rate") or Decimal(0),
        start=start,
        end=end,
        status=cell.status(),
        preference_exempt=cell.text("preference_exempt"),
        chapter99=cell.text("chapter99"),
        citation=cell.text("citation"),
        note=cell.text("note"),
        topup=topup,
        basis=_basis(cell),
    )


def _list_lines(name: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """An HTS list file (hts8 or hts_prefix, list, ch99_code): prefix -> its (list, heading) pairs."""
    lines: dict[str, list[tuple[str, str]]] = {}
    for number, row in _rows(name):
        cell = _Cell(name, number, row)
        column = "hts8" if "hts8" in row else "hts_prefix"
        hts8 = cell.text(column)
        if len(hts8) not in (8, 10) or not hts8.isdigit():
            raise cell.fail(
                column, f"{hts8!r} is not an 8- or 10-digit HTS code", "write 8 or 10 digits, no dots"
            )
        if not cell.text("list") or not cell.text("ch99_code"):
            raise cell.fail("list", "list and ch99_code are required", "name the list and its heading")
        lines.setdefault(hts8, []).append((cell.text("list"), cell.text("ch99_code")))
    return {code: tuple(pairs) for code, pairs in lines.items()}


def _hts_lists(groups, programs) -> dict[str, HtsList]:
    found: dict[str, HtsList] = {}
    for number, row in _rows("hts_lists.csv"):
        cell = _Cell("hts_lists.csv", number, row)
        if cell.text("program") not in programs:
            raise cell.fail(
                "program", f"unknown program {cell.text('program')!r}", "define it in programs.csv"
            )
        name = cell.text("list_file")
        found[name] = HtsList(
            list_file=name,
            program=cell.text("program"),
            edition=int(cell.decimal("edition") or 0),
            complete_from=cell.day("complete_from"),
            complete_to=cell.day("complete_to", OPEN_END),
            countries=_countries(cell, "countries", groups),
            lines=_list_lines(name),
            citation=cell.text("citation"),
            note=cell.text("note"),
            complete=cell.flag("complete"),
        )
    return found


def _list_measures(groups, programs, hts_lists: dict[str, HtsList]) -> tuple[ListMeasure, ...]:
    found = []
    for number, row in _rows("list_measures.csv"):
        cell = _Cell("list_measures.csv", number, row)
        name = cell.text("list_file")
        if name not in hts_lists:
            raise cell.fail("list_file", f"unknown list file {name!r}", "declare it in hts_lists.csv")
        pair = (cell.text("list"), cell.text("chapter99"))
        if not any(pair in pairs for pairs in hts_lists[name].lines.values()):
            raise cell.fail("list", f"no line of {name} is on list {pair[0]} ({pair[1]})", "check the names")
        found.append(ListMeasure(name, pair[0], _measure(cell, groups, programs, ())))
    return tuple(found)
