"""Books and records: every planted difference is found, with its evidence, and nothing else."""

from __future__ import annotations

from parcelaudit.audit.scope import reconcile_scope
from parcelaudit.store import Store
from tests.audit.conftest import END, IMPORTER, START


def test_reconcile_finds_planted_differences(books):
    scope = {
        "importer": IMPORTER,
        "importer_by": "seller_name",
        "period_start": START,
        "period_end": END,
        "scope_filters": {},
    }
    with Store.open(books["db"]) as store:
        result = reconcile_scope(store, scope)
    planted = books["planted"]
    never = sorted(result.orders_never_shipped["order_id"].to_pylist())
    assert never == sorted(planted["never_shipped"] + planted["orphan_orders"])
    assert planted["orphan_orders"]
    assert sorted(result.parcels_without_order["shipment_id"].to_pylist()) == sorted(planted["no_order"])
    flagged = set(result.value_differences["shipment_ids"].to_pylist())
    expected_under = {s for s in planted["undervalued"] if s not in planted["no_order"]}
    assert flagged == expected_under
    assert all(d > 0 for d in result.value_differences["difference"].to_pylist())
    short = {
        r["order_id"] for r in result.payment_differences.to_pylist() if r["evidence"].startswith("paid less")
    }
    assert short == set(planted["payment_short"])
    # Ghost orders are paid in full (order total includes shipping), so they are not payment differences.
    assert not set(planted["never_shipped"]) & {r["order_id"] for r in result.payment_differences.to_pylist()}
    monthly = result.monthly.to_pylist()
    assert sum(m["parcels"] for m in monthly) == result.summary["parcels"]
    assert result.summary["undervaluation_total"] > 0
