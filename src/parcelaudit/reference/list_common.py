"""Helpers shared by the list loaders: reading files, OFAC's empty marker, countries and dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from parcelaudit.errors import ReferenceDataError
from parcelaudit.reference.codes import normalise_country

EMPTY = "-0-"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}(?:-\d{2})?)")


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ReferenceDataError(
            f"cannot read list file: {error.strerror}", file=str(path), hint="check the path"
        ) from error
    text = raw.decode("utf-8-sig", errors="replace")
    return text.replace("\x1a", "")  # OFAC's legacy files end with a DOS end-of-file byte


def read_rows(text: str, header: bool = True, path: Path | None = None) -> list:
    """The CSV rows of a list file's text (dicts under its header, or lists); a broken row raises
    ReferenceDataError naming it. Lines end at CR, LF or CRLF, as in a file opened with newline=""."""
    lines = io.StringIO(text, newline="")
    reader = csv.DictReader(lines) if header else csv.reader(lines)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as error:
        raise ReferenceDataError(
            f"not a readable CSV row ({error})",
            file=str(path) if path else None,
            row=getattr(reader, "reader", reader).line_num,  # a DictReader's own count lags
            hint="save the list again as CSV with quoted fields, or give the official file unchanged",
        ) from error
    return rows


def clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value == EMPTY else value


# Spellings the lists use that ISO's English short names do not (UN and OFAC style).
_LIST_COUNTRY_NAMES = {
    "DEMOCRATIC REPUBLIC OF THE CONGO": "CD",
    "CONGO, DEMOCRATIC REPUBLIC OF THE": "CD",
    "IRAN (ISLAMIC REPUBLIC OF)": "IR",
    "DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA": "KP",
    "KOREA, NORTH": "KP",
    "NORTH KOREA": "KP",
    "REPUBLIC OF KOREA": "KR",
    "KOREA, SOUTH": "KR",
    "BURMA": "MM",
    "VENEZUELA (BOLIVARIAN REPUBLIC OF)": "VE",
    "BOLIVIA (PLURINATIONAL STATE OF)": "BO",
    "UNITED REPUBLIC OF TANZANIA": "TZ",
    "SYRIA": "SY",
    "PALESTINIAN": "PS",
    "WEST BANK": "PS",
    "GAZA": "PS",
    "REPUBLIC OF MOLDOVA": "MD",
    "CZECH REPUBLIC": "CZ",
    "IVORY COAST": "CI",
    "COTE D'IVOIRE": "CI",
    "THE GAMBIA": "GM",
    "MACAU": "MO",
    "LAOS": "LA",
    "BRUNEI": "BN",
    "CAPE VERDE": "CV",
    "SWAZILAND": "SZ",
    "TURKIYE": "TR",
    "KYRGYZSTAN": "KG",
    "CRIMEA REGION OF UKRAINE": "UA",
}


def _country(text: str) -> str | None:
    text = text.strip()
    return normalise_country(text) or _LIST_COUNTRY_NAMES.get(text.upper())


def country_codes(*values: str | None) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        parts = [value or "", *re.split(r";", value or "")]
        for part in parts:
            code = _country(part) if part.strip() else None
            if code:
                found.setdefault(code, None)
    return tuple(found)


def date_from_name(path: Path) -> str | None:
    match = _DATE_IN_NAME.search(path.name)
    return match.group(1) if match else None


def latest_date(dates: list[str]) -> str | None:
    valid = sorted(d for d in dates if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d or ""))
    return valid[-1] if valid else None


def parse_date(value: str) -> str | None:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y"):
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return None
