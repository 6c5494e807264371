"""The results sheet: the sampled items listed for the auditor (CSV), and the auditor's test results read
back from CSV or Excel with every value checked (file, row, field and the fix on a bad one). Files in,
plain rows out; nothing is stored here."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from parcelaudit.csv_safety import write_rows
from parcelaudit.errors import InputError

RESULT_COLUMNS = (
    "item_id",
    "result",
    "corrected_value",
    "corrected_hts",
    "corrected_origin",
    "duty_free",
    "audited_duty",
    "reason",
    "notes",
)
# Every sampled item's test is one of these; a blank row is "not_tested", never "correct".
OUTCOMES = ("correct", "error", "not_tested")
_OUTCOME_WORDS = {
    "correct": "correct",
    "tested correct": "correct",
    "ok": "correct",
    "no error": "correct",
    "error": "error",
    "in error": "error",
    "tested in error": "error",
    "not tested": "not_tested",
    "not_tested": "not_tested",
    "untested": "not_tested",
}
CORRECTIONS = ("corrected_value", "corrected_hts", "corrected_origin", "duty_free", "audited_duty")
MAX_AMOUNT = 100_000_000.0  # USD; a corrected value or duty above this is a typing error
MAX_XLSX_BYTES = 64 * 1024 * 1024  # decompressed size of a results workbook
MAX_RESULT_ROWS = 1_000_000
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _parse_bool(value, path: str, row: int) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(
        f"{value!r} is not yes/no", file=path, row=row, field="duty_free", hint="use true or false"
    )


def _parse_float(value, path: str, row: int, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace(",", "").replace("$", "").lstrip("'"))
    except ValueError as error:
        raise InputError(
            f"{value!r} is not a number",
            file=path,
            row=row,
            field=field,
            hint="write the amount in dollars, e.g. 84.57",
        ) from error
    if not math.isfinite(number) or number < 0 or number > MAX_AMOUNT:
        raise InputError(
            f"{value!r} is out of range",
            file=path,
            row=row,
            field=field,
            hint=f"an amount in dollars from 0 to {MAX_AMOUNT:,.0f}",
        )
    return number


def parse_outcome(value, path: str, row: int) -> str | None:
    """A test result as written by an auditor (correct, error, not tested and their synonyms) as one of
    OUTCOMES; None when blank; a user error naming file and row otherwise."""
    text = "" if value is None else " ".join(str(value).replace("_", " ").split()).lower()
    if not text:
        return None
    if text in _OUTCOME_WORDS:
        return _OUTCOME_WORDS[text]
    raise InputError(
        f"{value!r} is not a test result",
        file=path,
        row=row,
        field="result",
        hint="write correct, error or not tested (with a reason)",
    )


# Code-like fields: (pattern after cleaning, what it is, the fix).
_CODES = {
    "corrected_hts": (r"\d{4,10}", "an HTS number", "4 to 10 digits, e.g. 6109.10.0012"),
    "corrected_origin": (r"[A-Z]{2}", "a country code", "two letters (ISO 3166), e.g. CN"),
}


def _parse_code(value, path: str, row: int, field: str) -> str | None:
    text = str(value or "").strip().lstrip("'")
    text = text.replace(".", "") if field == "corrected_hts" else text.upper()
    if not text:
        return None
    pattern, what, hint = _CODES[field]
    if not re.fullmatch(pattern, text):
        raise InputError(f"{value!r} is not {what}", file=path, row=row, field=field, hint=hint)
    return text


def _read_xlsx(path: Path) -> tuple[list[str], list[dict]]:
    from parcelaudit.ingest.excel import sheet_rows

    raw = []
    for _, row in sheet_rows(path, max_bytes=MAX_XLSX_BYTES):
        raw.append(list(row))
        if len(raw) > MAX_RESULT_ROWS + 1:
            raise InputError(
                f"more than {MAX_RESULT_ROWS:,} rows", file=str(path), hint="one row per sampled item"
            )
    header = [str(h).strip().lower() if h is not None else "" for h in raw[0]] if raw else []
    # Blank rows stay: a sampled item listed with nothing filled in is "not tested", not skipped.
    records = [dict(zip(header, r, strict=False)) for r in raw[1:]]
    return header, records


def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    from parcelaudit.ingest.readers import require_decodable

    require_decodable(path, "save the sheet as CSV UTF-8")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        try:
            records = [{(k or "").strip().lower(): v for k, v in r.items()} for r in reader]
        except csv.Error as error:
            raise InputError(
                f"not a readable CSV row ({error})",
                file=str(path),
                row=reader.reader.line_num,  # the DictReader's own count lags a row
                hint="save the sheet as CSV UTF-8 from Excel or LibreOffice",
            ) from error
        header = [(k or "").strip().lower() for k in reader.fieldnames or []]
    return header, records


def read_results_file(path: Path) -> list[dict]:
    """Read test results from CSV or Excel (.xlsx): one row per item, columns as RESULT_COLUMNS. A row with
    an item id and nothing else is an untested item; values are checked for type and range."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path), hint="give the path of the results CSV or .xlsx")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, records = _read_xlsx(path)
    else:
        header, records = _read_csv(path)
    if "item_id" not in header:
        raise InputError(
            "no item_id column",
            file=str(path),
            row=1,
            field="item_id",
            hint=f"the header needs item_id and any of {', '.join(RESULT_COLUMNS[1:])}",
        )
    name = str(path)
    rows = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=2):
        item = record.get("item_id")
        if item is None or not str(item).strip():
            if all(v is None or not str(v).strip() for v in record.values()):
                continue  # an empty line between rows
            raise InputError(
                "blank item_id",
                file=name,
                row=number,
                field="item_id",
                hint="copy the item ids from the sample sheet",
            )
        item_id = str(item).strip().lstrip("'")
        if item_id in seen:
            raise InputError(
                f"item {item_id!r} is listed twice (first on row {seen[item_id]})",
                file=name,
                row=number,
                field="item_id",
                hint="one row per sampled item",
            )
        seen[item_id] = number
        rows.append(
            {
                "item_id": item_id,
                "result": parse_outcome(record.get("result"), name, number),
                "corrected_value": _parse_float(
                    record.get("corrected_value"), name, number, "corrected_value"
                ),
                "corrected_hts": _parse_code(record.get("corrected_hts"), name, number, "corrected_hts"),
                "corrected_origin": _parse_code(
                    record.get("corrected_origin"), name, number, "corrected_origin"
                ),
                "duty_free": _parse_bool(record.get("duty_free"), name, number),
                "audited_duty": _parse_float(record.get("audited_duty"), name, number, "audited_duty"),
                "reason": (str(record.get("reason")).strip().lstrip("'") or None)
                if record.get("reason")
                else None,
                "notes": (str(record.get("notes")).lstrip("'") if record.get("notes") else None),
                "row": number,
            }
        )
    if not rows:
        raise InputError(
            "the results sheet lists no items", file=name, hint="fill in the sheet written by `audit sample`"
        )
    return rows


