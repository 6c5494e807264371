"""Loaders for the forced-labor lists: UFLPA Entity List (our CSV; the DHS page's tables) and CBP WROs/Findings."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from parcelaudit.errors import ReferenceDataError
from parcelaudit.hashing import file_sha256
from parcelaudit.paths import BUNDLED_DATA
from parcelaudit.reference.list_common import (
    country_codes,
    date_from_name,
    latest_date,
    parse_date,
    read_rows,
    read_text,
)
from parcelaudit.screening.model import Entry, RestrictedList

BUNDLED_LISTS = BUNDLED_DATA / "lists"
SECTION = re.compile(r"2\s*\(d\)\s*\(2\)\s*\(B\)\s*\((i{1,3}|iv|v)\)", re.IGNORECASE)

_ALIAS_NOTE = re.compile(r"\s*\((?:former name|formerly known as|fka|aka|also known as)\)\s*$", re.IGNORECASE)


def _split_aliases(value: str) -> tuple[str, ...]:
    names = [_ALIAS_NOTE.sub("", a).strip() for a in value.split(";")]
    return tuple(n for n in names if n)


def _snapshot(
    code: str,
    title: str,
    entries: list[Entry],
    path: Path,
    source: str,
    bundled_source: str,
    bundled_note: str,
) -> RestrictedList:
    # The bundled copies are our partial compilation: say so in the source and the note.
    bundled = path.resolve().parent == BUNDLED_LISTS.resolve()
    latest = latest_date([e.listed_on or "" for e in entries])
    return RestrictedList(
        code,
        title,
        entries,
        source=bundled_source if bundled else source,
        snapshot_date=latest,
        loaded_from=str(path),
        partial=bundled,
        note=bundled_note if bundled else None,
        date_basis="latest listing date" if latest else None,
        files=((str(path), file_sha256(path)),),
    )


def load_uflpa(path: Path) -> RestrictedList:
    """Load our UFLPA Entity List CSV (name, aliases, section, effective_date, location, industry, source_url)."""
    entries = []
    for number, row in enumerate(read_rows(read_text(path), path=path), start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise ReferenceDataError(
                "empty entity name",
                file=str(path),
                row=number,
                field="name",
                hint="fill in the name or delete the row",
            )
        country = "CN" if "hong kong" not in (row.get("location") or "").lower() else "HK"
        entries.append(
            Entry(
                "UFLPA",
                f"UFLPA-{number - 1:04d}",
                name,
                _split_aliases(row.get("aliases") or ""),
                tuple(a for a in [(row.get("location") or "").strip()] if a),
                (country,),
                (row.get("section") or "").strip() or None,
                (row.get("effective_date") or "")[:10] or None,
                "entity",
                (row.get("industry") or "").strip() or None,
            )
        )
    return _snapshot(
        "UFLPA",
        "UFLPA Entity List",
        entries,
        path,
        "UFLPA Entity List CSV",
        "compiled from DHS releases and secondary sources (bundled snapshot)",
        f"partial: {len(entries)} of the 144 entities announced by 2025-01-15; run `parcelaudit lists update` "
        "for the official list",
    )


class _TableParser(HTMLParser):
    """Collect the rows of every HTML table with the heading text that precedes each table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._heading = ""
        self._text: list[str] = []
        self._in_heading = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "strong", "caption"):
            self._in_heading, self._text = True, []
        elif tag == "table":
            self.tables.append((self._heading, []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("; ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "strong", "caption") and self._in_heading:
            heading = " ".join("".join(self._text).split())
            if SECTION.search(heading) or not self.tables or tag != "strong":
                self._heading = heading or self._heading
            self._in_heading = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            if any(self._row):
                self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_heading:
            self._text.append(data)


_AKA = re.compile(
    r"\s*[\(;,]?\s*(?:also known as|formerly known as|a\.k\.a\.|f\.k\.a\.|aka|fka)\s*:?\s*", re.IGNORECASE
)


_AND = re.compile(r"^and\s+", re.IGNORECASE)
# DHS pages print "Last Updated: 01/14/2025" (or "Last Reviewed") under the content: the page's own date.
_LAST_UPDATED = re.compile(
    r"Last\s+(?:Updated|Reviewed)\s*:?\s*(\d{1,2}/\d{1,2}/\d{4}|[A-Z][a-z]+ \d{1,2}, \d{4})"
)


def _dhs_names(cell: str) -> list[str]:
    # "X (also known as A; B; and C)": the last alias of a list is written "and C".
    parts = [p.strip(" );,") for p in _AKA.split(cell)]
    parts = [p for part in parts for p in part.split("; ") if p.strip(" );,")]
    return [_AND.sub("", p.strip(" );,")) for p in parts]


def _dhs_name_cell(cell: str) -> tuple[str, tuple[str, ...]]:
    parts = _dhs_names(cell)
    return (parts[0], tuple(parts[1:])) if parts else ("", ())


def load_uflpa_dhs(path: Path) -> RestrictedList:
    """Load the UFLPA Entity List in the official DHS page layout (HTML tables per section, or that table as CSV)."""
    text = read_text(path)
    if "<table" in text.lower():
        parser = _TableParser()
        parser.feed(text)
        tables = parser.tables
    else:
        tables = [("", read_rows(text, header=False, path=path))]
    entries = []
    for heading, rows in tables:
        if not rows:
            continue
        header = [h.lower() for h in rows[0]]
        name_col = next((i for i, h in enumerate(header) if "entity" in h or "name" in h), None)
        if name_col is None:
            continue
        date_col = next((i for i, h in enumerate(header) if "date" in h), None)
        alias_cols = [
            i
            for i, h in enumerate(header)
            if i != name_col and ("alias" in h or "also known" in h or h in ("aka", "former names"))
        ]
        section_col = next((i for i, h in enumerate(header) if "section" in h or "list" in h), None)
        section = SECTION.search(heading)
        for row in rows[1:]:
            if name_col >= len(row) or not row[name_col].strip():
                continue
            name, aliases = _dhs_name_cell(row[name_col])
            for col in alias_cols:
                if col < len(row):
                    aliases += tuple(_dhs_names(row[col].replace(";", "; ")))
            sec = row[section_col] if section_col is not None and section_col < len(row) else None
            sec = sec or (f"2(d)(2)(B)({section.group(1).lower()})" if section else None)
            date = parse_date(row[date_col]) if date_col is not None and date_col < len(row) else None
            entries.append(
                Entry(
                    "UFLPA", f"UFLPA-{len(entries) + 1:04d}", name, aliases, (), ("CN",), sec, date, "entity"
                )
            )
    if not entries:
        raise ReferenceDataError(
            "no entity table found",
            file=str(path),
            hint="save the DHS UFLPA Entity List page (HTML) or its table as CSV",
        )
    updated = _LAST_UPDATED.search(text)
    page_date = parse_date(updated.group(1)) if updated else None
    named = date_from_name(path)
    latest = latest_date([e.listed_on or "" for e in entries])
    date, basis = next(
        (
            (d, b)
            for d, b in (
                (page_date, "the page's Last Updated date"),
                (named, "date in the file name"),
                (latest, "latest listing date"),
            )
            if d
        ),
        (None, None),
    )
    return RestrictedList(
        "UFLPA",
        "UFLPA Entity List",
        entries,
        source="DHS UFLPA Entity List page",
        snapshot_date=date,
        loaded_from=str(path),
        date_basis=basis,
    )


_MERCHANDISE = re.compile(r"^(all|any)\b|\b(produced|harvested|made)\b.*\b(in|with)\b", re.IGNORECASE)


def load_wro(path: Path) -> RestrictedList:
    """Load CBP Withhold Release Orders and Findings (ours, or CBP's CSV with entity/merchandise columns)."""
    entries = []
    for number, row in enumerate(read_rows(read_text(path), path=path), start=2):
        low = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        name = low.get("entity_or_merchandise") or low.get("entity") or low.get("merchandise") or ""
        if not name:
            continue
        date = low.get("date") or low.get("date issued") or ""
        kind = "merchandise" if _MERCHANDISE.search(name) else "entity"
        entries.append(
            Entry(
                "WRO",
                f"WRO-{number - 1:04d}",
                name,
                (),
                (),
                country_codes(low.get("country")),
                low.get("type") or "WRO",
                parse_date(date) or date[:10] or None,
                kind,
                "; ".join(p for p in (low.get("industry"), low.get("status")) if p) or None,
            )
        )
    return _snapshot(
        "WRO",
        "CBP Withhold Release Orders and Findings",
        entries,
        path,
        "CBP WRO/Findings CSV",
        "compiled from CBP releases and secondary sources (bundled snapshot)",
        f"partial: {len(entries)} of the WROs/Findings CBP enforces; run `parcelaudit lists update` for CBP's file",
    )


def load_bundled_lists() -> list[RestrictedList]:
    """The offline snapshot shipped with the package: UFLPA Entity List and CBP WROs/Findings (partial)."""
    return [
        load_uflpa(BUNDLED_LISTS / "uflpa_entity_list.csv"),
        load_wro(BUNDLED_LISTS / "cbp_wro_findings.csv"),
    ]
