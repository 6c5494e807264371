"""The check stage end to end on a real DuckDB store file: run, persist, write, explain, CLI."""

from __future__ import annotations

import csv
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from parcelaudit.commands import check as check_commands
from parcelaudit.demo import demo_check
from parcelaudit.errors import ReferenceDataError
from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.pipeline import FINDINGS_ORDER, canonical_order, evaluate, explain_shipment, run_check
from parcelaudit.pipeline.summary import summary_of_figures
from parcelaudit.reference.hts import download_hts
from parcelaudit.store import Store
from parcelaudit.store.checks import read_check_inputs, read_run, run_figures
from tests.rules.builders import orders_for, parcels
from tests.rules.store_support import store_file


@pytest.fixture
def store_path(store_target):
    shipments, lines = parcels(
        {"arrival_date": date(2024, 5, 1)},
        {
            "entry_type": "321",
            "declared_value": 800.01,
            "arrival_date": date(2024, 5, 1),
            "seller_name": '=HYPERLINK("http://x")',
        },
        {"entry_type": "321", "order_id": "SPLIT", "declared_value": 500.0, "arrival_date": date(2024, 5, 2)},
        {
            "entry_type": "321",
            "order_id": "SPLIT",
            "declared_value": 400.0,
            "arrival_date": date(2024, 5, 4),
            "consignee_name": "Someone Else",
        },
        {
            "entry_type": "321",
            "arrival_date": date(2025, 5, 2),
            "country_of_shipment": "CN",
            "lines": [
                {
                    "country_of_origin": "CN",
                    "manufacturer_country": "CN",
                    "description": "-cotton T-shirt",
                    "hts_code": "8517130000",
                }
            ],
        },
    )
    return store_file(store_target, shipments, lines, orders_for(shipments))


def test_run_check_persists_a_run_and_judges_each_parcel(store_path):
    with Store.open(store_path) as store:
        result = run_check(store, screening=False)
        decisions = {r["shipment_id"]: r["decision"] for r in result.decisions.to_pylist()}
        # S3/S4: a split across days to different consignees, no other signal: review (19 CFR 10.151)
        assert decisions == {"S1": "release", "S2": "hold", "S3": "review", "S4": "review", "S5": "hold"}
        stored = store.fetch_one("SELECT count(*), max(run_id) FROM check_decisions")
        assert stored == (5, result.run_id)
        run = store.fetch("SELECT shipments, held, released FROM check_runs")
        assert run == [(5, 2, 1)]


def test_a_stored_check_carries_each_entrys_fees_as_explain_shows_them(store_path):
    # express MPF per waybill (19 CFR 24.23(b)(4)): $1.27 in FY2024 (CBP Dec. 23-08), $1.31 in FY2025 (89 FR
    # 59126); every de minimis claim here fails (over $800, a split order, a suspended origin), so each parcel
    # is an entry that pays its fee once
    with Store.open(store_path) as store:
        result = run_check(store, screening=False)
        stored = dict(
            store.fetch("SELECT shipment_id, fees FROM check_decisions WHERE run_id = ?", [result.run_id])
        )
        shown = {
            s: float(sum(f["amount"] for f in explain_shipment(store, s)["fees"])) for s in sorted(stored)
        }
        figures = summary_of_figures(run_figures(store, result.run_id))
    assert stored == {"S1": 1.27, "S2": 1.27, "S3": 1.27, "S4": 1.27, "S5": 1.31} == shown
    assert result.summary().fees == pytest.approx(6.39) and figures.fees == pytest.approx(6.39)


def test_a_date_window_keeps_group_context_but_reports_only_its_parcels(store_path):
    with Store.open(store_path) as store:
        result = run_check(store, date(2024, 5, 4), date(2024, 5, 4), screening=False, persist=False)
    assert result.decisions["shipment_id"].to_pylist() == ["S4"]
    assert result.findings["rule_id"].to_pylist() == ["DM-SPLIT"]  # S3 outside the window still counts


