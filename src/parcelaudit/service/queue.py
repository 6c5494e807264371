"""Queues and decisions: items built from check runs, what each role may do to them, four-eyes, reopening.

An item is one thing a person must look at: a held or reviewed parcel, a screening hit (one per screened
name and list entry, however many parcels carry the name) or a parcel whose supply-chain trace needs a
review. Items are materialised once per check run (`refresh`); an item already made for the same subject is
not made again, so a decision holds across runs. A hit's subject includes the list entry's content hash: when
the list changes the entry, a new item re-alerts even where a false positive was recorded.

Every change goes through `decide`, `approve`, `reopen` or `assign`, each in one transaction with its entry in
the hash-chained log (parcelaudit.service.ledger).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from parcelaudit.service import ledger
from parcelaudit.service.accounts import User
from parcelaudit.service.settings import WorkbenchSettings
from parcelaudit.store import Store, utc_now
from parcelaudit.store import workbench as sql

PARCEL_ACTIONS = ("release", "hold", "escalate")
HIT_ACTIONS = ("false_positive", "true_match", "unsure", "escalate")
ACTIONS = ("release", "hold", "escalate", "false_positive", "true_match", "unsure")
OPEN_STATUSES = ("open", "escalated")
STATUSES = ("open", "escalated", "pending_approval", "decided")
# Trace verdicts that need a person (clear is recorded as a reason only).
TRACE_VARIANTS = ("review", "exposed")


class QueueError(Exception):
    """A refused queue operation; status is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _entry_hashes() -> dict[tuple[str, str], str]:
    """(list, entry id) -> content hash over the lists screening uses now."""
    from parcelaudit.screening.lists import default_screener

    return {(e.list_code.upper(), e.entry_id): e.content_hash() for e in default_screener().entries}


# --- materialising ---------------------------------------------------------------------------------------------
def _split(reasons: str | None) -> list[str]:
    return [r for r in (reasons or "").split(";") if r]


def _suppressed(store: Store) -> set[tuple[str, str, str, str]]:
    """(name, list, entry id, entry hash) pairs whose latest verdict is a false positive."""
    latest: dict[tuple[str, str, str], dict] = {}
    for row in sql.dispositions(store):
        latest[(" ".join(row["name"].split()).casefold(), row["list"].upper(), row["entry_id"])] = row
    return {(*key, row["entry_hash"]) for key, row in latest.items() if row["verdict"] == "false_positive"}


def build_items(store: Store, run_id: int, settings: WorkbenchSettings, now: datetime) -> list[dict]:
    """The items a run calls for (before removing those already made)."""
    items: list[dict] = []

    def add(kind: str, key: str, shipment_id: str, reasons: list[str], **extra: Any) -> None:
        due = now + timedelta(hours=settings.sla_for(kind, reasons))
        items.append(
            {
                "item_key": key,
                "run_id": run_id,
                "kind": kind,
                "shipment_id": shipment_id,
                "reasons": ";".join(reasons),
                "status": "open",
                "created_at": now,
                "due_at": due,
                **extra,
            }
        )

    for row in sql.run_decisions(store, run_id).to_pylist():
        add(
            row["decision"],
            f"{row['decision']}:{row['shipment_id']}",
            row["shipment_id"],
            _split(row["reasons"]),
        )
    hits: dict[tuple, dict] = {}
    for row in sql.run_findings(store, run_id, "SCREEN-").to_pylist():
        evidence = json.loads(row["evidence"])
        key = (
            evidence.get("name") or "",
            evidence.get("country"),
            (evidence.get("list") or "").upper(),
            str(evidence.get("entry_id")),
        )
        found = hits.setdefault(
            key, {"first": row["shipment_id"], "parcels": set(), "rule": row["rule_id"], "evidence": evidence}
        )
        found["parcels"].add(row["shipment_id"])
    if hits:
        hashes = _entry_hashes()
        suppressed = _suppressed(store)
        for (name, country, list_code, entry_id), found in sorted(
            hits.items(), key=lambda p: (p[0][2], p[0][3], p[0][0])
        ):
            digest = hashes.get((list_code, entry_id), "")
            if (" ".join(name.split()).casefold(), list_code, entry_id, digest) in suppressed:
                continue  # a false positive on an unchanged entry stays decided
            evidence = found["evidence"]
            add(
                "hit",
                f"hit:{name}|{country or ''}|{list_code}|{entry_id}|{digest}",
                found["first"],
                [found["rule"]],
                party_name=name,
                party_country=country,
                list_code=list_code,
                entry_id=entry_id,
                matched_name=evidence.get("matched_name"),
                score=float(evidence.get("score") or 0.0),
                explanation=evidence.get("explanation"),
                entry_sha256=digest,
                shipments=len(found["parcels"]),
            )
    traced: dict[str, list[str]] = {}
    for row in sql.run_findings(store, run_id, "FL-TRACE").to_pylist():
        if row["variant"] in TRACE_VARIANTS:
            traced.setdefault(row["shipment_id"], [])
    for shipment_id in traced:
        add("trace", f"trace:{shipment_id}", shipment_id, ["FL-TRACE"])
    return items


