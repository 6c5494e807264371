"""De minimis rules at every timeline boundary, at $800.00 vs $800.01, and across parcels and orders."""

from __future__ import annotations

from datetime import date

import pytest

from parcelaudit.rules.policy import POLICY_DIR, load_policy
from tests.rules.builders import parcels
from tests.rules.conftest import run_rule

CN = {"country_of_shipment": "CN", "lines": [{"country_of_origin": "CN", "manufacturer_country": "CN"}]}
VN = {"country_of_shipment": "VN"}


@pytest.mark.parametrize(
    ("origin", "day", "expected"),
    [
        (CN, date(2025, 5, 1), False),  # the day before EO 14256 took effect
        (CN, date(2025, 5, 2), True),  # 12:01 a.m. Eastern on 2025-05-02: the arrival date itself
        (VN, date(2025, 5, 2), False),  # the CN/HK suspension does not reach Vietnamese goods
        (VN, date(2025, 8, 28), False),
        (VN, date(2025, 8, 29), True),  # all-country suspension (EO 14324)
        (VN, date(2026, 6, 24), True),  # interim final rules keep it
        (VN, date(2027, 6, 30), True),
        (VN, date(2027, 7, 1), True),  # statutory repeal
        (CN, date(2016, 3, 10), False),
    ],
)
def test_eligibility_follows_the_timeline(flagged, origin, day, expected):
    shipments, lines = parcels({**origin, "entry_type": "321", "arrival_date": day})
    assert (flagged("DM-ELIG", shipments, lines) == ["S1"]) is expected


def test_hong_kong_goods_suspended_from_2025_05_02(flagged):
    spec = {"entry_type": "86", "country_of_shipment": "HK", "lines": [{"country_of_origin": "HK"}]}
    shipments, lines = parcels(
        {**spec, "arrival_date": date(2025, 5, 1)}, {**spec, "arrival_date": date(2025, 5, 2)}
    )
    assert flagged("DM-ELIG", shipments, lines) == ["S2"]


def test_origin_of_any_line_counts_and_evidence_names_it():
    shipments, lines = parcels(
        {
            "entry_type": "321",
            "arrival_date": date(2025, 6, 1),
            "country_of_shipment": "VN",
            "lines": [{}, {"country_of_origin": "CN"}],
        }
    )
    [finding] = run_rule("DM-ELIG", shipments, lines)
    assert finding["variant"] == "EO14256-CN" and '"origins":["CN"]' in finding["evidence"]
    assert "14256" in finding["citation"]


def test_gift_claims_through_321_are_rejected_during_suspension_unless_policy_exempts_them(flagged, tmp_path):
    base = {"entry_type": "321", "arrival_date": date(2025, 9, 15), "gift": True}
    shipments, lines = parcels({**base, "declared_value": 100.0}, {**base, "declared_value": 100.01})
    assert flagged("DM-ELIG", shipments, lines) == ["S1", "S2"]
    assert flagged("DM-VALUE", shipments, lines) == []  # no threshold is in force while suspended
    table = (
        (POLICY_DIR / "de_minimis_suspensions.csv").read_text(encoding="utf-8").replace(",false,", ",true,")
    )
    (tmp_path / "de_minimis_suspensions.csv").write_text(table, encoding="utf-8")
    exempt = load_policy(str(tmp_path))
    assert flagged("DM-ELIG", shipments, lines, policy=exempt) == []
    assert flagged("DM-VALUE", shipments, lines, policy=exempt) == ["S2"]


def test_suspended_claims_are_judged_by_eligibility_alone(flagged):
    shipments, lines = parcels(
        {"entry_type": "321", "arrival_date": date(2025, 9, 1), "declared_value": 1200.0}
    )
    assert flagged("DM-ELIG", shipments, lines) == ["S1"]
    assert flagged("DM-VALUE", shipments, lines) == []


def test_formal_and_informal_entries_are_not_de_minimis_claims(flagged):
    shipments, lines = parcels(
        {"entry_type": "11", "arrival_date": date(2025, 9, 1), "declared_value": 2500.0},
        {"entry_type": "01", "arrival_date": date(2025, 9, 1), "declared_value": 2500.0},
    )
    for rule_id in ("DM-ELIG", "DM-VALUE", "DM-AGG", "DM-SPLIT", "DM-EXCL"):
        assert flagged(rule_id, shipments, lines) == [], rule_id


def test_value_threshold_800_00_passes_800_01_fails(flagged):
    shipments, lines = parcels(
        {"entry_type": "321", "declared_value": 800.00}, {"entry_type": "321", "declared_value": 800.01}
    )
    assert flagged("DM-VALUE", shipments, lines) == ["S2"]


