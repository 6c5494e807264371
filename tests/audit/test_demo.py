"""The demo hook on generator output: a complete audit whose simulated tests follow the truth file."""

from __future__ import annotations

import csv

from parcelaudit.audit.demo import ACTOR, CLAIM_FAILS, run_demo
from parcelaudit.audit.evaluate import latest_evaluation
from parcelaudit.audit.results import sampled_results
from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.reports.audit_report import write_report
from parcelaudit.store import Store


def test_demo_audits_one_generated_importer(store_target, tmp_path):
    generate_dataset(tmp_path / "data", parcels=3000, seed=11, rate=0.01)
    with Store.open(store_target) as store:
        for name in ("shipments", "lines", "orders", "payments"):
            ingest_file(store, tmp_path / "data" / f"{name}.csv", rejects_dir=tmp_path / "rejects")
        audit_id, sheet = run_demo(store, tmp_path / "audit")
        assert store.scalar("SELECT audit_id FROM audits") == audit_id
        paths = [*write_report(store, audit_id, tmp_path / "audit", actor=ACTOR), sheet]
        evaluation = latest_evaluation(store, audit_id)
        items = {i["item_id"]: i for i in sampled_results(store, audit_id).to_pylist()}
        prices = dict(
            store.fetch("""SELECT s.shipment_id, sum(o.quantity * o.unit_price) FROM shipments s
                           JOIN orders o USING (order_id) GROUP BY s.shipment_id""")
        )
    suffixes = sorted(p.suffix for p in paths)
    assert suffixes == [".csv", ".html", ".pdf", ".xlsx"] and all(p.stat().st_size > 0 for p in paths)
    loss = evaluation["loss"]["0.90"]
    assert loss["lower"] <= loss["point"] <= loss["upper"]
    assert evaluation["demand"] == max(loss["lower"], 0.0)
    # The simulated auditor tests every item: none is left untested (and so none counted as an error).
    assert evaluation["untested"]["count"] == 0
    assert all(i["test"] in ("correct", "error") for i in items.values())
    with (tmp_path / "data" / "truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    undervalued = {t["shipment_id"] for t in truth if t["kind"] == "undervalued"} & set(items)
    claims = {t["shipment_id"] for t in truth if t["kind"] in CLAIM_FAILS} & set(items)
    assert undervalued or claims, "the sample should meet some injected problems at rate 0.01"
    for sid in undervalued:
        assert abs(items[sid]["corrected_value"] - prices[sid]) < 0.02
    for sid in claims:
        if items[sid]["entry_type"] in ("321", "86"):
            assert items[sid]["duty_free"] is False and items[sid]["audited_duty"] >= items[sid]["book_duty"]
