"""VAL-UNDER against the orders and DATA-MISSING per entry type."""

from __future__ import annotations

from datetime import date

from tests.rules.builders import orders_for, parcels
from tests.rules.conftest import run_rule


def test_undervaluation_needs_both_tolerances(flagged):
    shipments, lines = parcels(
        {"declared_value": 89.0}, {"declared_value": 90.0}, {"declared_value": 30.0}, {"declared_value": 40.0}
    )
    orders = orders_for(shipments, {"O1": 100.0, "O2": 100.0, "O3": 35.5, "O4": 40.0})
    # O1: 11% and $11 below -> flagged; O2: exactly 10% -> clean; O3: 15% but $5.50... flagged; O4 equal -> clean
    assert flagged("VAL-UNDER", shipments, lines, orders) == ["S1", "S3"]


def test_undervaluation_compares_the_whole_order_across_parcels(flagged):
    shipments, lines = parcels(
        {"order_id": "A", "declared_value": 60.0},
        {"order_id": "A", "declared_value": 40.0},
        {"order_id": "B", "declared_value": 30.0},
        {"order_id": "B", "declared_value": 20.0},
    )
    orders = orders_for(shipments, {"B": 80.0})
    assert flagged("VAL-UNDER", shipments, lines, orders) == ["S3", "S4"]


def test_undervaluation_needs_orders(flagged):
    shipments, lines = parcels({"declared_value": 1.0})
    assert flagged("VAL-UNDER", shipments, lines, None) == []


def test_missing_elements_by_entry_type_and_proposal():
    shipments, lines = parcels(
        {
            "entry_type": "86",
            "arrival_date": date(2024, 5, 1),
            "shipper_address": "",
            "lines": [{"hts_code": "610910"}],
        },
        {
            "entry_type": "11",
            "arrival_date": date(2025, 10, 1),
            "seller_name": None,
        },  # invoice names the seller
        {
            "entry_type": "321",
            "arrival_date": date(2025, 3, 1),
            "seller_name": None,
            "lines": [{"sku": None, "listing_url": None, "image_url": None}],
        },
        {"entry_type": "321", "arrival_date": date(2024, 12, 1), "seller_name": None},  # before the NPRM
    )
    found = {
        (f["shipment_id"], f["variant"], f["evidence"].split('"field":"')[1].split('"')[0])
        for f in run_rule("DATA-MISSING", shipments, lines)
    }
    assert found == {
        ("S1", "required", "shipper_address"),
        ("S1", "required", "hts_code"),
        ("S2", "required", "seller_name"),
        ("S3", "proposed", "seller_name"),
        ("S3", "proposed", "listing_url|image_url|sku"),
    }


def test_complete_parcels_have_nothing_missing():
    shipments, lines = parcels(
        {"entry_type": "86", "arrival_date": date(2025, 3, 1)},
        {"entry_type": "01", "arrival_date": date(2026, 1, 5)},
    )
    assert run_rule("DATA-MISSING", shipments, lines) == []