def test_threshold_before_tftea_was_200(flagged):
    shipments, lines = parcels(
        {"entry_type": "321", "declared_value": 250.0, "arrival_date": date(2016, 3, 9)},
        {"entry_type": "321", "declared_value": 250.0, "arrival_date": date(2016, 3, 10)},
    )
    assert flagged("DM-VALUE", shipments, lines) == ["S1"]


def test_gift_threshold_is_100_and_200_from_insular_areas(flagged):
    gift = {"entry_type": "321", "gift": True, "declared_value": 150.0}
    shipments, lines = parcels({**gift}, {**gift, "country_of_shipment": "GU"})
    assert flagged("DM-VALUE", shipments, lines) == ["S1"]


def _consignee_day(values, orders=None, day=date(2024, 5, 1), **extra):
    specs = []
    for number, value in enumerate(values):
        specs.append(
            {
                "entry_type": "321",
                "declared_value": value,
                "arrival_date": day,
                "consignee_name": "ANN SMITH" if number % 2 else "Ann  Smith",
                "consignee_address": "1 Main St., Springfield IL"
                if number % 2
                else "1 main st springfield il",
                "order_id": orders[number] if orders else f"O{number}",
                **extra,
            }
        )
    return parcels(*specs)


def test_aggregation_across_parcels_of_one_consignee_day(flagged):
    assert flagged("DM-AGG", *_consignee_day([400.0, 400.0])) == []  # exactly $800.00
    assert flagged("DM-AGG", *_consignee_day([400.0, 400.01])) == ["S1", "S2"]
    assert flagged("DM-AGG", *_consignee_day([300.0, 300.0, 300.0])) == ["S1", "S2", "S3"]


def test_aggregation_needs_the_same_day_and_same_person(flagged):
    s1, l1 = parcels(
        {"entry_type": "321", "declared_value": 500.0, "arrival_date": date(2024, 5, 1)},
        {"entry_type": "321", "declared_value": 500.0, "arrival_date": date(2024, 5, 2)},
        {"entry_type": "321", "declared_value": 500.0, "consignee_name": "Bob Jones"},
    )
    assert flagged("DM-AGG", s1, l1) == []


def test_aggregation_of_one_order_is_left_to_the_split_rule(flagged):
    shipments, lines = _consignee_day([500.0, 500.0], orders=["A", "A"])
    assert flagged("DM-AGG", shipments, lines) == []
    assert flagged("DM-SPLIT", shipments, lines) == ["S1", "S2"]


def test_split_order_across_days_over_threshold(flagged):
    shipments, lines = parcels(
        {"entry_type": "321", "order_id": "A", "declared_value": 450.0, "arrival_date": date(2024, 5, 1)},
        {
            "entry_type": "321",
            "order_id": "A",
            "declared_value": 350.01,
            "arrival_date": date(2024, 5, 3),
            "consignee_name": "Other Name",
        },
        {"entry_type": "321", "order_id": "B", "declared_value": 400.0},
        {"entry_type": "321", "order_id": "B", "declared_value": 400.0},
    )
    findings = run_rule("DM-SPLIT", shipments, lines)
    assert sorted({f["shipment_id"] for f in findings}) == ["S1", "S2"]
    assert '"total":800.01' in findings[0]["evidence"]


def test_excluded_goods_by_category_origin_and_date(flagged):
    shipments, lines = parcels(
        {"entry_type": "321", "lines": [{"hts_code": "2204215020", "description": "Red wine"}]},
        {"entry_type": "321", "lines": [{"hts_code": "2402208000", "description": "Cigarettes"}]},
        {
            "entry_type": "321",
            "lines": [{"hts_code": "0409000010", "description": "Honey", "country_of_origin": "CN"}],
        },
        {
            "entry_type": "321",
            "lines": [{"hts_code": "0409000010", "description": "Honey", "country_of_origin": "VN"}],
        },  # AD order is on Chinese honey only
        {
            "entry_type": "321",
            "arrival_date": date(2001, 12, 9),
            "lines": [{"hts_code": "0409000010", "description": "Honey", "country_of_origin": "CN"}],
        },
        {"entry_type": "11", "lines": [{"hts_code": "2204215020", "description": "Red wine"}]},
    )
    findings = run_rule("DM-EXCL", shipments, lines)
    assert [(f["shipment_id"], f["variant"]) for f in findings] == [
        ("S1", "alcohol"),
        ("S2", "tobacco"),
        ("S3", "adcvd"),
    ]


def test_clean_de_minimis_parcel_stays_clean(flagged):
    shipments, lines = parcels(
        {"entry_type": "321", "declared_value": 799.99, "arrival_date": date(2024, 5, 1)}
    )
    for rule_id in ("DM-ELIG", "DM-VALUE", "DM-AGG", "DM-SPLIT", "DM-EXCL"):
        assert flagged(rule_id, shipments, lines) == [], rule_id
