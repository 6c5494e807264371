"""De minimis rules at every timeline boundary, at $800.00 vs $800.01, and across parcels and orders."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from parcelaudit.decide import decide, load_severity_policy
from parcelaudit.rules.consignee import normalise_address, normalise_name
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.policy import POLICY_DIR, load_policy
from parcelaudit.rules.registry import all_rules
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


def test_parcels_of_one_split_order_arriving_the_same_day_carry_both_agg_and_split(flagged):
    shipments, lines = _consignee_day([500.0, 500.0], orders=["A", "A"])
    assert flagged("DM-AGG", shipments, lines) == ["S1", "S2"]
    split = run_rule("DM-SPLIT", shipments, lines)
    assert [(f["shipment_id"], f["variant"]) for f in split] == [("S1", "same-day"), ("S2", "same-day")]


WHITFIELD = (
    "Dana Whitfield|55 Orchard Street, Apt 2C, Tampa, FL 33602",
    "DANA WHITFIELD|55 ORCHARD ST APT 2C TAMPA FL 33602",
    "Dana  Whitfield |55 Orchard St., Apt. 2C, Tampa, FL 33602",
)


def test_address_variants_of_one_consignee_aggregate_and_the_key_is_in_the_evidence():
    shipments, lines = parcels(
        *[
            {
                "entry_type": "321",
                "declared_value": 350.0,
                "arrival_date": date(2024, 5, 1),
                "consignee_name": variant.split("|")[0],
                "consignee_address": variant.split("|")[1],
            }
            for variant in WHITFIELD
        ],
        {
            "entry_type": "321",
            "declared_value": 350.0,
            "arrival_date": date(2024, 5, 1),
            "consignee_name": "Dana Whitfield",
            "consignee_address": "55 Orchard Street, Apt 3C, Tampa, FL 33602",  # another flat
        },
    )
    found = run_rule("DM-AGG", shipments, lines)
    assert [f["shipment_id"] for f in found] == ["S1", "S2", "S3"]
    evidence = json.loads(found[0]["evidence"])
    assert evidence["consignee_key"] == "DANA WHITFIELD | 55 ORCHARD ST APT 2C TAMPA FL 33602"
    assert evidence["key_methods"] == ["usps-pub28"] and evidence["total"] == 1050.0


def test_only_addresses_of_one_name_at_one_house_number_are_parsed():
    """Neighbours at one house number (a national day has thousands per number) are not parsed unless one name
    recurs there: parsing costs a millisecond an address. Accented and plain spellings share a block."""
    neighbours = [
        {
            "entry_type": "321",
            "declared_value": 500.0,
            "arrival_date": date(2024, 5, 2),
            "consignee_name": name,
            "consignee_address": f"12 {street} Ave, Reno, NV 89501",
        }
        for name, street in [("Ann Lee", "Elm"), ("Bo Chen", "Oak"), ("Cy Diaz", "Ash")]
    ]
    same = [
        {
            "entry_type": "321",
            "declared_value": 500.0,
            "arrival_date": date(2024, 5, 2),
            "consignee_name": name,
            "consignee_address": address,
        }
        for name, address in [
            ("José Peña", "12 Pine Street, Reno, NV 89501"),
            ("JOSE PENA", "12 Pine St., Reno NV 89501"),
        ]
    ]
    shipments, lines = parcels(*neighbours, *same)
    normalise_address.cache_clear()
    found = run_rule("DM-AGG", shipments, lines)
    assert [f["shipment_id"] for f in found] == ["S4", "S5"]
    assert json.loads(found[0]["evidence"])["consignee_key"] == "JOSE PENA | 12 PINE ST RENO NV 89501"
    assert normalise_address.cache_info().misses == 2  # the two Pine Street spellings, no neighbour


def test_names_normalise_accents_case_and_punctuation():
    assert normalise_name("  José  O'Neil-Pérez ") == normalise_name("JOSE O NEIL PEREZ")
    assert normalise_address("no street here at all")[1] == "fallback"


def test_a_split_alone_is_reviewed_and_holds_only_when_other_signals_agree():
    shipments, lines = parcels(
        # order A: two days, different consignees -> a split alone
        {"entry_type": "321", "order_id": "A", "declared_value": 450.0, "arrival_date": date(2024, 5, 1)},
        {
            "entry_type": "321",
            "order_id": "A",
            "declared_value": 400.0,
            "arrival_date": date(2024, 5, 3),
            "consignee_name": "Other Name",
        },
        # order B on two days, but its first parcel's consignee-day is over the threshold with order C
        {
            "entry_type": "321",
            "order_id": "B",
            "declared_value": 450.0,
            "arrival_date": date(2024, 6, 1),
            "consignee_name": "Carl Fox",
        },
        {
            "entry_type": "321",
            "order_id": "B",
            "declared_value": 400.0,
            "arrival_date": date(2024, 6, 5),
            "consignee_name": "Carl Fox",
        },
        {
            "entry_type": "321",
            "order_id": "C",
            "declared_value": 400.0,
            "arrival_date": date(2024, 6, 1),
            "consignee_name": "CARL FOX",
        },
    )
    variants = {f["shipment_id"]: f["variant"] for f in run_rule("DM-SPLIT", shipments, lines)}
    assert variants == {"S1": "order", "S2": "order", "S3": "with-aggregation", "S4": "with-aggregation"}
    findings = pa.concat_tables(
        [all_rules()[r].run(ctx) for ctx in [RuleContext(shipments, lines)] for r in ("DM-SPLIT", "DM-AGG")]
    )
    _, decisions = decide(shipments["shipment_id"], findings, None, load_severity_policy())
    assert {d["shipment_id"]: d["decision"] for d in decisions.to_pylist()} == {
        "S1": "review",
        "S2": "review",
        "S3": "hold",
        "S4": "hold",
        "S5": "hold",
    }


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


def test_only_perfume_containing_alcohol_is_excluded_and_not_in_a_5_dollar_parcel(flagged):
    day = date(2024, 5, 1)
    shipments, lines = parcels(
        {
            "entry_type": "321",
            "arrival_date": day,
            "lines": [{"hts_code": "3303003000", "description": "Eau de parfum"}],
        },
        {
            "entry_type": "321",
            "arrival_date": day,
            "lines": [{"hts_code": "3303002000", "description": "Solid perfume"}],
        },
        {
            "entry_type": "321",
            "arrival_date": day,
            "declared_value": 5.0,
            "lines": [{"hts_code": "3303003000", "description": "Perfume sample", "value": 5.0}],
        },
    )
    assert flagged("DM-EXCL", shipments, lines) == ["S1"]


def test_the_all_country_suspension_does_not_reach_informational_materials(flagged):
    day = date(2025, 9, 10)
    book = {"hts_code": "4901990093", "description": "Printed novel", "country_of_origin": "GB"}
    shirt = {"hts_code": "6109100012", "description": "Cotton T-shirt", "country_of_origin": "GB"}
    shipments, lines = parcels(
        {"entry_type": "321", "arrival_date": day, "country_of_shipment": "GB", "lines": [book]},
        {"entry_type": "321", "arrival_date": day, "country_of_shipment": "GB", "lines": [shirt]},
        {"entry_type": "321", "arrival_date": day, "country_of_shipment": "GB", "lines": [book, shirt]},
    )
    assert flagged("DM-ELIG", shipments, lines) == ["S2", "S3"]
    donations = [
        r for r in load_policy().table("suspension_exemptions").to_pylist() if r["category"] == "donations"
    ]
    assert donations and "NOT APPLIED" in donations[0]["note"] and "1702(b)(2)" in donations[0]["citation"]


def test_the_china_and_hong_kong_window_does_not_reach_informational_materials(flagged):
    # EO 14256 (90 FR 14899) ended de minimis for goods of China and Hong Kong from 2025-05-02 under IEEPA,
    # whose authority excludes informational materials (50 U.S.C. 1702(b)(3)); the EO 14195 duties exempt
    # them (HTS 9903.01.22, "articles the product of China and Hong Kong that are informational materials",
    # from 2025-02-04: USITC tariff database 2025)
    day = date(2025, 6, 10)
    book = {
        "hts_code": "4901990093",
        "description": "Printed novel",
        "country_of_origin": "CN",
        "value": 30.0,
    }
    shirt = {
        "hts_code": "6109100012",
        "description": "Cotton T-shirt",
        "country_of_origin": "CN",
        "value": 30.0,
    }
    cn = {"entry_type": "321", "arrival_date": day, "country_of_shipment": "CN", "declared_value": 30.0}
    shipments, lines = parcels(
        {**cn, "lines": [book]},
        {**cn, "lines": [shirt]},
        {**cn, "country_of_shipment": "HK", "lines": [{**book, "country_of_origin": "HK"}]},
    )
    assert flagged("DM-ELIG", shipments, lines) == ["S2"]