def refresh(store: Store, settings: WorkbenchSettings, actor: User | None = None) -> dict[str, Any]:
    """Materialise the items of the latest check run if it was not loaded yet; also log audit steps not yet in
    the log. Returns {run_id, items (new), loaded (bool)}."""
    run_id = sql.latest_run_id(store)
    result: dict[str, Any] = {"run_id": run_id, "items": 0, "loaded": False}
    with store.lock("wb_items"), store.transaction():
        if run_id is not None and not sql.run_loaded(store, run_id):
            now = utc_now().replace(microsecond=0)
            known = sql.item_keys(store)
            fresh = [i for i in build_items(store, run_id, settings, now) if i["item_key"] not in known]
            first = sql.next_item_id(store)
            for number, item in enumerate(fresh):
                item["item_id"] = first + number
            if fresh:
                columns = sorted({k for item in fresh for k in item})
                table = pa.Table.from_pylist(fresh, schema=_item_schema(columns))
                sql.insert_items(store, table)
            previous = sql.previous_loaded_run(store, run_id)
            sql.mark_run_loaded(store, run_id, len(fresh), now)
            _log_list_changes(store, settings, previous, run_id)
            ledger.append(
                store,
                settings,
                actor=actor.name if actor else "workbench",
                role=actor.role if actor else "system",
                action="queue_refresh",
                subject=f"run:{run_id}",
                detail={"items": len(fresh)},
            )
            result.update(items=len(fresh), loaded=True)
        result["audit_steps"] = log_audit_steps(store, settings)
    return result


def _log_list_changes(store: Store, settings: WorkbenchSettings, previous: int | None, run_id: int) -> None:
    """A `list_update` log entry when a run screened against other list snapshots than the previous loaded run."""
    if previous is None:
        return  # the first run loaded: its snapshots are in every entry's payload from now on
    before = {s["list"]: s for s in sql.run_list_snapshots(store, previous)}
    after = {s["list"]: s for s in sql.run_list_snapshots(store, run_id)}
    changed = sorted(code for code in set(before) | set(after) if before.get(code) != after.get(code))
    if not changed:
        return
    ledger.append(
        store,
        settings,
        actor="workbench",
        role="system",
        action="list_update",
        subject=f"run:{run_id}",
        detail={
            "lists": changed,
            "before": [before[c] for c in changed if c in before],
            "previous_run": previous,
        },
    )


_ITEM_TYPES = {
    "item_id": pa.int64(),
    "run_id": pa.int64(),
    "created_at": pa.timestamp("us"),
    "due_at": pa.timestamp("us"),
    "decided_at": pa.timestamp("us"),
    "score": pa.float64(),
    "shipments": pa.int64(),
}


def _item_schema(columns: list[str]) -> pa.Schema:
    return pa.schema([(c, _ITEM_TYPES.get(c, pa.string())) for c in columns])


def log_audit_steps(store: Store, settings: WorkbenchSettings) -> int:
    """Append to the log every stored audit step (also those run from the command line) not logged yet."""
    if "audit_steps" not in store.tables():
        return 0
    logged = sql.log_subjects_like(store, "audit:%")
    added = 0
    for step in sql.audit_steps_after(store):
        subject = f"audit:{step['audit_id']}#{step['step_no']}"
        if subject in logged:
            continue
        ledger.append(
            store,
            settings,
            actor=step["actor"],
            role="auditor",
            action=f"audit_{step['step']}",
            subject=subject,
            detail={
                "acted_at": str(step["acted_at"]),
                "parameters": json.loads(step["parameters"] or "{}"),
                "summary": json.loads(step["summary"] or "{}"),
            },
        )
        added += 1
    return added


# --- reading ---------------------------------------------------------------------------------------------------
def sla_state(item: dict, now: datetime, soon_hours: float = 4.0) -> str:
    """overdue | due_soon | on_time for a pending item; met | missed for a decided one."""
    if item["status"] == "decided":
        return "met" if item["decided_at"] and item["decided_at"] <= item["due_at"] else "missed"
    if item["due_at"] < now:
        return "overdue"
    return "due_soon" if item["due_at"] < now + timedelta(hours=soon_hours) else "on_time"


