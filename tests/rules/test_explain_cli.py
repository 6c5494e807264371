"""`parcelaudit explain` on parcels a new user meets: an additional duty, foreign money, parcel-level values."""

from __future__ import annotations

from datetime import date

import typer
from typer.testing import CliRunner

from parcelaudit.commands import check as check_commands
from parcelaudit.store import Store
from tests.rules.builders import orders_for, parcels
from tests.rules.store_support import load


def _app() -> typer.Typer:
    app = typer.Typer()
    check_commands.register(app)
    return app


def _store(target, *specs):
    shipments, lines = parcels(*specs)
    path = target
    with Store.open(path) as store:
        load(store, "shipments", shipments)
        load(store, "lines", lines)
        load(store, "orders", orders_for(shipments))
    return path


def test_explain_prints_the_additional_duty_components_without_a_traceback(store_target):
    # Chinese furniture in 2020 pays MFN plus Section 301 List 3: the line has an additional measure.
    path = _store(
        store_target,
        {
            "arrival_date": date(2020, 6, 1),
            "country_of_shipment": "CN",
            "lines": [
                {
                    "hts_code": "9403608081",
                    "description": "Wooden side table",
                    "country_of_origin": "CN",
                    "manufacturer_country": "CN",
                }
            ],
        },
    )
    result = CliRunner().invoke(_app(), ["explain", "S1", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "S301-L3-25" in result.output and "25.00%" in result.output  # the measure and the line rate
    # the entry's fee, once per entry, with its fiscal year's source (19 CFR 24.23)
    assert "Entry fees, once per entry: MPF-" in " ".join(result.output.split())


def test_explain_states_the_dollar_value_the_rate_and_the_allocation(tmp_path, store_target):
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,usd_per_unit\n2024-06-03,EUR,1.08\n", encoding="utf-8")
    path = _store(
        store_target,
        {
            "entry_type": "321",
            "arrival_date": date(2024, 6, 3),
            "currency": "EUR",
            "declared_value": 790.0,
            "lines": [{"value": None, "quantity": 1.0}, {"value": None, "quantity": 3.0}],
        },
    )
    result = CliRunner().invoke(_app(), ["explain", "S1", "--db", str(path), "--rates", str(rates)])
    assert result.exit_code == 0, result.output
    assert "value in USD 853.20" in result.output and "rates file rates.csv" in result.output
    assert "allocated to the lines by quantity" in result.output
    assert "DM-VALUE" in result.output
    # the claim fails ($853.20 > $800): the entry owes its fee; a standing claim would owe none
    assert "Entry fees, once per entry" in " ".join(result.output.split())


def test_explain_charges_no_fee_on_a_de_minimis_claim_that_stands(store_target):
    path = _store(
        store_target,
        {"entry_type": "321", "arrival_date": date(2024, 6, 3), "declared_value": 100.0, "lines": [{}]},
    )
    result = CliRunner().invoke(_app(), ["explain", "S1", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "Entry fees" not in result.output
