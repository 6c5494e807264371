"""The evaluate step: read an audit version's results and strata, evaluate them (parcelaudit.audit.evaluation),
store the evaluation and log the step; and the latest evaluation read back."""

from __future__ import annotations

import json

from parcelaudit.audit.evaluation import check_evaluation, evaluate, treat_untested
from parcelaudit.audit.lifecycle import get_audit, require_status, require_writable, set_status
from parcelaudit.audit.results import sampled_results
from parcelaudit.audit.scope import load_scope
from parcelaudit.audit.steplog import content_sha256, log_step
from parcelaudit.errors import ParcelAuditError
from parcelaudit.store import audits as stored
from parcelaudit.store import utc_now


def evaluate_audit(
    store,
    audit_id: str,
    *,
    method: str = "difference",
    confidence: float = 0.90,
    demand: str = "lower",
    interest_rate: float | None = None,
    untested: str = "error",
    actor: str | None = None,
) -> dict:
    """Project the loss of revenue and the compliance rate with limits, state the demand and the penalty exposure."""
    check_evaluation(method, demand)
    audit = get_audit(store, audit_id)
    require_writable(audit)
    require_status(audit, "recorded")
    audit_id = audit["audit_id"]
    items = sampled_results(store, audit_id).to_pylist()
    missing = [i["item_id"] for i in items if i["audited_duty"] is None]
    if missing:
        raise ParcelAuditError(
            f"{len(missing)} sampled item(s) have no result, e.g. {missing[0]!r}",
            field="audited_duty",
            hint="record every sampled item (a missing record is an error)",
        )
    items, untested_treatment = treat_untested(items, untested)
    scope = load_scope(store, audit) if any(i["in_error"] for i in items) else None
    detail = evaluate(
        items,
        stored.read_strata(store, audit_id),
        untested_treatment,
        scope=scope,
        unit=audit["unit"],
        method=method,
        confidence=confidence,
        demand=demand,
        interest_rate=interest_rate,
    )
    chosen = detail["loss"][f"{confidence:.2f}"]
    compliance = detail["compliance"]
    with store.transaction():
        stored.insert_evaluation(
            store,
            [
                audit_id,
                utc_now(),
                method,
                confidence,
                demand,
                chosen["point"],
                chosen["lower"],
                chosen["upper"],
                detail["demand"],
                compliance["rate"],
                compliance["lower"],
                compliance["upper"],
                json.dumps(detail, default=str),
            ],
        )
        set_status(store, audit_id, "evaluated")
        log_step(
            store,
            audit_id,
            "evaluate",
            actor,
            {
                "method": method,
                "confidence": confidence,
                "demand": demand,
                "interest_rate": interest_rate,
                "untested": untested,
            },
            {
                "loss_point": chosen["point"],
                "loss_lower": chosen["lower"],
                "loss_upper": chosen["upper"],
                "demand": detail["demand"],
                "compliance_rate": compliance["rate"],
                "untested": untested_treatment["statement"],
            },
            outputs={"audit_evaluations.detail": content_sha256(detail)},
        )
    return detail


def latest_evaluation(store, audit_id: str) -> dict:
    """The most recent evaluation's detail (JSON decoded)."""
    detail = stored.latest_evaluation_detail(store, audit_id)
    if detail is None:
        raise ParcelAuditError(
            f"audit {audit_id} has not been evaluated", field="status", hint="run `audit evaluate` first"
        )
    return json.loads(detail)
