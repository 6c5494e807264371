"""The record step: the auditor's results for sampled items (correct, in error with the duty owed re-rated
from the corrections, or not tested) stored with who recorded them and when; and the results read back."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.audit.lifecycle import (
    get_audit,
    reached,
    refuse,
    require_status,
    require_writable,
    set_status,
)
from parcelaudit.audit.population import DUTY_FREE_ENTRY_TYPES, corrected_duty
from parcelaudit.audit.results_sheet import CORRECTIONS, OUTCOMES, parse_outcome
from parcelaudit.audit.sampling import sample_items
from parcelaudit.audit.scope import load_scope
from parcelaudit.audit.steplog import actor_name, content_sha256, log_step, now
from parcelaudit.errors import InputError, ParcelAuditError
from parcelaudit.hashing import file_sha256
from parcelaudit.store import audits as stored


def _outcome(row: dict, item: dict, duty: float, source: str | None) -> tuple[str, bool]:
    """(test outcome, in error) of one result row against its sampled item; a user error where they clash."""
    given = row.get("result")
    if given is not None and given not in OUTCOMES:
        given = parse_outcome(given, source or "results", row.get("row"))
    corrected = any(row.get(key) is not None for key in CORRECTIONS)
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
    require_writable(audit)
    require_status(audit, "sampled")
    if reached(audit, "evaluated"):
        refuse(audit, "record", "evaluation")
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
            result = parse_outcome(result, source or "results", r.get("row"))
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
    blank = {r["item_id"] for r in results if not any(r.get(k) is not None for k in CORRECTIONS)}
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
    recorded_at, recorded_by = now(), actor_name(actor)
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
                recorded_at,
                test,
                c.get("reason"),
            ]
        )
    with store.transaction():
        # A result recorded again replaces the earlier one, which is kept in audit_result_history.
        replaced = stored.replace_results(store, audit_id, rows, recorded_by, recorded_at)
        recorded = stored.count_recorded_sample(store, audit_id)
        needed = sum(1 for item in sample.values() if not item["spare"])
        complete = recorded >= needed
        if complete:
            set_status(store, audit_id, "recorded")
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
    results = stored.read_results(store, audit_id)
    joined = items.join(results, "item_id", join_type="left outer")
    order = pc.sort_indices(joined, sort_keys=[("stratum", "ascending"), ("selection_order", "ascending")])
    return joined.take(order)