def public(item: dict, now: datetime) -> dict[str, Any]:
    """An item as the API shows it."""
    shown = {k: v for k, v in item.items() if k not in ("item_key",)}
    shown["id"] = shown.pop("item_id")
    shown["reasons"] = _split(item["reasons"])
    shown["due"] = item["due_at"].isoformat() if item["due_at"] else None
    shown["sla"] = sla_state(item, now)
    for key in ("created_at", "due_at", "decided_at"):
        shown[key] = shown[key].isoformat() if shown.get(key) else None
    return shown


def get(store: Store, item_id: int) -> dict:
    """An item, or a 404."""
    item = sql.get_item(store, item_id)
    if item is None:
        raise QueueError(404, f"no item {item_id}")
    return item


def history(store: Store, item_id: int) -> list[dict]:
    """The log entries about an item, oldest first (payload parsed)."""
    return [
        {**e, "payload": json.loads(e["payload"])} for e in sql.log_entries(store, subject=f"item:{item_id}")
    ]


# --- acting ----------------------------------------------------------------------------------------------------
def _require_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise QueueError(422, "a reason is required")
    return reason.strip()


def _check_action(item: dict, action: str) -> None:
    allowed = HIT_ACTIONS if item["kind"] == "hit" else PARCEL_ACTIONS
    if action not in ACTIONS:
        raise QueueError(422, f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    if action not in allowed:
        raise QueueError(
            422, f"{action} does not apply to a {item['kind']} item: use one of {', '.join(allowed)}"
        )


def decide(
    store: Store, settings: WorkbenchSettings, user: User, item_id: int, action: str, reason: str | None
) -> dict:
    """An analyst's (or supervisor's) decision on an item: locked once decided; a four-eyes action waits for
    approval; escalation hands the item to supervisors."""
    if not user.may("analyst"):
        raise QueueError(403, f"role {user.role} may not decide")
    reason = _require_reason(reason)
    with store.lock("wb_items"), store.transaction():
        item = get(store, item_id)
        _check_action(item, action)
        if item["status"] in ("decided", "pending_approval"):
            raise QueueError(409, f"item {item_id} is {item['status'].replace('_', ' ')}: reopen it first")
        if item["status"] == "escalated" and not user.may("supervisor"):
            raise QueueError(403, f"item {item_id} is escalated: a supervisor decides it")
        now = utc_now().replace(microsecond=0)
        reasons = _split(item["reasons"])
        if action == "escalate":
            changes = {"status": "escalated"}
            logged = "escalate"
        elif settings.needs_second_person(action, reasons):
            changes = {
                "status": "pending_approval",
                "pending_action": action,
                "pending_by": user.name,
                "pending_reason": reason,
            }
            logged = "request_" + action
        else:
            changes = _final(store, item, action, reason, user.name, now)
            logged = action
        sql.update_item(store, item_id, changes)
        _log_item(store, settings, user, logged, item_id, _detail(item), reason=reason, when=now)
        return get(store, item_id)


def _log_item(
    store: Store,
    settings: WorkbenchSettings,
    user: User,
    action: str,
    item_id: int,
    detail: dict[str, Any],
    reason: str | None = None,
    when: datetime | None = None,
) -> None:
    """Append what a user did to an item to the log."""
    ledger.append(
        store,
        settings,
        actor=user.name,
        role=user.role,
        action=action,
        subject=f"item:{item_id}",
        reason=reason,
        detail=detail,
        when=when,
    )


def _detail(item: dict) -> dict[str, Any]:
    detail = {"kind": item["kind"], "shipment_id": item["shipment_id"], "reasons": _split(item["reasons"])}
    if item["kind"] == "hit":
        detail.update(
            name=item["party_name"],
            list=item["list_code"],
            entry_id=item["entry_id"],
            entry_sha256=item["entry_sha256"],
        )
    return detail


def _final(store: Store, item: dict, action: str, reason: str, who: str, now: datetime) -> dict[str, Any]:
    """The changes that decide an item; a hit's verdict is also recorded as a disposition."""
    if item["kind"] == "hit" and action in ("false_positive", "true_match", "unsure"):
        sql.insert_disposition(
            store,
            {
                "name": item["party_name"],
                "list": item["list_code"],
                "entry_id": item["entry_id"],
                "entry_hash": item["entry_sha256"] or "",
                "verdict": action,
                "reason": reason,
                "who": who,
                "decided_at": now,
                "item_id": item["item_id"],
            },
        )
    return {"status": "decided", "outcome": action, "decided_by": who, "decided_at": now}


def approve(store: Store, settings: WorkbenchSettings, user: User, item_id: int, reason: str | None) -> dict:
    """A second person's approval of a pending four-eyes action: a supervisor who did not ask for it."""
    if not user.may("supervisor"):
        raise QueueError(403, f"role {user.role} may not approve: a supervisor approves")
    with store.lock("wb_items"), store.transaction():
        item = get(store, item_id)
        if item["status"] != "pending_approval":
            raise QueueError(
                409, f"item {item_id} is {item['status'].replace('_', ' ')}, not waiting for approval"
            )
        if item["pending_by"] == user.name:
            raise QueueError(403, "the person who asked cannot approve: a second supervisor must")
        now = utc_now().replace(microsecond=0)
        changes = _final(store, item, item["pending_action"], item["pending_reason"], item["pending_by"], now)
        changes["approved_by"] = user.name
        sql.update_item(store, item_id, changes)
        _log_item(
            store,
            settings,
            user,
            "approve_" + item["pending_action"],
            item_id,
            {
                **_detail(item),
                "requested_by": item["pending_by"],
                "request_reason": item["pending_reason"],
            },
            reason=(reason or "").strip() or None,
            when=now,
        )
        return get(store, item_id)


def reopen(store: Store, settings: WorkbenchSettings, user: User, item_id: int, reason: str | None) -> dict:
    """Reopen a decided item (or withdraw a pending request): its own recorded action, for supervisors."""
    if not user.may("supervisor"):
        raise QueueError(403, f"role {user.role} may not reopen: a supervisor reopens")
    reason = _require_reason(reason)
    with store.lock("wb_items"), store.transaction():
        item = get(store, item_id)
        if item["status"] not in ("decided", "pending_approval"):
            raise QueueError(409, f"item {item_id} is {item['status']}: nothing to reopen")
        changes = {
            "status": "open",
            "outcome": None,
            "decided_by": None,
            "decided_at": None,
            "pending_action": None,
            "pending_by": None,
            "pending_reason": None,
            "approved_by": None,
        }
        sql.update_item(store, item_id, changes)
        _log_item(
            store,
            settings,
            user,
            "reopen",
            item_id,
            {
                **_detail(item),
                "was": item["status"],
                "outcome": item["outcome"] or item["pending_action"],
            },
            reason=reason,
        )
        return get(store, item_id)


def assign(store: Store, settings: WorkbenchSettings, user: User, item_id: int, assignee: str | None) -> dict:
    """Assign an item: an analyst takes an item for themself (or gives it back); a supervisor assigns anyone."""
    if not user.may("analyst"):
        raise QueueError(403, f"role {user.role} may not take items")
    if assignee is not None and assignee != user.name and not user.may("supervisor"):
        raise QueueError(403, "only a supervisor assigns an item to someone else")
    with store.lock("wb_items"), store.transaction():
        item = get(store, item_id)
        if item["assignee"] not in (None, user.name) and not user.may("supervisor"):
            raise QueueError(409, f"item {item_id} is assigned to {item['assignee']}")
        if assignee is not None and sql.user_by_name(store, assignee) is None:
            raise QueueError(422, f"no user {assignee!r}")
        sql.update_item(store, item_id, {"assignee": assignee})
        _log_item(store, settings, user, "assign", item_id, {"assignee": assignee, "was": item["assignee"]})
        return get(store, item_id)


def bulk(
    store: Store,
    settings: WorkbenchSettings,
    user: User,
    ids: list[int],
    op: str,
    *,
    action: str | None = None,
    reason: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    """A supervisor's bulk assignment or decision over many items; each item succeeds or fails on its own and
    the answer lists which."""
    if not user.may("supervisor"):
        raise QueueError(403, f"role {user.role} may not act in bulk: supervisors only")
    if op not in ("assign", "decision"):
        raise QueueError(422, "op must be assign or decision")
    if op == "decision":
        if action is None:
            raise QueueError(422, "a bulk decision needs an action")
        _require_reason(reason)
    done, failed = [], []
    for item_id in dict.fromkeys(ids):
        try:
            if op == "assign":
                assign(store, settings, user, item_id, assignee)
            else:
                decide(store, settings, user, item_id, action or "", reason)
            done.append(item_id)
        except QueueError as error:
            failed.append({"id": item_id, "status": error.status, "error": error.message})
    return {"done": done, "failed": failed}