def test_outputs_are_spreadsheet_safe_with_the_contract_columns(store_path, tmp_path):
    with Store.open(store_path) as store:
        paths = demo_check(store, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == [
        "changed_decisions.csv",
        "decisions.csv",
        "findings.csv",
        "manifest.json",
        "report.html",
        "report.pdf",
    ]
    with (tmp_path / "out" / "findings.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "shipment_id",
        "line_no",
        "rule_id",
        "severity",
        "message",
        "citation",
        "evidence",
    ]
    desc = next(r for r in rows if r["rule_id"] == "HTS-DESC")
    assert desc["message"].startswith("description")
    with (tmp_path / "out" / "decisions.csv").open(encoding="utf-8") as handle:
        decisions = list(csv.DictReader(handle))
    assert list(decisions[0]) == ["shipment_id", "decision", "reasons", "duty_owed", "duty_at_risk", "fees"]
    assert {d["shipment_id"]: d["reasons"] for d in decisions}["S5"].startswith("DM-ELIG")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64") == 4
    assert "=HYPERLINK" not in (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8").replace(
        "'=", ""
    )


def test_explain_reads_the_stored_run_or_checks_now(store_path):
    with Store.open(store_path) as store:
        fresh = explain_shipment(store, "S5")
        assert fresh["run_id"] is None and fresh["decision"]["decision"] == "hold"
        run_check(store, screening=False)
        info = explain_shipment(store, "S5")
    assert info["run_id"] == 1
    assert {f["rule_id"] for f in info["findings"]} >= {"DM-ELIG", "HTS-DESC"}
    assert [r["measure_id"] for r in info["in_force"]["de_minimis_suspensions"]] == ["EO14256-CN"]
    # a Chinese smartphone: the 125% reciprocal duty of that day is exempted (CSMS 64724565); 20% fentanyl stays
    parts = {p["measure_id"]: p for p in info["duty"][0]["parts"]}
    assert info["duty"][0]["rate"] == pytest.approx(0.20) and parts["IEEPA-RECIP-CN-125"]["rate"] == 0


def _app() -> typer.Typer:
    app = typer.Typer()
    check_commands.register(app)
    return app


def test_cli_check_and_explain(store_path, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli-out"
    result = runner.invoke(
        _app(),
        [
            "check",
            "--db",
            str(store_path),
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
            "--out",
            str(out),
            "--no-screening",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "hold" in result.output and (out / "decisions.csv").exists()
    with (out / "decisions.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 4
    result = runner.invoke(_app(), ["explain", "S3", "--db", str(store_path)])
    assert result.exit_code == 0, result.output
    assert "DM-SPLIT" in result.output and "19 CFR 10.151" in result.output


def test_reference_update_caches_a_valid_file_and_fails_clearly_offline(tmp_path):
    source = tmp_path / "tariff.csv"
    source.write_text(
        "hts8,brief_description,mfn_text_rate,mfn_rate_type_code,mfn_ad_val_rate\n"
        "61091000,T-shirts of cotton,16.5%,7,0.165\n",
        encoding="utf-8",
    )
    cached = download_hts(source.as_uri(), tmp_path / "cache" / "tariff.csv")
    assert cached.read_text(encoding="utf-8").startswith("hts8")
    with pytest.raises(ReferenceDataError, match="cannot download"):
        download_hts("http://127.0.0.1:9/tariff.zip", tmp_path / "cache2" / "t.csv", timeout=2)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="not a USITC"):
        download_hts(bad.as_uri(), tmp_path / "cache3" / "t.csv")


def test_every_check_command_and_rule_is_documented():
    from pathlib import Path

    from parcelaudit.rules.registry import all_rules

    docs = (Path(__file__).resolve().parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    for command in ("parcelaudit check", "parcelaudit explain", "parcelaudit reference update"):
        assert command in docs
    for rule_id in all_rules():
        assert f"`{rule_id}`" in docs, rule_id


def test_an_empty_store_gives_empty_outputs_not_an_error(tmp_path, store_target):
    with Store.open(store_target) as store:
        paths = demo_check(store, tmp_path / "out")
    assert (tmp_path / "out" / "decisions.csv").read_text(encoding="utf-8").strip() == (
        "shipment_id,decision,reasons,duty_owed,duty_at_risk,fees"
    )
    assert "No findings." in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert len(paths) == 6  # changed_decisions.csv and manifest.json too


def test_a_stored_run_holds_what_evaluate_returns_on_a_generated_store(store_target, tmp_path):
    """The store seam changes nothing: inputs read through store.checks, evaluated over Arrow, stored and
    read back give the same findings and decisions as evaluate over the same inputs."""
    generate_dataset(tmp_path / "data", parcels=1500, seed=3)
    with Store.open(store_target) as store:
        for name in ("shipments", "lines", "orders"):
            ingest_file(store, tmp_path / "data" / f"{name}.csv", rejects_dir=None)
        inputs = read_check_inputs(store, date(2025, 4, 1), date(2025, 6, 30))
        pure = evaluate(inputs.shipments, inputs.lines, inputs.orders, screening=False, scope=inputs.scope)
        result = run_check(store, date(2025, 4, 1), date(2025, 6, 30), screening=False)
        findings, decisions = read_run(store, result.run_id)
    assert 0 < result.decisions.num_rows < 1500 and result.findings.num_rows > 20
    assert pure.findings.equals(result.findings) and pure.decisions.equals(result.decisions)
    assert canonical_order(findings, FINDINGS_ORDER).to_pylist() == result.findings.to_pylist()
    assert canonical_order(decisions, ["shipment_id"]).to_pylist() == result.decisions.to_pylist()
    assert result.summary().findings == findings.num_rows
