"""Issue 5's five fixtures: each chain gets the right verdict and exactly the right reason codes."""

from __future__ import annotations

import pytest

EXPECTED = {
    "clean": ("clear", set()),
    "xinjiang_gin": ("exposed", {"XINJIANG-FACILITY"}),
    "listed_spinner": ("exposed", {"LISTED-ENTITY"}),
    "fabric_over_yield": ("review", {"QUANTITY-MISMATCH"}),
    "missing_yarn_invoice": ("review", {"MISSING-DOCUMENT"}),
}
GIN, SPINNER, WEAVER = (f"urn:epc:id:sgln:9521234.{n}.0" for n in ("00012", "00013", "00014"))


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_verdict_and_reason_codes(traced, variant):
    result = traced[variant]
    verdict, codes = EXPECTED[variant]
    assert result.verdict == verdict, [r.detail for r in result.reasons]
    assert {r.code for r in result.reasons} == codes


def test_clean_chain_is_fully_traced_to_raw_material(traced):
    result = traced["clean"]
    assert result.coverage == 1.0
    assert [t["materials"] for t in result.tiers] == [
        ["garment"],
        ["fabric"],
        ["yarn"],
        ["lint"],
        ["seed_cotton"],
    ]
    assert all(step.problem is None for step in result.steps) and len(result.steps) == 4
    assert {s["sector"] for s in result.sectors} == {"apparel", "cotton and cotton products"}


def test_xinjiang_reason_names_the_gin_and_explains_itself(traced):
    (reason,) = traced["xinjiang_gin"].reasons
    assert reason.facility_id == GIN and reason.tier == 3
    assert "romanised: aksu" in reason.detail and "postcode: 843000" in reason.detail


def test_listed_reason_names_the_spinner_and_the_listed_alias(traced):
    (reason,) = traced["listed_spinner"].reasons
    assert reason.facility_id == SPINNER
    assert "UFLPA" in reason.detail and "Changji Yida Textile" in reason.detail


def test_quantity_reason_names_the_weaver_and_the_limit(traced):
    (reason,) = traced["fabric_over_yield"].reasons
    assert reason.facility_id == WEAVER
    assert "10,000.0 kg exceeds yarn input 9,500.0 kg" in reason.detail and "9,120.0" in reason.detail


def test_missing_invoice_reason_names_the_yarn_shipment(traced):
    (reason,) = traced["missing_yarn_invoice"].reasons
    assert reason.facility_id == SPINNER and reason.tier == 2
    assert "no invoice" in reason.detail and "YARN" in reason.detail


def test_verdict_json_has_the_contract_shape(traced):
    data = traced["xinjiang_gin"].verdict_json()
    assert {"product", "verdict", "coverage", "reasons"} <= set(data)
    assert data["reasons"][0].keys() >= {"code", "facility_id", "detail"}
