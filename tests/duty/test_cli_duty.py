"""`parcelaudit duty` and `parcelaudit policy coverage` through the real CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from parcelaudit.cli import app
from parcelaudit.commands.common import console

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Rich wraps tables to the terminal; a wide console keeps ids and citations on one line."""
    monkeypatch.setattr(console, "width", 300)


def test_duty_prints_components_sources_and_statuses():
    result = runner.invoke(
        app,
        ["duty", "6109.10.0012", "--origin", "CN", "--date", "2025-03-10", "--value", "100"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "IEEPA-FENT-PRC-20" in result.output and "90 FR 11463" in result.output
    assert "refundable" in result.output and "$44.00" in result.output


def test_duty_json_and_postal_specific():
    result = runner.invoke(
        app,
        [
            "duty",
            "6109100012",
            "--origin",
            "VN",
            "--date",
            "2025-09-01",
            "--value",
            "100",
            "--mode",
            "postal",
            "--postal-method",
            "specific",
            "--quantity",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["amount"] == "320.00" and payload["components"][-1]["measure"] == "POSTAL-EO14324-160"


def test_duty_user_error_is_one_line():
    result = runner.invoke(app, ["duty", "12AB", "--origin", "CN", "--date", "2025-01-01", "--value", "1"])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_policy_coverage_lists_programs_and_detail():
    result = runner.invoke(app, ["policy", "coverage"])
    assert result.exit_code == 0, result.output
    for program in ("S301-CN", "IEEPA-RECIP", "S122", "HORIZON"):
        assert program in result.output
    detail = runner.invoke(app, ["policy", "coverage", "--detail"])
    assert detail.exit_code == 0 and "MPF-EXPRESS" in detail.output


def test_duty_judges_the_postal_limit_on_the_parcel_value():
    line = [
        "duty",
        "6109100012",
        "--origin",
        "CN",
        "--date",
        "2024-06-01",
        "--value",
        "50",
        "--mode",
        "postal",
    ]
    alone = json.loads(runner.invoke(app, [*line, "--json"]).output)
    in_parcel = json.loads(runner.invoke(app, [*line, "--shipment-value", "900", "--json"]).output)
    # a $50 mail item is free (19 CFR 145.31); the same line in a $900 parcel pays MFN and Section 301
    assert alone["amount"] == "0.00" and in_parcel["amount"] == "12.00"


def test_duty_cargo_by_truck_pays_no_harbor_maintenance_fee():
    # HMF only on cargo unloaded from a vessel at a port (19 CFR 24.24); MPF 0.3464% of $10,000 (19 CFR 24.23)
    args = [
        "duty",
        "6109100012",
        "--origin",
        "VN",
        "--date",
        "2025-10-15",
        "--value",
        "10000",
        "--mode",
        "cargo",
    ]
    ocean = runner.invoke(app, args)
    truck = runner.invoke(app, [*args, "--transport", "truck"])
    assert ocean.exit_code == 0 and truck.exit_code == 0, truck.output
    assert "HMF" in ocean.output and "HMF" not in truck.output and "34.64" in truck.output
    bad = runner.invoke(app, [*args, "--transport", "pipeline"])
    assert bad.exit_code != 0 and "transport" in str(bad.exception)
