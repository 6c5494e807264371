"""FL-REGION with the shared Xinjiang detector and SCREEN-* with the screening package (both real)."""

from __future__ import annotations

import pyarrow as pa

from parcelaudit.pipeline.screen import screen_parties
from parcelaudit.rules.context import RuleContext
from tests.rules.builders import parcels
from tests.rules.conftest import run_rule


def test_xinjiang_addresses_are_flagged_with_their_signals():
    shipments, lines = parcels(
        {"seller_address": "88 Renmin Road, Kashgar, Xinjiang", "seller_country": "CN"},
        {"lines": [{"manufacturer_address": "新疆乌鲁木齐市天山区", "manufacturer_country": "CN"}]},
        {
            "seller_address": "XinXing Industrial Park, Ningbo",
            "seller_country": "CN",
        },  # a known false positive
        {"shipper_address": "Aksu, Antalya", "shipper_country": "TR"},
        {"seller_address": "乌鲁木齐市经济技术开发区281号", "seller_country": "HK"},  # a HK trader in Urumqi
    )
    findings = run_rule("FL-REGION", shipments, lines)
    assert [(f["shipment_id"], f["line_no"], f["variant"]) for f in findings] == [
        ("S1", None, "seller"),
        ("S2", 1, "manufacturer"),
        ("S5", None, "seller"),
    ]
    assert "kashgar" in findings[0]["evidence"].lower() and "新疆" in findings[1]["evidence"]


def test_listed_entity_names_are_screened_once_per_distinct_name():
    shipments, lines = parcels(
        {"seller_name": "XINJIANG DAQO NEW ENERGY CO LTD", "seller_country": "CN"},
        {
            "lines": [
                {
                    "manufacturer_name": "Xinjiang Daqo New Energy Company Limited",
                    "manufacturer_country": "CN",
                }
            ]
        },
        {"seller_name": "Hanoi Home Goods Co"},
    )
    found, snapshots = screen_parties(RuleContext(shipments, lines))
    findings = found.to_pylist()
    assert snapshots  # the run can name the lists it screened against
    assert sorted((f["shipment_id"], f["rule_id"], f["variant"]) for f in findings) == [
        ("S1", "SCREEN-UFLPA", "seller"),
        ("S2", "SCREEN-UFLPA", "manufacturer"),
    ]
    assert all('"entry_id":"UFLPA-' in f["evidence"] for f in findings)


def test_screening_hits_hold_the_parcel():
    from parcelaudit.pipeline import evaluate

    shipments, lines = parcels(
        {"seller_name": "Xinjiang Daqo New Energy Co., Ltd.", "seller_country": "CN"}, {}
    )
    result = evaluate(shipments, lines, None)
    decisions = {r["shipment_id"]: r for r in result.decisions.to_pylist()}
    assert decisions["S1"]["decision"] == "hold" and "SCREEN-UFLPA" in decisions["S1"]["reasons"]
    assert decisions["S2"]["decision"] == "release"
    assert isinstance(result.findings, pa.Table)
