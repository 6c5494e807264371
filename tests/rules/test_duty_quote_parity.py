"""The duty a check stores for each line equals `parcelaudit.duty.quote()` for the line's real value, mode,
entry type, parcel value and date (issue 12: one source of truth)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from parcelaudit.duty import quote
from parcelaudit.generate import generate_dataset
from parcelaudit.ingest import ingest_file
from parcelaudit.pipeline import explain_shipment, run_check
from parcelaudit.rules.context import RuleContext
from parcelaudit.rules.duty import duty_entry_type, duty_mode
from parcelaudit.store import Store
from parcelaudit.store.checks import read_check_inputs
from tests.rules.builders import parcels
from tests.rules.store_support import store_file

TEE = {"hts_code": "6109100012", "country_of_origin": "CN", "manufacturer_country": "CN"}
MAIL = {"entry_type": "postal", "mode": "mail", "filer_type": "postal", "country_of_shipment": "CN"}


def _postal(on: date, *values: float) -> dict:
    return {
        **MAIL,
        "arrival_date": on,
        "declared_value": sum(values),
        "lines": [{**TEE, "line_no": n, "value": v} for n, v in enumerate(values, start=1)],
    }


def _stored_duty(store: Store, run_id: int) -> dict[tuple[str, int], float]:
    rows = store.fetch("SELECT shipment_id, line_no, duty FROM check_duty_lines WHERE run_id = ?", [run_id])
    return {(s, n): d for s, n, d in rows}


def _expected(ctx: RuleContext) -> dict[tuple[str, int], Decimal]:
    """quote() per line, from the context's US-dollar values and the parcel's own fields."""
    parcel = {s["shipment_id"]: s for s in ctx.shipments.to_pylist()}
    found = {}
    for line in ctx.lines.to_pylist():
        s = parcel[line["shipment_id"]]
        origin = line["country_of_origin"] or s["country_of_shipment"]
        if not line["hts"] or not origin:
            continue
        q = quote(
            line["hts"],
            origin,
            s["arrival_date"],
            line["value"] or 0.0,
            mode=duty_mode(s["mode"], s["entry_type"], s["filer_type"]),
            entry_type=duty_entry_type(s["entry_type"], s["declared_value"]),
            shipment_value=s["declared_value"],
            metal_value=line.get("metal_value"),
            with_fees=False,
        )
        found[(line["shipment_id"], line["line_no"])] = q.amount
    return found


def test_postal_parcels_pay_what_quote_gives_for_their_value(store_target):
    shipments, lines = parcels(
        _postal(date(2024, 6, 1), 50.0),  # mail up to $800 entered free (19 CFR 145.31)
        _postal(date(2024, 6, 1), 900.0),  # over $800: MFN + Section 301
        _postal(date(2025, 9, 1), 50.0),  # postal method: IEEPA duties only (EO 14324)
        _postal(date(2025, 9, 1), 900.0),  # over $800: entered like other goods, every measure
        _postal(date(2025, 9, 1), 500.0, 400.0),  # the $800 limit is the parcel's, not the line's
        {
            **TEE,
            "entry_type": "11",
            "mode": None,
            "arrival_date": date(2025, 9, 1),
            "declared_value": 50.0,
            "country_of_shipment": "CN",
            "lines": [{**TEE, "value": 50.0}],
        },  # no mode: express
        {**_postal(date(2025, 9, 1), 700.0), "currency": "EUR"},  # EUR 700 = USD 820.05: over $800
    )
    with Store.open(store_file(store_target, shipments, lines)) as store:
        result = run_check(store, screening=False)
        stored = _stored_duty(store, result.run_id)
        inputs = read_check_inputs(store)
    assert stored == {
        ("S1", 1): 0.0,
        ("S2", 1): 216.0,  # 900 x (16.5% + 7.5%)
        ("S3", 1): 15.0,  # 50 x (20% + 10%)
        ("S4", 1): 486.0,  # 900 x (16.5% + 7.5% + 20% + 10%)
        ("S5", 1): 270.0,  # 500 x 54%
        ("S5", 2): 216.0,  # 400 x 54%
        ("S6", 1): 27.0,  # 50 x 54%: an unknown mode is not granted the postal method
        ("S7", 1): 442.83,  # 820.05 x 54% (ECB rate 1.1715 on 2025-09-01)
    }
    with RuleContext(inputs.shipments, inputs.lines, inputs.orders) as ctx:
        assert stored == {key: float(amount) for key, amount in _expected(ctx).items()}
    owed = {d["shipment_id"]: d["duty_owed"] for d in result.decisions.to_pylist()}
    assert owed["S1"] == 0.0 and owed["S5"] == 486.0


def test_a_section_232_derivative_pays_on_its_metal_content(store_target):
    # 7323.93.00 (steel kitchenware) is a Section 232 steel derivative charged on its steel content
    sink = {"hts_code": "7323930080", "country_of_origin": "VN", "value": 1000.0}
    shipments, lines = parcels(
        {
            "mode": "ocean",
            "arrival_date": date(2025, 9, 1),
            "declared_value": 2000.0,
            "lines": [{**sink, "line_no": 1, "metal_value": 400.0}, {**sink, "line_no": 2}],
        }
    )
    with Store.open(store_file(store_target, shipments, lines)) as store:
        result = run_check(store, screening=False)
        stored = _stored_duty(store, result.run_id)
        verified = dict(
            store.fetch("SELECT line_no, verified FROM check_duty_lines WHERE run_id = ?", [result.run_id])
        )
        inputs = read_check_inputs(store)
    # 2% MFN on $1,000 + 50% on the $400 of steel + Vietnam's 20% reciprocal duty on the $600 the steel duty
    # does not reach (from 2025-06-04: Proclamation 10947, 90 FR 24199; CBP CSMS 65236374)
    assert (
        stored[("S1", 1)]
        == 340.0
        == float(quote("7323930080", "VN", date(2025, 9, 1), 1000, metal_value=400).amount)
    )
    # without a metal value the full value is assumed (an upper bound, nothing left for the reciprocal duty)
    # and the line is not verified; line 1 is not either: its reciprocal part rests on a partly loaded Annex II
    assert stored[("S1", 2)] == 520.0 and verified == {1: False, 2: False}
    with RuleContext(inputs.shipments, inputs.lines, inputs.orders) as ctx:
        assert stored == {key: float(amount) for key, amount in _expected(ctx).items()}


def test_a_generated_sample_matches_quote_line_by_line(store_target, tmp_path):
    # generated data: mail parcels before and after the suspension, air and ocean parcels, de minimis claims
    generate_dataset(tmp_path, parcels=270, days=420, start=date(2025, 1, 1), seed=12)
    with Store.open(store_target) as store:
        for name in ("shipments", "lines", "orders"):
            ingest_file(store, tmp_path / f"{name}.csv", rejects_dir=None)
        result = run_check(store, screening=False)
        stored = _stored_duty(store, result.run_id)
        inputs = read_check_inputs(store)
    with RuleContext(inputs.shipments, inputs.lines, inputs.orders) as ctx:
        expected = _expected(ctx)
        modes = {duty_mode(s["mode"], s["entry_type"], s["filer_type"]) for s in ctx.shipments.to_pylist()}
    assert len(expected) >= 300 and modes >= {"postal", "express", "cargo"}
    assert {key: Decimal(repr(stored[key])) for key in expected} == expected


def test_explain_shows_the_duty_the_check_stored(store_target):
    shipments, lines = parcels(_postal(date(2025, 9, 1), 500.0, 400.0), _postal(date(2024, 6, 1), 50.0))
    with Store.open(store_file(store_target, shipments, lines)) as store:
        fresh = explain_shipment(store, "S1")
        result = run_check(store, screening=False)
        stored = _stored_duty(store, result.run_id)
        info = explain_shipment(store, "S1")
        mail = explain_shipment(store, "S2")
    assert (
        [line["duty"] for line in fresh["duty"]]
        == [line["duty"] for line in info["duty"]]
        == [
            stored[("S1", 1)],
            stored[("S1", 2)],
        ]
    )
    # explain's parts are the quote's components for the line's value and mode: they add up to its duty
    for line in info["duty"]:
        assert sum(Decimal(p["amount"]) for p in line["parts"]) == pytest.approx(Decimal(repr(line["duty"])))
    assert [p["measure_id"] for p in mail["duty"][0]["parts"]] == ["DE-MINIMIS"]


def test_the_audit_prices_postal_parcels_and_corrections_as_quote_does():
    from parcelaudit.audit.population import build_population, corrected_duty

    # duty paid on the book: free mail for $50 (2024), every measure on a $900 mail parcel
    shipments, lines = parcels(_postal(date(2024, 6, 1), 50.0), _postal(date(2024, 6, 1), 900.0))
    book = {r["shipment_id"]: r["book_duty"] for r in build_population(shipments, lines).to_pylist()}
    assert book == {"S1": 0.0, "S2": 216.0}
    # the auditor finds the $50 parcel was worth $900: over the $800 limit of free mail, it owes what
    # quote() gives for $900 (16.5% + 7.5%), not nothing
    owed = corrected_duty(
        shipments, lines, [{"item_id": "S1", "shipment_id": "S1", "line_no": None, "corrected_value": 900.0}]
    )
    expected = quote("6109100012", "CN", date(2024, 6, 1), 900, mode="postal", entry_type="postal")
    assert owed == {"S1": float(expected.amount)} == {"S1": 216.0}


def test_an_ingested_metal_content_column_reaches_the_duty(store_target, tmp_path):
    shipments, lines = parcels(
        {
            "mode": "ocean",
            "arrival_date": date(2025, 9, 1),
            "declared_value": 1000.0,
            "lines": [{"hts_code": "7323930080", "country_of_origin": "VN", "value": 1000.0}],
        }
    )
    pacsv.write_csv(shipments, tmp_path / "shipments.csv")
    # a manifest naming the column by an alias, as a broker's file might
    lines = lines.drop_columns(["metal_value"]).append_column("steel_aluminum_value", pa.array([400.0]))
    pacsv.write_csv(lines, tmp_path / "lines.csv")
    with Store.open(store_target) as store:
        for name in ("shipments", "lines"):
            ingest_file(store, tmp_path / f"{name}.csv", rejects_dir=None)
        result = run_check(store, screening=False)
        stored = _stored_duty(store, result.run_id)
    assert stored == {("S1", 1): 340.0}  # 2% of $1,000 + 50% of the $400 of steel + 20% of the other $600