def write_results_sheet(path: Path, items: list[dict]) -> Path:
    """Write the sheet the auditor fills in: the sampled items (and spares) with what to test them against,
    then the RESULT_COLUMNS left blank (a row left blank is recorded as not tested)."""
    header, rows = sample_sheet(items)
    header = [*header, "spare", *RESULT_COLUMNS[1:]]
    rows = [
        [*row, item["spare"], *[""] * (len(RESULT_COLUMNS) - 1)]
        for row, item in zip(rows, items, strict=True)
    ]
    write_rows(Path(path), header, rows)
    return Path(path)


# How a sampled item is listed on a sheet: (column heading, key in sample_items rows).
SAMPLE_SHEET = (
    ("stratum", "stratum"),
    ("selection_order", "selection_order"),
    ("frame_no", "frame_no"),
    ("item_id", "item_id"),
    ("shipment_id", "shipment_id"),
    ("line_no", "line_no"),
    ("arrival_date", "arrival_date"),
    ("entry_type", "entry_type"),
    ("description", "description"),
    ("hts_code", "hts_code"),
    ("country_of_origin", "country_of_origin"),
    ("declared_value", "book_value"),
    ("duty_paid", "book_duty"),
)


def sample_sheet(items: list[dict]) -> tuple[list[str], list[list]]:
    """Header and rows listing sampled items (dates as ISO text) for the results sheet and the workpaper."""
    header = [heading for heading, _ in SAMPLE_SHEET]
    rows = [[str(i[key]) if key == "arrival_date" else i.get(key) for _, key in SAMPLE_SHEET] for i in items]
    return header, rows
