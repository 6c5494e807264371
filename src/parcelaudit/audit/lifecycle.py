"""The audit's life: new -> planned -> sampled -> recorded -> evaluated -> reported, versions opened with a
reason (the old one stays readable), discarding recorded instead of deleting.

The importer is identified by an exact seller_name (default) or marketplace_name on the parcels; the
population is that importer's parcels (or their lines) arriving in the period, optionally narrowed by
equality filters on other shipment columns (e.g. {"entry_type": "321"}).
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import date

from parcelaudit.audit.importers import require_importer
from parcelaudit.audit.population import UNITS, check_importer_by
from parcelaudit.audit.steplog import actor_name, log_step, now
from parcelaudit.errors import ParcelAuditError
from parcelaudit.schema import SHIPMENTS
from parcelaudit.store import audits as stored

STATUS_ORDER = ("new", "planned", "sampled", "recorded", "evaluated", "reported")
# An audit id becomes part of file names: letters, digits, "-" and "_" only (no dots, slashes or spaces).
AUDIT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
VERSION_SUFFIX = re.compile(r"(.+)\.v([1-9][0-9]*)")
_STEP_OF = {"planned": "plan", "sampled": "sample", "recorded": "record", "evaluated": "evaluate"}


def get_audit(store, audit_id: str) -> dict:
    """The audit's row as a dict. `A-x` is the audit's current (latest) version, `A-x.vN` its version N;
    a user error naming the id when it does not exist."""
    match = VERSION_SUFFIX.fullmatch(audit_id)
    audit = stored.find_audit(store, match[1], int(match[2])) if match else stored.find_audit(store, audit_id)
    if audit is None:
        known = stored.known_audit_ids(store)
        close = difflib.get_close_matches(audit_id, known, n=1)
        raise ParcelAuditError(
            f"no audit {audit_id!r}",
            field="audit_id",
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + f"known audits: {', '.join(known[-10:]) or 'none; run `audit new` first'} (`audit list`)",
        )
    audit["scope_filters"] = json.loads(audit["scope_filters"])
    audit["latest_version"] = stored.latest_version(store, audit["base_id"])
    return audit


def version_label(audit: dict) -> str:
    """How a version is named to users: A-x.vN."""
    return f"{audit['base_id']}.v{audit['version']}"


def require_writable(audit: dict) -> None:
    """A user error unless steps may still be added to this version (not discarded, not superseded)."""
    if audit.get("discarded_at") is not None:
        raise ParcelAuditError(
            f"audit {audit['base_id']} was discarded by {audit['discarded_by']} on {audit['discarded_at']}",
            field="audit_id",
            hint="it stays readable (`audit show`); start a new audit with `audit new`",
        )
    if audit["version"] < audit["latest_version"]:
        raise ParcelAuditError(
            f"{version_label(audit)} is superseded by version {audit['latest_version']}",
            field="audit_id",
            hint=f"old versions are read-only; work on {audit['base_id']} (the current version)",
        )


def refuse(audit: dict, step: str, would_lose: str) -> None:
    """A user error: running `step` now would discard what the version holds (a new version is needed)."""
    raise ParcelAuditError(
        f"audit {audit['base_id']} (version {audit['version']}) is {audit['status']}: `audit {step}` now "
        f"would discard its {would_lose}",
        field="status",
        hint=f'open a new version with `audit version {audit["base_id"]} --reason "..."`; '
        "this version and its results stay readable",
    )


def reached(audit: dict, status: str) -> bool:
    """True when the audit version has reached status (or gone past it)."""
    return STATUS_ORDER.index(audit["status"]) >= STATUS_ORDER.index(status)


def require_status(audit: dict, status: str) -> None:
    """A user error naming the step to run first, unless the version has reached status."""
    if not reached(audit, status):
        raise ParcelAuditError(
            f"audit {audit['audit_id']} is {audit['status']}: run `audit {_STEP_OF[status]}` first",
            field="status",
        )


def set_status(store, audit_id: str, status: str) -> None:
    """Move an audit version to status (one of STATUS_ORDER)."""
    stored.set_status(store, audit_id, status)


def _check_new(unit: str, period_start: date, period_end: date, filters: dict, audit_id: str | None) -> None:
    if unit not in UNITS:
        raise ParcelAuditError(f"unknown audit unit {unit!r}", field="unit", hint=" or ".join(UNITS))
    if period_end < period_start:
        raise ParcelAuditError(
            "the period ends before it starts", field="period", hint="swap --from and --to"
        )
    for column in filters:
        if column not in SHIPMENTS.names or not re.fullmatch(r"[a-z_]+", column):
            raise ParcelAuditError(
                f"cannot filter on {column!r}",
                field="filters",
                hint="use a shipments column, e.g. entry_type=321",
            )
    if audit_id is not None and not AUDIT_ID.fullmatch(audit_id):
        raise ParcelAuditError(
            f"audit id {audit_id!r} is not allowed",
            field="--id",
            hint="use 1-64 letters, digits, '-' or '_' (it becomes part of file names), e.g. A-2025-ACME",
        )


def new_audit(
    store,
    importer: str,
    period_start: date,
    period_end: date,
    *,
    by: str = "seller_name",
    unit: str = "parcel",
    filters: dict[str, str] | None = None,
    audit_id: str | None = None,
    actor: str | None = None,
) -> str:
    """Create an audit of one importer and period; returns its id (A-YYYYMMDD-NNN unless given)."""
    check_importer_by(by)
    filters = filters or {}
    _check_new(unit, period_start, period_end, filters, audit_id)
    found = require_importer(store, importer, by, period_start, period_end)
    with store.transaction():
        if audit_id is None:
            prefix = f"A-{now():%Y%m%d}-"
            audit_id = f"{prefix}{stored.count_audits_like(store, prefix) + 1:03d}"
        elif stored.audit_exists(store, audit_id):
            raise ParcelAuditError(
                f"audit {audit_id!r} already exists",
                field="--id",
                hint="choose another id, or open a new version with `audit version`",
            )
        scope = {
            "importer_by": by,
            "importer": importer,
            "period_start": period_start,
            "period_end": period_end,
            "unit": unit,
            "scope_filters": filters,
        }
        _insert_version(store, audit_id, audit_id, 1, None, scope, actor)
        parameters = {
            "importer": importer,
            "by": by,
            "period_start": period_start,
            "period_end": period_end,
            "unit": unit,
            "filters": filters,
        }
        log_step(
            store,
            audit_id,
            "new",
            actor,
            parameters,
            {"audit_id": audit_id, "parcels_in_period": found["parcels_in_period"]},
        )
    return audit_id


def _insert_version(
    store, audit_id: str, base_id: str, version: int, reason: str | None, scope: dict, actor: str | None
) -> None:
    stored.insert_audit(
        store,
        {
            "audit_id": audit_id,
            **{k: scope[k] for k in ("importer_by", "importer", "period_start", "period_end", "unit")},
            "scope_filters": json.dumps(scope["scope_filters"]),
            "created_by": actor_name(actor),
            "created_at": now(),
            "base_id": base_id,
            "version": version,
            "version_reason": reason,
        },
    )


def open_version(store, audit_id: str, reason: str, *, actor: str | None = None) -> dict:
    """Open the next version of an audit (same importer, period, unit and filters) for a stated reason.
    The plan (population and strata) is carried over when the current version has one, so the new version
    starts `planned`; the sample, results and evaluations stay with the old version, which stays readable."""
    if not reason or not reason.strip():
        raise ParcelAuditError(
            "a new version needs a reason", field="--reason", hint='e.g. --reason "sample sheet lost"'
        )
    audit = get_audit(store, audit_id)
    require_writable(audit)
    base, version = audit["base_id"], audit["version"] + 1
    new_id = f"{base}.v{version}"
    old_id = audit["audit_id"]
    keep_plan = reached(audit, "planned")
    with store.transaction():
        _insert_version(store, new_id, base, version, reason.strip(), audit, actor)
        if keep_plan:
            stored.copy_plan(store, old_id, new_id)
            set_status(store, new_id, "planned")
        parameters = {"reason": reason.strip(), "from_version": audit["version"]}
        log_step(store, old_id, "superseded", actor, parameters, {"new_version": version})
        log_step(
            store, new_id, "version", actor, parameters, {"version": version, "plan_carried_over": keep_plan}
        )
    return get_audit(store, base)


def discard_audit(store, audit_id: str, reason: str, *, actor: str | None = None) -> dict:
    """Mark an audit (all its versions) discarded, with who, when and why; nothing is deleted."""
    if not reason or not reason.strip():
        raise ParcelAuditError(
            "discarding an audit needs a reason", field="--reason", hint='e.g. --reason "wrong importer"'
        )
    audit = get_audit(store, audit_id)
    require_writable(audit)
    with store.transaction():
        stored.mark_discarded(store, audit["base_id"], actor_name(actor), now(), reason.strip())
        log_step(store, audit["audit_id"], "discard", actor, {"reason": reason.strip()}, {})
    return get_audit(store, audit["base_id"])


def list_audits(store, include_discarded: bool = True) -> list[dict]:
    """Every audit's current version: id, importer, period, status, version, who created it, discarded."""
    rows = stored.current_audits(store)
    return [r for r in rows if include_discarded or r["discarded_at"] is None]


def versions(store, audit_id: str) -> list[dict]:
    """Every version of an audit, oldest first, with its stored id, status and reason."""
    return stored.audit_versions(store, get_audit(store, audit_id)["base_id"])
