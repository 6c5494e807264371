"""Traced supply chains reach the checks: a line's SKU carries its trace verdict into the decision."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from parcelaudit.ingest import ingest_file
from parcelaudit.pipeline import run_check
from parcelaudit.store import Store
from parcelaudit.store.traces import save_trace_verdict
from tests.rules.builders import parcels

TEE = {
    "hts_code": "6109100012",
    "description": "Men's cotton T-shirt",
    "country_of_origin": "CN",
    "manufacturer_name": "Ningbo Knitting Co",
    "manufacturer_address": "8 Renmin Road, Ningbo",
    "manufacturer_country": "CN",
}


def _store_with_parcels(tmp_path, store_target) -> Store:
    shipments, lines = parcels(
        {"lines": [{**TEE, "sku": "TEE-CLEAR"}], "arrival_date": date(2025, 9, 2)},
        {"lines": [{**TEE, "sku": "TEE-EXPOSED"}], "arrival_date": date(2025, 9, 2)},
        {"lines": [{**TEE, "sku": "TEE-REVIEW"}], "arrival_date": date(2025, 9, 2)},
        {"lines": [{**TEE, "sku": "TEE-UNTRACED"}], "arrival_date": date(2025, 9, 2)},
    )
    shipments = shipments.set_column(
        shipments.schema.get_field_index("entry_type"), "entry_type", pa.array(["11"] * shipments.num_rows)
    )
    pq.write_table(shipments, tmp_path / "shipments.parquet")
    pq.write_table(lines, tmp_path / "lines.parquet")
    store = Store.open(store_target)
    for name in ("shipments", "lines"):
        assert ingest_file(store, tmp_path / f"{name}.parquet", rejects_dir=None).rows_rejected == 0
    return store


def _verdict(product: str, verdict: str, sku: str) -> dict:
    reasons = (
        [] if verdict == "clear" else [{"code": "XINJIANG-FACILITY", "facility_id": "gin-1", "detail": "x"}]
    )
    return {"product": product, "verdict": verdict, "coverage": 1.0, "reasons": reasons, "skus": [sku]}


def test_trace_verdicts_decide_sector_lines_and_untraced_stay_at_review(tmp_path, store_target):
    with _store_with_parcels(tmp_path, store_target) as store:
        save_trace_verdict(store, _verdict("tee-a", "clear", "TEE-CLEAR"))
        save_trace_verdict(store, _verdict("tee-b", "exposed", "TEE-EXPOSED"))
        save_trace_verdict(store, _verdict("tee-c", "review", "TEE-REVIEW"))
        result = run_check(store, screening=False)
    decisions = {r["shipment_id"]: r for r in result.decisions.to_pylist()}
    findings = {(r["shipment_id"], r["rule_id"]) for r in result.findings.to_pylist()}
    assert decisions["S1"]["decision"] == "release" and ("S1", "FL-TRACE") in findings
    assert ("S1", "FL-SECTOR") not in findings
    assert decisions["S2"]["decision"] == "hold" and "FL-TRACE" in decisions["S2"]["reasons"]
    assert decisions["S3"]["decision"] == "review" and "FL-TRACE" in decisions["S3"]["reasons"]
    assert decisions["S4"]["decision"] == "review" and ("S4", "FL-SECTOR") in findings
    assert ("S4", "FL-TRACE") not in findings


def test_without_traces_every_sector_line_is_flagged(tmp_path, store_target):
    with _store_with_parcels(tmp_path, store_target) as store:
        result = run_check(store, screening=False)
    assert {r["shipment_id"] for r in result.findings.to_pylist() if r["rule_id"] == "FL-SECTOR"} == {
        "S1",
        "S2",
        "S3",
        "S4",
    }
