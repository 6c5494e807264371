"""An audit's scope read from the store: the importer's shipments and lines in the period, and the orders,
payments and parcels that reconcile its books (a grace period before and after the period)."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa

from parcelaudit.audit.importers import require_importer
from parcelaudit.audit.reconcile import Reconciliation, reconcile
from parcelaudit.store import audits as stored

RECONCILE_GRACE_DAYS = 60  # orders placed up to two months before the period can arrive in it


def load_scope(store, audit: dict, *, widen: int = 0) -> tuple[pa.Table, pa.Table]:
    """The importer's shipments and their lines in the audit period (plus `widen` days after it)."""
    return stored.scope_tables(
        store,
        audit["importer_by"],
        audit["importer"],
        audit["period_start"],
        audit["period_end"] + timedelta(days=widen),
        audit["scope_filters"],
    )


def reconcile_scope(store, audit: dict) -> Reconciliation:
    """Reconcile the audited importer's orders, payments and parcels for the audit period (audit: a stored
    audit, or a dict with importer, importer_by, period_start, period_end and scope_filters)."""
    require_importer(store, audit["importer"], audit["importer_by"])
    start = audit["period_start"] - timedelta(days=RECONCILE_GRACE_DAYS)
    shipments, _ = load_scope(store, audit, widen=RECONCILE_GRACE_DAYS)
    orders = stored.importer_orders(
        store, audit["importer_by"], audit["importer"], start, audit["period_end"]
    )
    ids = sorted(set(orders["order_id"].to_pylist()) | {o for o in shipments["order_id"].to_pylist() if o})
    payments = stored.payments_of(store, ids)
    return reconcile(shipments, orders, payments, period=(audit["period_start"], audit["period_end"]))
