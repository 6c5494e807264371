"""Duty rates by HTS, origin and date; shipment duty owed and at risk."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from parcelaudit.rules.context import FINDING_SCHEMA, RuleContext
from parcelaudit.rules.duty import compute_duty, line_duty_rate, line_duty_table, shipment_duty
from tests.rules.builders import orders_for, parcels
from tests.rules.conftest import run_rule


def test_mfn_plus_section_301_for_chinese_apparel():
    rate = line_duty_rate("6109100012", "CN", date(2024, 6, 1))
    assert rate.ad_valorem == pytest.approx(0.165 + 0.075)
    assert [c[0] for c in rate.components] == ["MFN", "S301-L4A-7.5"]
    # 6109.10.00 is on List 4A in the full Section 301 list (duty/data/s301_lines.csv)
    assert "85 FR 3741" in rate.components[1][2]


def test_rates_change_on_their_dates():
    assert line_duty_rate("6109100012", "CN", date(2020, 2, 13)).ad_valorem == pytest.approx(0.165 + 0.15)
    assert line_duty_rate("6109100012", "CN", date(2020, 2, 14)).ad_valorem == pytest.approx(0.165 + 0.075)
    assert line_duty_rate("6109100012", "VN", date(2024, 6, 1)).ad_valorem == pytest.approx(0.165)
    # 2025-09-01 Vietnam: MFN + 10% baseline + 10% country-specific reciprocal duty
    assert line_duty_rate("6109100012", "VN", date(2025, 9, 1)).ad_valorem == pytest.approx(0.165 + 0.20)
    # IEEPA duties end for entries from 2026-02-24 (CSMS 67834313); the Section 122 surcharge replaces them
    assert line_duty_rate("6109100012", "VN", date(2026, 3, 1)).ad_valorem == pytest.approx(0.165 + 0.10)


def test_unknown_code_has_no_verified_rate():
    rate = line_duty_rate("7712345678", "VN", date(2024, 6, 1))
    assert rate.ad_valorem == 0.0 and not rate.verified


def test_compute_duty_per_line():
    shipments, lines = parcels(
        {
            "lines": [
                {"hts_code": "6109100012", "value": 100.0, "country_of_origin": "CN"},
                {"hts_code": "6912004810", "value": 10.0},
            ]
        }
    )
    table = compute_duty(shipments, lines).to_pylist()
    assert [round(r["duty"], 4) for r in table] == [24.0, 0.98]


def _shipment_duty(shipments, lines, orders=None):
    ctx = RuleContext(shipments, lines, orders)
    findings = pa.Table.from_pylist(run_rule("DM-VALUE", shipments, lines), schema=FINDING_SCHEMA)
    return {r["shipment_id"]: r for r in shipment_duty(ctx, line_duty_table(ctx), findings).to_pylist()}


def test_valid_de_minimis_owes_nothing_invalid_claim_puts_duty_at_risk():
    tee = {"hts_code": "6109100012", "country_of_origin": "VN"}
    shipments, lines = parcels(
        {"entry_type": "321", "declared_value": 100.0, "lines": [{**tee, "value": 100.0}]},
        {"entry_type": "321", "declared_value": 900.0, "lines": [{**tee, "value": 900.0}]},
        {"entry_type": "11", "declared_value": 100.0, "lines": [{**tee, "value": 100.0}]},
    )
    duty = _shipment_duty(shipments, lines)
    assert duty["S1"]["duty_owed"] == 0.0 and duty["S1"]["duty_at_risk"] == 0.0
    # the denied claim also leaves the express MPF of the entry it becomes unpaid ($1.27, FY2024, 88 FR 48900)
    assert duty["S2"]["duty_owed"] == pytest.approx(148.5) and duty["S2"]["duty_at_risk"] == pytest.approx(
        148.5 + 1.27
    )
    assert duty["S3"]["duty_owed"] == pytest.approx(16.5) and duty["S3"]["duty_at_risk"] == 0.0


def test_undervaluation_puts_the_gap_at_risk():
    shipments, lines = parcels(
        {"entry_type": "11", "declared_value": 50.0, "lines": [{"hts_code": "6109100012", "value": 50.0}]}
    )
    duty = _shipment_duty(shipments, lines, orders_for(shipments, {"O1": 100.0}))
    assert duty["S1"]["duty_owed"] == pytest.approx(8.25) and duty["S1"]["duty_at_risk"] == pytest.approx(
        8.25
    )


def test_ieepa_duties_are_collected_until_cbp_stops_on_2026_02_24():
    # the Supreme Court decided on 2026-02-20; CBP collected until 2026-02-23 (CSMS 67834313)
    assert line_duty_rate("6109100012", "VN", date(2026, 2, 23)).ad_valorem == pytest.approx(0.165 + 0.20)
    on_24 = line_duty_rate("6109100012", "VN", date(2026, 2, 24))
    assert on_24.ad_valorem == pytest.approx(0.165 + 0.10)
    assert [c[0] for c in on_24.components if c[1]] == ["MFN", "S122-10"]


def test_line_duty_is_rounded_once_per_component_and_reports_refundable_part():
    tee = {"hts_code": "6109100012", "country_of_origin": "VN"}
    shipments, lines = parcels(
        {
            "entry_type": "11",
            "arrival_date": date(2025, 9, 1),
            "lines": [{**tee, "value": 0.1}, {**tee, "value": 33.33}],
        }
    )
    table = compute_duty(shipments, lines).to_pylist()
    # 0.1 x 36.5% = 0.0365 -> 0.04; 33.33 x 36.5% = 12.16545 -> 12.17: exact, rounded once, half-up
    assert [r["duty"] for r in table] == [0.04, 12.17]
    assert [r["refundable"] for r in table] == [0.02, 6.67]


def test_an_undervalued_postal_parcel_risks_the_duty_of_its_transaction_value():
    # declared $50 (free mail in 2024), worth $900: over the $800 limit it owes 16.5% (MFN, Vietnam) of $900
    mail = {"entry_type": "postal", "mode": "mail", "filer_type": "postal", "declared_value": 50.0}
    shipments, lines = parcels(
        {**mail, "arrival_date": date(2024, 6, 1), "lines": [{"hts_code": "6109100012", "value": 50.0}]}
    )
    duty = _shipment_duty(shipments, lines, orders_for(shipments, {"O1": 900.0}))
    # and the dutiable mail fee it left unpaid ($6.97, FY2024, CBP Dec. 23-08, 88 FR 48900)
    assert duty["S1"]["duty_owed"] == 0.0 and duty["S1"]["duty_at_risk"] == pytest.approx(148.5 + 6.97)


def test_each_parcel_carries_its_entry_fees_once_none_where_the_de_minimis_claim_stands():
    # fees of FY2026 (CBP Dec. 25-10, 90 FR 34665): express MPF $1.34 per waybill, formal MPF 0.3464% within
    # $33.58-$651.50, dutiable mail $7.39 (unverified row), HMF 0.125% of ocean cargo (19 CFR 24.24)
    tee = {"hts_code": "6109100012", "country_of_origin": "VN"}
    on = date(2026, 3, 2)
    shipments, lines = parcels(
        {
            "arrival_date": on,
            "entry_type": "321",
            "declared_value": 100.0,
            "lines": [{**tee, "value": 100.0}],
        },
        {
            "arrival_date": on,
            "entry_type": "11",
            "declared_value": 100.0,
            "lines": [{**tee, "value": 60.0}, {**tee, "value": 40.0}],
        },
        {
            "arrival_date": on,
            "entry_type": "01",
            "declared_value": 3000.0,
            "lines": [{**tee, "value": 3000.0}],
        },
        {
            "arrival_date": on,
            "entry_type": "01",
            "declared_value": 200000.0,
            "lines": [{**tee, "value": 200000.0}],
            "mode": "ocean",
        },
        {
            "arrival_date": on,
            "entry_type": "postal",
            "mode": "mail",
            "filer_type": "postal",
            "declared_value": 100.0,
            "lines": [{**tee, "value": 100.0}],
        },
        {
            "arrival_date": date(2024, 3, 1),
            "entry_type": "11",
            "declared_value": 100.0,
            "lines": [{**tee, "value": 100.0}],
        },
        {
            "arrival_date": on,
            "entry_type": "01",
            "declared_value": 200000.0,
            "lines": [{**tee, "value": 200000.0}],
            "mode": "truck",
        },
    )
    duty = _shipment_duty(shipments, lines)
    assert duty["S1"]["fees"] == 0.0  # the claim stands: no entry, no fee
    assert duty["S2"]["fees"] == 1.34  # once per waybill, not per line
    assert duty["S3"]["fees"] == 33.58  # 0.3464% of $3,000 = $10.39, raised to the minimum
    assert duty["S4"]["fees"] == pytest.approx(651.50 + 250.00)  # maximum MPF, HMF 0.125% of $200,000
    assert duty["S5"]["fees"] == 7.39  # dutiable mail (Section 122 period: 10% on postal items)
    assert duty["S6"]["fees"] == 1.27  # FY2024 express MPF (CBP Dec. 23-08)
    assert duty["S7"]["fees"] == 651.50  # by truck: no port, no HMF (19 CFR 24.24)


def test_duty_at_risk_adds_the_fees_the_declared_entry_left_unpaid():
    # 19 U.S.C. 1592(c) loss of revenue counts lawful duties, taxes and fees. Fees of FY2024 (CBP Dec. 23-08,
    # 88 FR 48900): express MPF $1.27 per waybill, formal MPF 0.3464% within $31.67-$614.35, mail fee $6.97;
    # HMF 0.125% of ocean cargo (19 CFR 24.24). Vietnamese T-shirts, MFN 16.5%, on 2024-03-01.
    tee = {"hts_code": "6109100012", "country_of_origin": "VN"}
    mail = {"entry_type": "postal", "mode": "mail", "filer_type": "postal"}
    shipments, lines = parcels(
        # a denied $900 de minimis claim: the express entry it becomes owes its MPF too
        {"entry_type": "321", "declared_value": 900.0, "lines": [{**tee, "value": 900.0}]},
        # an informal entry declared $2,000 worth $4,000: a formal entry's MPF ($31.67 min -> 0.3464% of
        # $4,000 = $13.86 -> $31.67) less the express MPF paid ($1.27)
        {"entry_type": "11", "declared_value": 2000.0, "lines": [{**tee, "value": 2000.0}]},
        # ocean cargo declared $10,000 worth $20,000: MPF $34.64 -> $69.28 and HMF $12.50 -> $25.00
        {
            "entry_type": "01",
            "mode": "ocean",
            "declared_value": 10000.0,
            "lines": [{**tee, "value": 10000.0}],
        },
        # the same by truck: no HMF (19 CFR 24.24), MPF only
        {
            "entry_type": "01",
            "mode": "truck",
            "declared_value": 10000.0,
            "lines": [{**tee, "value": 10000.0}],
        },
        # free mail declared $50 worth $900: dutiable mail owes the mail fee
        {**mail, "declared_value": 50.0, "lines": [{**tee, "value": 50.0}]},
        # express, undervalued but the MPF per waybill is the same: nothing more at risk than duty
        {"entry_type": "11", "declared_value": 50.0, "lines": [{**tee, "value": 50.0}]},
    )
    orders = orders_for(shipments, {"O2": 4000.0, "O3": 20000.0, "O4": 20000.0, "O5": 900.0, "O6": 100.0})
    duty = _shipment_duty(shipments, lines, orders)
    assert duty["S1"]["duty_at_risk"] == pytest.approx(148.5 + 1.27)
    assert duty["S2"]["duty_at_risk"] == pytest.approx(330.0 + 31.67 - 1.27)
    assert duty["S3"]["duty_at_risk"] == pytest.approx(1650.0 + (69.28 - 34.64) + (25.00 - 12.50))
    assert duty["S4"]["duty_at_risk"] == pytest.approx(1650.0 + (69.28 - 34.64))
    assert duty["S5"]["duty_at_risk"] == pytest.approx(148.5 + 6.97)
    assert duty["S6"]["duty_at_risk"] == pytest.approx(8.25)
    # fees stay the fees of the entry as declared
    assert [duty[s]["fees"] for s in ("S2", "S3", "S5")] == [1.27, pytest.approx(34.64 + 12.50), 0.0]
