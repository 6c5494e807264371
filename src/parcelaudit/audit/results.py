"""Test results: the auditor's corrections per sampled item (from code, CSV or Excel) and the duty owed
they imply, stored with who recorded them and when."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from parcelaudit.audit.population import DUTY_FREE_ENTRY_TYPES, corrected_duty
from parcelaudit.audit.workflow import (
    _now,
    _require,
    _set_status,
    actor_name,
    get_audit,
    load_scope,
    log_step,
    sample_items,
)
from parcelaudit.errors import InputError, ParcelAuditError

RESULT_COLUMNS = (
    "item_id",
    "corrected_value",
    "corrected_hts",
    "corrected_origin",
    "duty_free",
    "audited_duty",
    "notes",
)
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
        return float(str(value).replace(",", "").replace("$", "").lstrip("'"))
    except ValueError as error:
        raise InputError(
            f"{value!r} is not a number",
            file=path,
            row=row,
            field=field,
            hint="write the amount in dollars, e.g. 84.57",
        ) from error


def read_results_file(path: Path) -> list[dict]:
    """Read test results from CSV or Excel (.xlsx): one row per item, columns as RESULT_COLUMNS."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path), hint="give the path of the results CSV or .xlsx")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        raw = [list(r) for r in sheet.iter_rows(values_only=True)]
        header = [str(h).strip().lower() if h is not None else "" for h in raw[0]] if raw else []
        records = [dict(zip(header, r, strict=False)) for r in raw[1:] if any(c is not None for c in r)]
    else:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            records = [{(k or "").strip().lower(): v for k, v in r.items()} for r in csv.DictReader(handle)]
        header = list(records[0]) if records else []
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
    for number, record in enumerate(records, start=2):
        item = record.get("item_id")
        if item is None or not str(item).strip():
            raise InputError(
                "blank item_id",
                file=name,
                row=number,
                field="item_id",
                hint="copy the item ids from the sample sheet",
            )
        rows.append(
            {
                "item_id": str(item).strip().lstrip("'"),
                "corrected_value": _parse_float(
                    record.get("corrected_value"), name, number, "corrected_value"
                ),
                "corrected_hts": (str(record.get("corrected_hts") or "").replace(".", "").strip() or None),
                "corrected_origin": (str(record.get("corrected_origin") or "").strip().upper() or None),
                "duty_free": _parse_bool(record.get("duty_free"), name, number),
                "audited_duty": _parse_float(record.get("audited_duty"), name, number, "audited_duty"),
                "notes": (str(record.get("notes")).lstrip("'") if record.get("notes") else None),
            }
        )
    return rows


def record_results(
    store, audit_id: str, results: list[dict], *, actor: str | None = None, source: str | None = None
) -> dict:
    """Store the auditor's results for sampled items, computing the duty owed where not given."""
    audit = get_audit(store, audit_id)
    _require(audit, "sampled")
    sample = {r["item_id"]: r for r in sample_items(store, audit_id, include_spares=True).to_pylist()}
    unknown = [r["item_id"] for r in results if r["item_id"] not in sample]
    if unknown:
        raise ParcelAuditError(
            f"{len(unknown)} item(s) are not in the sample, e.g. {unknown[0]!r}",
            file=source,
            field="item_id",
            hint="record results only for sampled items",
        )
    corrections = []
    for r in results:
        item = sample[r["item_id"]]
        claimed = item["entry_type"] in DUTY_FREE_ENTRY_TYPES
        corrections.append(
            {
                **r,
                "shipment_id": item["shipment_id"],
                "line_no": item["line_no"],
                "duty_free": claimed if r.get("duty_free") is None else bool(r["duty_free"]) and claimed,
            }
        )
    shipments, lines = load_scope(store, audit)
    owed = corrected_duty(
        shipments, lines, [c for c in corrections if c.get("audited_duty") is None], audit["unit"]
    )
    now, recorded_by = _now(), actor_name(actor)
    rows = []
    for c in corrections:
        item = sample[c["item_id"]]
        duty = c["audited_duty"] if c.get("audited_duty") is not None else owed[c["item_id"]]
        changed_value = (
            c.get("corrected_value") is not None and abs(c["corrected_value"] - item["book_value"]) > 0.005
        )
        in_error = (
            abs(duty - item["book_duty"]) > 0.005
            or changed_value
            or bool(c.get("corrected_hts"))
            or bool(c.get("corrected_origin"))
        )
        rows.append(
            [
                audit_id,
                c["item_id"],
                c.get("corrected_value"),
                c.get("corrected_hts"),
                c.get("corrected_origin"),
                c["duty_free"],
                round(duty, 2),
                in_error,
                c.get("notes"),
                recorded_by,
                now,
            ]
        )
    with store.transaction():
        store.con.executemany(
            "DELETE FROM audit_results WHERE audit_id = ? AND item_id = ?", [[audit_id, r[1]] for r in rows]
        )
        store.con.executemany("INSERT INTO audit_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
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
            "in_error": sum(1 for r in rows if r[7]),
            "outstanding": needed - recorded,
        }
        log_step(
            store,
            audit_id,
            "record",
            actor,
            {"source": source, "items": len(rows)},
            {
                "recorded": summary["recorded"],
                "in_error": summary["in_error"],
                "complete": complete,
                "outstanding": summary["outstanding"],
            },
        )
    return summary


def sampled_results(store, audit_id: str) -> pa.Table:
    """Sampled (non-spare) items joined with their results; spares used in place of missing items are not
    substituted automatically."""
    return store.query(
        """
        SELECT s.stratum, s.selection_order, p.frame_no, p.item_id, p.shipment_id, p.line_no, p.arrival_date,
               p.entry_type, p.book_value, p.book_duty, r.corrected_value, r.corrected_hts, r.corrected_origin,
               r.duty_free, r.audited_duty, r.in_error, r.notes, r.recorded_by, r.recorded_at
        FROM audit_sample s JOIN audit_population p USING (audit_id, frame_no)
        LEFT JOIN audit_results r ON r.audit_id = s.audit_id AND r.item_id = p.item_id
        WHERE s.audit_id = ? AND NOT s.spare ORDER BY s.stratum, s.selection_order""",
        [audit_id],
    )
