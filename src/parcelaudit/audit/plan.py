"""The plan step: build an audit's population from its scope, stratify it, size and allocate the sample,
store the frame and the strata, and log the step."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pyarrow as pa

from parcelaudit.audit.allocation import PlanSettings, stratify
from parcelaudit.audit.lifecycle import get_audit, reached, refuse, require_writable, set_status
from parcelaudit.audit.population import build_population
from parcelaudit.audit.scope import load_scope
from parcelaudit.audit.steplog import content_sha256, log_step, table_sha256
from parcelaudit.store import audits as stored


def plan_audit(store, audit_id: str, *, actor: str | None = None, **settings: Any) -> dict:
    """Build the population, stratify by declared value and size the sample (settings: the fields of
    PlanSettings, e.g. strata=3, sample_size=300), allocated to strata in proportion to N_h * S_h (Neyman)."""
    chosen = PlanSettings(**settings)
    audit = get_audit(store, audit_id)
    require_writable(audit)
    if reached(audit, "sampled"):
        refuse(audit, "plan", "sample and any results recorded against it")
    audit_id = audit["audit_id"]
    shipments, lines = load_scope(store, audit)
    frame = build_population(shipments, lines, audit["unit"])
    values = np.asarray(frame["book_value"].to_pylist(), dtype=float)
    duties = np.asarray(frame["book_duty"].to_pylist(), dtype=float)
    plan = stratify(values, duties, chosen)
    rows = [{"audit_id": audit_id, **row} for row in plan.strata]
    frame = frame.append_column("stratum", pa.array(plan.stratum_of.tolist(), pa.int32()))
    frame = frame.append_column("audit_id", pa.array([audit_id] * frame.num_rows, pa.string()))
    with store.transaction():
        # Re-planning before sampling replaces the plan; the earlier plan's parameters stay in the log.
        stored.replace_plan(store, audit_id, frame, rows)
        set_status(store, audit_id, "planned")
        parameters = {**asdict(chosen), "top_value": plan.top_value, "sample_size": plan.sample_size}
        summary = {
            "population": int(values.size),
            "book_total": float(values.sum()),
            "duty_paid": float(duties.sum()),
            "strata": rows,
        }
        outputs = {
            "audit_population": table_sha256(
                frame.select(["frame_no", "item_id", "book_value", "book_duty", "stratum"])
            ),
            "audit_strata": content_sha256(rows),
        }
        log_step(store, audit_id, "plan", actor, parameters, summary, outputs=outputs)
    return summary
