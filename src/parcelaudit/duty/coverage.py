"""What the duty tables cover: per program and measure, the countries, HTS scope, date range and status."""

from __future__ import annotations

from datetime import date

from parcelaudit.duty.tables import OPEN_END, DutyTables, load_tables

COLUMNS = (
    "kind",
    "program",
    "id",
    "countries",
    "hts",
    "rate",
    "from",
    "to",
    "status",
    "coverage",
    "citation",
)


def _countries(found: frozenset[str], excluded: frozenset[str] = frozenset()) -> str:
    text = " ".join(sorted(found)) if found else "all"
    return text + (f" except {' '.join(sorted(excluded))}" if excluded else "")


def _row(
    kind, program, ident, countries, hts, rate, start: date, end: date, status, coverage, citation
) -> dict:
    to = "" if end == OPEN_END else end.isoformat()
    values = (kind, program, ident, countries, hts, rate, start.isoformat(), to, status, coverage, citation)
    return dict(zip(COLUMNS, values, strict=True))


def coverage_rows(tables: DutyTables | None = None) -> list[dict[str, str]]:
    """One row per measure, exemption entry, postal method and fee period, in table order."""
    tables = tables or load_tables()
    rows = []
    for m in tables.measures:
        program = tables.programs[m.program]
        lists = "complete" if program.hts_complete else "partial: lines not listed get 'not covered'"
        status = m.status + (", refundable" if program.refundable_from else "")
        scope = " ".join(m.hts_scope) or "all lines"
        rows.append(
            _row(
                "measure",
                m.program,
                m.measure_id,
                _countries(m.countries, m.except_countries),
                scope,
                f"{m.rate * 100:g}%",
                m.start,
                m.end,
                status,
                lists,
                m.citation,
            )
        )
    for e in tables.exemptions:
        rows.append(
            _row(
                "exemption",
                e.list_id,
                e.hts_prefix,
                "all",
                e.hts_prefix,
                "0%",
                e.start,
                e.end,
                e.status,
                e.note,
                e.citation,
            )
        )
    for p in tables.postal:
        rate = f"{p.rate * 100:g}%" if p.rate is not None else (f"${p.per_item}/item" if p.per_item else "")
        rows.append(
            _row(
                "postal",
                "POSTAL",
                p.method_id,
                _countries(p.countries),
                "all lines",
                rate,
                p.start,
                p.end,
                p.status,
                p.kind,
                p.citation,
            )
        )
    for f in tables.fees:
        rows.append(
            _row("fee", "FEES", f.fee, "all", "", str(f.amount), f.start, f.end, f.status, f.note, f.citation)
        )
    return rows


def coverage_summary(tables: DutyTables | None = None) -> list[dict[str, str]]:
    """Per program: countries, first and last date covered, rows verified / total, and what is missing."""
    tables = tables or load_tables()
    summary = []
    for name, program in tables.programs.items():
        measures = [m for m in tables.measures if m.program == name]
        countries = sorted({c for m in measures for c in m.countries})
        if not measures or any(not m.countries for m in measures):
            countries = ["all", *(["+", *countries] if countries else [])]
        start = min((m.start for m in measures), default=program.placeholder_start)
        end = max((m.end for m in measures), default=OPEN_END)
        summary.append(
            {
                "program": name,
                "authority": program.authority,
                "countries": " ".join(countries),
                "from": start.isoformat() if start else "",
                "to": "open" if end == OPEN_END else end.isoformat(),
                "verified": f"{sum(m.status == 'verified' for m in measures)}/{len(measures)}",
                "gaps": program.note,
            }
        )
    return summary


def measures_in_force(on: date, origins: list[str], codes: list[str]) -> list[dict]:
    """Measures in force on a date for any of the origins and HTS codes (for explanations), the rows of
    measures.csv and the list-file measures whose lists hold the codes' 8-digit lines."""
    tables = load_tables()
    found = [
        m
        for m in tables.measures
        if any(m.covers(code, origin, on) >= 0 for code in codes for origin in origins)
    ]
    for item in tables.list_measures:
        lines = tables.hts_lists[item.list_file].lines
        member = any((item.list_id, item.measure.chapter99) in lines.get(code[:8], ()) for code in codes)
        if member and any(item.measure.covers(code, origin, on) >= 0 for code in codes for origin in origins):
            found.append(item.measure)
    return [
        {
            "measure_id": m.measure_id,
            "country": " ".join(sorted(m.countries)) or "*",
            "hts_prefix": " ".join(m.hts_scope) or "list: " + ", ".join(sorted({c[:8] for c in codes})),
            "rate": float(m.rate),
            "status": m.status,
            "citation": m.citation,
        }
        for m in found
    ]
