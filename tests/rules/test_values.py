"""Money before thresholds and duty: foreign currencies at dated rates, parcel-level values allocated to lines."""

from __future__ import annotations

import json
from datetime import date

import pytest

from parcelaudit.errors import InputError
from parcelaudit.reference.currency import load_rates_file, reference_rates
from parcelaudit.rules.duty import compute_duty
from tests.rules.builders import parcels
from tests.rules.conftest import run_rule

DAY = date(2024, 6, 3)


def eur_790():
    """One de minimis parcel declared at EUR 790 (over $800 at 1.08)."""
    return parcels(
        {
            "entry_type": "321",
            "currency": "EUR",
            "declared_value": 790.0,
            "arrival_date": DAY,
            "lines": [{"value": 790.0}],
        }
    )


@pytest.fixture
def rates_file(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(
        "date,currency,usd_per_unit\n2024-05-31,EUR,1.08\n2024-06-03,CNY,0.1381\n2024-06-03,GBP,1.2750\n",
        encoding="utf-8",
    )
    return path


def test_cny_5000_is_about_690_dollars_not_over_800(flagged):
    shipments, lines = parcels(
        {
            "entry_type": "321",
            "currency": "CNY",
            "declared_value": 5000.0,
            "arrival_date": DAY,
            "lines": [{"value": 5000.0}],
        },
    )
    assert flagged("DM-VALUE", shipments, lines) == []
    [note] = run_rule("VAL-FX", shipments, lines)
    assert note["variant"] == "approximate" and "approximation" in note["message"]
    evidence = json.loads(note["evidence"])
    assert 600 < evidence["usd_value"] < 760 and evidence["currency"] == "CNY"


def test_eur_790_over_800_dollars_with_a_rates_file(flagged, rates_file):
    # 2024-06-03 is a Monday: the rate of Friday 2024-05-31 is the latest, within the allowed age.
    shipments, lines = eur_790()
    [finding] = run_rule("DM-VALUE", shipments, lines, rates=str(rates_file))
    assert "$853.20" in finding["message"]
    evidence = json.loads(finding["evidence"])
    assert evidence["declared"] == {"currency": "EUR", "value": 790.0} and evidence["usd_per_unit"] == 1.08
    assert evidence["rate_date"] == "2024-05-31" and evidence["rate_source"] == "rates file rates.csv"
    assert run_rule("VAL-FX", shipments, lines, rates=str(rates_file)) == []  # the user's own rate: no note


def test_a_currency_without_a_rate_on_the_date_is_a_finding_not_a_guess(flagged, rates_file):
    shipments, lines = parcels(
        {
            "entry_type": "321",
            "currency": "GBP",
            "declared_value": 900.0,
            "arrival_date": date(2024, 7, 1),
            "lines": [{"value": 900.0}],
        },
        {"entry_type": "321", "currency": "XYZ", "declared_value": 900.0, "arrival_date": DAY},
    )
    assert flagged("DM-VALUE", shipments, lines, rates=str(rates_file)) == []
    found = run_rule("VAL-FX", shipments, lines, rates=str(rates_file))
    assert [(f["shipment_id"], f["variant"]) for f in found] == [("S1", "no-rate"), ("S2", "no-rate")]
    duty = compute_duty(
        *parcels(
            {"currency": "XYZ", "declared_value": 900.0, "arrival_date": DAY, "lines": [{"value": 900.0}]}
        )
    )
    assert duty["duty"].to_pylist() == [0.0]


def test_duty_is_computed_on_the_dollar_value():
    usd = compute_duty(*parcels({"arrival_date": DAY, "lines": [{"value": 100.0}]}))
    eur = compute_duty(
        *parcels(
            {"arrival_date": DAY, "currency": "EUR", "declared_value": 100.0, "lines": [{"value": 100.0}]}
        )
    )
    assert eur["duty"][0].as_py() == pytest.approx(usd["duty"][0].as_py() * 1.0875, rel=0.02)


def test_rates_file_errors_name_the_row_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,usd_per_unit\n2024-06-03,EUR,abc\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_rates_file(bad)
    assert error.value.row == 2 and error.value.field == "usd_per_unit"
    assert reference_rates().num_rows > 100_000


def test_parcel_level_value_is_allocated_by_quantity_and_owes_duty(flagged):
    shipments, lines = parcels(
        {
            "declared_value": 100.0,
            "arrival_date": DAY,
            "lines": [{"value": None, "quantity": 1.0}, {"value": None, "quantity": 3.0}],
        },
        {
            "declared_value": 90.0,
            "arrival_date": DAY,
            "lines": [{"value": None, "quantity": None}, {"value": None, "quantity": 2.0}],
        },
    )
    missing = [json.loads(f["evidence"])["field"] for f in run_rule("DATA-MISSING", shipments, lines)]
    assert "value" not in missing
    duty = {(r["shipment_id"], r["line_no"]): r["duty"] for r in compute_duty(shipments, lines).to_pylist()}
    assert duty[("S1", 2)] == pytest.approx(3 * duty[("S1", 1)]) and duty[("S1", 1)] > 0
    assert duty[("S2", 1)] == pytest.approx(duty[("S2", 2)]) and duty[("S2", 1)] > 0


def test_a_value_in_a_currency_without_a_rate_is_not_reported_missing():
    shipments, lines = parcels(
        {
            "entry_type": "321",
            "currency": "XYZ",
            "declared_value": 90.0,
            "arrival_date": DAY,
            "lines": [{"value": 90.0}],
        }
    )
    missing = [json.loads(f["evidence"])["field"] for f in run_rule("DATA-MISSING", shipments, lines)]
    assert "value" not in missing


def test_check_takes_a_rates_file_and_refuses_a_bad_one(tmp_path, rates_file, store_target):
    from typer.testing import CliRunner

    from parcelaudit.cli import app
    from parcelaudit.store import Store
    from tests.rules.store_support import load

    shipments, lines = eur_790()
    with Store.open(store_target) as store:
        load(store, "shipments", shipments)
        load(store, "lines", lines)
    args = ["check", "--db", store_target, "--out", str(tmp_path / "out"), "--no-screening", "--rates"]
    result = CliRunner().invoke(app, [*args, str(rates_file)])
    assert result.exit_code == 0, result.output
    findings = (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8")
    assert "DM-VALUE" in findings and "VAL-FX" not in findings
    bad = tmp_path / "bad.csv"
    bad.write_text("day,currency,rate\n", encoding="utf-8")
    result = CliRunner().invoke(app, [*args, str(bad)])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)


def test_the_rate_of_the_export_date_is_used_when_the_manifest_gives_one(rates_file, tmp_path):
    # 19 CFR 159.32: the date of exportation. Exported 2024-05-31 (EUR 1.08), arriving 2024-06-10, when the
    # rates file has EUR 1.00: the parcel is judged at 1.08, over $800; without an export date, at 1.00.
    rates = tmp_path / "two_rates.csv"
    rates.write_text(
        "date,currency,usd_per_unit\n2024-05-31,EUR,1.08\n2024-06-10,EUR,1.00\n", encoding="utf-8"
    )
    exported = {
        "entry_type": "321",
        "currency": "EUR",
        "declared_value": 790.0,
        "arrival_date": date(2024, 6, 10),
        "export_date": date(2024, 5, 31),
        "lines": [{"value": 790.0}],
    }
    shipments, lines = parcels(exported)
    [finding] = run_rule("DM-VALUE", shipments, lines, rates=str(rates))
    assert json.loads(finding["evidence"])["rate_date"] == "2024-05-31"
    shipments, lines = parcels({**exported, "export_date": None})
    assert run_rule("DM-VALUE", shipments, lines, rates=str(rates)) == []
