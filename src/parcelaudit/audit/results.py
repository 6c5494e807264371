"""Test results: the auditor's corrections per sampled item (from code, CSV or Excel) and the duty owed
they imply, stored with who recorded them and when."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.audit.population import DUTY_FREE_ENTRY_TYPES, corrected_duty
from parcelaudit.audit.workflow import (
    STATUS_ORDER,
    _now,
    _refuse,
    _require,
    _set_status,
    _writable,
    actor_name,
    content_sha256,
    get_audit,
    load_scope,
    log_step,
    sample_items,
)
from parcelaudit.errors import InputError, ParcelAuditError

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
_CORRECTIONS = ("corrected_value", "corrected_hts", "corrected_origin", "duty_free", "audited_duty")
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


def _parse_outcome(value, path: str, row: int) -> str | None:
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
                "result": _parse_outcome(record.get("result"), name, number),
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
    from parcelaudit.audit.workflow import sample_sheet
    from parcelaudit.csv_safety import write_rows

    header, rows = sample_sheet(items)
    header = [*header, "spare", *RESULT_COLUMNS[1:]]
    rows = [
        [*row, item["spare"], *[""] * (len(RESULT_COLUMNS) - 1)]
        for row, item in zip(rows, items, strict=True)
    ]
    write_rows(Path(path), header, rows)
    return Path(path)


def _outcome(row: dict, item: dict, duty: float, source: str | None) -> tuple[str, bool]:
    """(test outcome, in error) of one result row against its sampled item; a user error where they clash."""
    given = row.get("result")
    if given is not None and given not in OUTCOMES:
        given = _parse_outcome(given, source or "results", row.get("row"))
    corrected = any(row.get(key) is not None for key in _CORRECTIONS)
    changed = (
        abs(duty - item["book_duty"]) > 0.005
        or (
            row.get("corrected_value") is not None
            and abs(row["corrected_value"] - item["book_value"]) > 0.005
        )
        or bool(row.get("corrected_hts"))
        or bool(row.get("corrected_origin"))
    )

    def clash(message: str, hint: str) -> ParcelAuditError:
        return InputError(message, file=source, row=row.get("row"), field="result", hint=hint)

    if given == "not_tested" or (given is None and not corrected):
        if corrected:
            raise clash(
                f"item {row['item_id']!r} is marked not tested but gives corrections",
                "mark it correct or error, or clear the corrected_* cells",
            )
        return "not_tested", False
    if given == "correct" and changed:
        raise clash(
            f"item {row['item_id']!r} is marked correct but its corrections change the value or duty",
            "mark it error, or clear the corrected_* cells",
        )
    if given == "error" and not changed:
        raise clash(
            f"item {row['item_id']!r} is marked error but gives no correction that changes anything",
            "give the corrected value, HTS, origin, duty_free or audited_duty",
        )
    return ("error" if changed else "correct"), changed


def record_results(
    store, audit_id: str, results: list[dict], *, actor: str | None = None, source: str | None = None
) -> dict:
    """Store the auditor's results for sampled items: each tested correct, tested in error (the duty owed is
    re-rated from the corrections unless given) or not tested (the worst case is kept: the duty owed with
    any duty-free claim denied). Refused once the audit is evaluated: open a new version then."""
    audit = get_audit(store, audit_id)
    _writable(audit)
    _require(audit, "sampled")
    if STATUS_ORDER.index(audit["status"]) >= STATUS_ORDER.index("evaluated"):
        _refuse(audit, "record", "evaluation")
    audit_id = audit["audit_id"]
    sample = {r["item_id"]: r for r in sample_items(store, audit_id, include_spares=True).to_pylist()}
    unknown = [r["item_id"] for r in results if r["item_id"] not in sample]
    if unknown:
        raise ParcelAuditError(
            f"{len(unknown)} item(s) are not in the sample, e.g. {unknown[0]!r}",
            file=source,
            field="item_id",
            hint="record results only for sampled items",
        )
    seen: set[str] = set()
    twice = [r["item_id"] for r in results if r["item_id"] in seen or seen.add(r["item_id"])]
    if twice:
        raise ParcelAuditError(
            f"item {twice[0]!r} is given twice", file=source, field="item_id", hint="one result per item"
        )
    corrections = []
    for r in results:
        item = sample[r["item_id"]]
        claimed = item["entry_type"] in DUTY_FREE_ENTRY_TYPES
        result = r.get("result")
        if result is not None and result not in OUTCOMES:
            result = _parse_outcome(result, source or "results", r.get("row"))
        corrections.append(
            {
                **r,
                "result": result,
                "shipment_id": item["shipment_id"],
                "line_no": item["line_no"],
                "duty_free": claimed if r.get("duty_free") is None else bool(r["duty_free"]) and claimed,
            }
        )
    # A row that gives no correction and does not say "correct" or "error" is an untested item.
    blank = {r["item_id"] for r in results if not any(r.get(k) is not None for k in _CORRECTIONS)}
    worst = {
        c["item_id"] for c in corrections if c["item_id"] in blank and c["result"] in (None, "not_tested")
    }
    shipments, lines = load_scope(store, audit)
    to_rate = [
        {**c, "duty_free": False} if c["item_id"] in worst else c
        for c in corrections
        if c.get("audited_duty") is None
    ]
    owed = corrected_duty(shipments, lines, to_rate, audit["unit"])
    now, recorded_by = _now(), actor_name(actor)
    rows = []
    for c in corrections:
        item = sample[c["item_id"]]
        duty = c["audited_duty"] if c.get("audited_duty") is not None else owed[c["item_id"]]
        if c["item_id"] in worst:
            test, in_error = "not_tested", False
        else:
            test, in_error = _outcome(c, item, duty, source)
        rows.append(
            [
                audit_id,
                c["item_id"],
                c.get("corrected_value"),
                c.get("corrected_hts"),
                c.get("corrected_origin"),
                c["duty_free"] if test != "not_tested" else None,
                round(duty, 2),
                in_error,
                c.get("notes"),
                recorded_by,
                now,
                test,
                c.get("reason"),
            ]
        )
    with store.transaction():
        # A result recorded again replaces the earlier one, which is kept in audit_result_history.
        ids = [r[1] for r in rows]
        replaced = store.con.execute(
            "INSERT INTO audit_result_history SELECT *, ?, ? FROM audit_results "
            "WHERE audit_id = ? AND list_contains(?, item_id)",
            [recorded_by, now, audit_id, ids],
        ).fetchone()[0]
        store.con.execute(
            "DELETE FROM audit_results WHERE audit_id = ? AND list_contains(?, item_id)", [audit_id, ids]
        )
        store.con.executemany(
            "INSERT INTO audit_results (audit_id, item_id, corrected_value, corrected_hts, corrected_origin, "
            "duty_free, audited_duty, in_error, notes, recorded_by, recorded_at, test, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        recorded = store.con.execute(
            "SELECT count(*) FROM audit_sample s JOIN audit_population p USING (audit_id, frame_no) "
            "JOIN audit_results r ON r.audit_id = s.audit_id AND r.item_id = p.item_id "
            "WHERE s.audit_id = ? AND NOT s.spare",
            [audit_id],
        ).fetchone()[0]
        needed = sum(1 for item in sample.values() if not item["spare"])
        complete = recorded >= needed
        if complete:
            _set_status(store, audit_id, "recorded")
        summary = {
            "recorded": len(rows),
            "tested": sum(1 for r in rows if r[11] != "not_tested"),
            "in_error": sum(1 for r in rows if r[7]),
            "not_tested": sum(1 for r in rows if r[11] == "not_tested"),
            "not_tested_without_reason": sum(1 for r in rows if r[11] == "not_tested" and not r[12]),
            "outstanding": needed - recorded,
            "replaced": replaced,
        }
        inputs = {}
        if source and Path(source).is_file():
            from parcelaudit.hashing import file_sha256

            inputs[str(source)] = file_sha256(Path(source))
        outputs = {"audit_results": content_sha256([r[1:9] + r[11:] for r in rows])}
        log_step(
            store,
            audit_id,
            "record",
            actor,
            {"source": source, "items": len(rows)},
            {**summary, "complete": complete},
            inputs=inputs,
            outputs=outputs,
        )
    return summary


def sampled_results(store, audit_id: str) -> pa.Table:
    """Sampled (non-spare) items, with what to test them against, joined with their results (test outcome,
    reason); spares are not substituted automatically."""
    items = sample_items(store, audit_id)
    results = store.query(
        """SELECT item_id, corrected_value, corrected_hts, corrected_origin, duty_free, audited_duty, in_error,
                  test, reason, notes, recorded_by, recorded_at
           FROM audit_results WHERE audit_id = ?""",
        [audit_id],
    )
    joined = items.join(results, "item_id", join_type="left outer")
    order = pc.sort_indices(joined, sort_keys=[("stratum", "ascending"), ("selection_order", "ascending")])
    return joined.take(order)
