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
        if any(h.program == m.program for h in tables.hts_lists.values()):
            lists = "curated row; lines of the full list file take their list measure"
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
    for item in tables.list_measures:
        m, hts_list = item.measure, tables.hts_lists[item.list_file]
        count = sum((item.list_id, m.chapter99) in pairs for pairs in hts_list.lines.values())
        rows.append(
            _row(
                "list measure",
                m.program,
                m.measure_id,
                _countries(m.countries, m.except_countries),
                f"{count:,} lines on list {item.list_id} ({m.chapter99}) of {item.list_file}",
                f"{m.rate * 100:g}%",
                m.start,
                m.end,
                m.status + (", refundable" if tables.programs[m.program].refundable_from else ""),
                f"full list of the {hts_list.edition} edition",
                m.citation,
            )
        )
    for name, hts_list in tables.hts_lists.items():
        rows.append(
            _row(
                "list",
                hts_list.program,
                name,
                _countries(hts_list.countries),
                f"{len(hts_list.lines):,} lines of the {hts_list.edition} edition",
                "",
                hts_list.complete_from,
                hts_list.complete_to,
                "complete",
                hts_list.note,
                hts_list.citation,
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
        measures += [item.measure for item in tables.list_measures if item.measure.program == name]
        countries = sorted({c for m in measures for c in m.countries})
        if not measures or any(not m.countries for m in measures):
            countries = ["all", *(["+", *countries] if countries else [])]
        files: dict[str, set[str]] = {}
        for item in tables.list_measures:
            if item.measure.program == name:
                lines = tables.hts_lists[item.list_file].lines
                files.setdefault(item.list_file, set()).update(
                    code for code, pairs in lines.items() if any(p[0] == item.list_id for p in pairs)
                )
        if files:
            hts = "; ".join(
                f"{'full' if tables.hts_lists[f].complete else 'partial'} list: {len(codes):,} lines of the "
                f"{tables.hts_lists[f].edition} edition ({f})"
                for f, codes in files.items()
            )
        elif not measures:
            reach = " ".join(program.placeholder_hts) or "every line"
            hts = f"none loaded: 'not covered' on {reach}"
        elif all(not m.hts_scope for m in measures):
            hts = "all lines"
        else:
            hts = "complete" if program.hts_complete else "by prefix, partial"
        start = min((m.start for m in measures), default=program.placeholder_start)
        end = max((m.end for m in measures), default=OPEN_END)
        summary.append(
            {
                "program": name,
                "authority": program.authority,
                "countries": " ".join(countries),
                "hts": hts,
                "from": start.isoformat() if start else "",
                "to": "open" if end == OPEN_END else end.isoformat(),
                "verified": f"{sum(m.status == 'verified' for m in measures)}/{len(measures)}",
                "gaps": program.note,
            }
        )
    return summary


def measures_in_force(on: date, origins: list[str], codes: list[str]) -> list[dict]:
    """Measures in force on a date for any of the origins and HTS codes (for explanations), the rows of
    measures.csv and the list-file measures whose lists hold the codes."""
    tables = load_tables()
    found = [
        (m, " ".join(m.hts_scope) or "*")
        for m in tables.measures
        if any(m.covers(code, origin, on) >= 0 for code in codes for origin in origins)
    ]
    for item in tables.list_measures:
        hts_list = tables.hts_lists[item.list_file]
        held = [code for code in codes if (item.list_id, item.measure.chapter99) in hts_list.pairs(code)]
        if held and any(item.measure.covers(code, origin, on) >= 0 for code in held for origin in origins):
            found.append((item.measure, f"{item.list_file} list {item.list_id}"))
    return [
        {
            "measure_id": m.measure_id,
            "country": " ".join(sorted(m.countries)) or "*",
            "hts_prefix": hts,
            "rate": float(m.rate),
            "status": m.status,
            "citation": m.citation,
        }
        for m, hts in found
    ]


def measures_markdown(tables: DutyTables | None = None) -> list[str]:
    """The measures of measures.csv and list_measures.csv as the rows of the docs/checks.md table
    (measure, program, countries, HTS, rate, from, to, status, source)."""
    tables = tables or load_tables()
    entries = [(m, " ".join(m.hts_scope) or "all") for m in tables.measures]
    for item in tables.list_measures:
        m = item.measure
        count = sum((item.list_id, m.chapter99) in p for p in tables.hts_lists[item.list_file].lines.values())
        entries.append((m, f"{count:,} lines of {item.list_file} (list {item.list_id})"))
    rows = []
    for m, hts in entries:
        rate = f"{m.topup * 100:g}% minus column 1" if m.topup is not None else f"{m.rate * 100:g}%"
        to = "" if m.end == OPEN_END else m.end.isoformat()
        countries = _countries(m.countries, m.except_countries)
        rows.append(
            f"| {m.measure_id} | {m.program} | {countries} | {hts} | {rate} | {m.start} | {to} | {m.status} "
            f"| {m.citation} |"
        )
    return rows
